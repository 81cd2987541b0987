"""tax settings: dated thresholds for the reconciliation's leakage flags

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'valid_from', name='uq_tax_setting_key_from')
    )
    with op.batch_alter_table('tax_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_setting_key'), ['key'], unique=False)


def downgrade():
    with op.batch_alter_table('tax_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_setting_key'))

    op.drop_table('tax_setting')
