"""OBR eBMS: the outbox of invoice messages, checkTIN results, per-seller transmission override

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import console.models.types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ebms_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('FN', 'FA', 'cancel', name='messagekind', native_enum=False, length=32), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('invoice_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('ref_number', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('line_ids', sa.JSON(), nullable=True),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('identifier', sa.String(length=160), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'registered', 'refused', name='messagestate', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('locked_until', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('uncertain', sa.Boolean(), nullable=False),
    sa.Column('obr_number', sa.String(length=40), nullable=True),
    sa.Column('obr_registered_at', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('obr_signature', sa.String(length=200), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_message', sa.Text(), nullable=True),
    sa.Column('last_answer', sa.JSON(), nullable=True),
    sa.Column('created_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('settled_at', console.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['sale_order.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'number', name='uq_ebms_message_kind_number')
    )
    with op.batch_alter_table('ebms_message', schema=None) as batch_op:
        batch_op.create_index('ix_ebms_message_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ebms_message_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ebms_message_identifier'), ['identifier'], unique=False)
        batch_op.create_index(batch_op.f('ix_ebms_message_created_at'), ['created_at'], unique=False)

    op.create_table('ebms_tin_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.Column('nif', sa.String(length=20), nullable=False),
    sa.Column('known', sa.Boolean(), nullable=True),
    sa.Column('obr_name', sa.String(length=200), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('checked_at', console.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ebms_tin_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ebms_tin_check_cooperative_id'), ['cooperative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ebms_tin_check_checked_at'), ['checked_at'], unique=False)

    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ebms_transmit', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.drop_column('ebms_transmit')
    op.drop_table('ebms_tin_check')
    op.drop_table('ebms_message')
