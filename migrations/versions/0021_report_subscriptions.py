"""report subscriptions, their runs, and the worker's scheduled tasks

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

import console.models.types

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

RUN_STATUS = sa.Enum(
    'running', 'retrying', 'sending', 'sent', 'filed', 'refused', 'failed', 'done',
    name='runstatus', native_enum=False, length=32,
)


def upgrade():
    op.create_table(
        'report_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('report', sa.String(length=40), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('file_format', sa.String(length=8), nullable=False),
        sa.Column(
            'frequency',
            sa.Enum('weekly', 'monthly', 'quarterly', name='frequency', native_enum=False,
                    length=32),
            nullable=False,
        ),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', console.models.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', console.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('report_subscription') as batch_op:
        batch_op.create_index(
            batch_op.f('ix_report_subscription_user_id'), ['user_id'], unique=False
        )
    op.create_table(
        'subscription_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=32), nullable=False),
        sa.Column('period_label', sa.String(length=80), nullable=False),
        sa.Column('status', RUN_STATUS, nullable=False),
        sa.Column('archive_id', sa.Integer(), nullable=True),
        sa.Column('recipient', sa.String(length=256), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', console.models.types.UTCDateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('started_at', console.models.types.UTCDateTime(), nullable=False),
        sa.Column('finished_at', console.models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['archive_id'], ['report_archive.id']),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['report_subscription.id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subscription_id', 'period_key'),
    )
    with op.batch_alter_table('subscription_run') as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_run_status'), ['status'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_subscription_run_subscription_id'), ['subscription_id'], unique=False
        )
    op.create_table(
        'scheduled_task_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(length=40), nullable=False),
        sa.Column('period_key', sa.String(length=32), nullable=False),
        sa.Column('status', RUN_STATUS, nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('started_at', console.models.types.UTCDateTime(), nullable=False),
        sa.Column('finished_at', console.models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task', 'period_key'),
    )


def downgrade():
    op.drop_table('scheduled_task_run')
    with op.batch_alter_table('subscription_run') as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_run_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_subscription_run_status'))
    op.drop_table('subscription_run')
    with op.batch_alter_table('report_subscription') as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_subscription_user_id'))
    op.drop_table('report_subscription')
