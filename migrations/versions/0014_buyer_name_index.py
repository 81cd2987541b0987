"""buyer: a plain index on the name (the API finds its buyer by name at each order)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:45:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_buyer_name', 'buyer', ['name'], unique=False)


def downgrade():
    op.drop_index('ix_buyer_name', table_name='buyer')
