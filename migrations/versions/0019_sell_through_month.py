"""fact_sell_through_month: the « taux d'écoulement »'s terms per listing and month

Filled by ``isoko refresh-facts`` (run it once after upgrading).

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-04 22:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fact_sell_through_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("opening_value", sa.BigInteger(), nullable=False),
        sa.Column("offered_value", sa.BigInteger(), nullable=False),
        sa.Column("sold_value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"]),
        sa.ForeignKeyConstraint(["listing_id"], ["listing.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["seller_id"], ["cooperative.id"]),
        sa.PrimaryKeyConstraint("month", "listing_id"),
    )
    with op.batch_alter_table("fact_sell_through_month", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fact_sell_through_month_seller_month", ["seller_id", "month"], unique=False
        )


def downgrade():
    with op.batch_alter_table("fact_sell_through_month", schema=None) as batch_op:
        batch_op.drop_index("ix_fact_sell_through_month_seller_month")
    op.drop_table("fact_sell_through_month")
