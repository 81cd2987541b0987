"""index the orders that match suggestions point to

Deleting an order sets these references to NULL: without an index each deleted order
scans both tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f('ix_match_suggestion_order_id'), 'match_suggestion', ['order_id'], unique=False)
    op.create_index(op.f('ix_match_suggestion_event_order_id'), 'match_suggestion_event', ['order_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_match_suggestion_event_order_id'), table_name='match_suggestion_event')
    op.drop_index(op.f('ix_match_suggestion_order_id'), table_name='match_suggestion')
