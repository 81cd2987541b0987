"""report archive

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import console.models.types


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('report', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='reportstatus', native_enum=False, length=32), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('requested_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('storage_path', sa.String(length=300), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('report_archive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_archive_report'), ['report'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_archive_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_archive_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_archive_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_archive_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('report_archive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_archive_status'))
        batch_op.drop_index(batch_op.f('ix_report_archive_sha256'))
        batch_op.drop_index(batch_op.f('ix_report_archive_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_report_archive_requested_at'))
        batch_op.drop_index(batch_op.f('ix_report_archive_report'))

    op.drop_table('report_archive')
