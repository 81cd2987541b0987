"""import batches and the rows they wrote

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import console.models.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OUTCOMES = ('queued', 'running', 'applied', 'dry_run', 'rejected', 'failed')


def upgrade():
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('sheet', sa.String(length=100), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('started_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('outcome', sa.Enum(*OUTCOMES, name='importoutcome', native_enum=False, length=32), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_dataset'), ['dataset'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_file_sha256'), ['file_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_user_id'), ['user_id'], unique=False)

    op.create_table('import_batch_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('row_id_from', sa.Integer(), nullable=False),
    sa.Column('row_id_to', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_batch_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_row_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_import_batch_row_table_row', ['table_name', 'row_id_from'], unique=False)


def downgrade():
    with op.batch_alter_table('import_batch_row', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batch_row_table_row')
        batch_op.drop_index(batch_op.f('ix_import_batch_row_batch_id'))
    op.drop_table('import_batch_row')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_batch_started_at'))
        batch_op.drop_index(batch_op.f('ix_import_batch_outcome'))
        batch_op.drop_index(batch_op.f('ix_import_batch_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_import_batch_dataset'))
    op.drop_table('import_batch')
