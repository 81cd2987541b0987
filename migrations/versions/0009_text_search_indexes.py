"""trigram indexes for the console's text searches on growing tables

FAB searches text with ILIKE ('CMD-2026-04%', '%Ruyigi%'), which a B-tree cannot serve:
on PostgreSQL each search of an order or payment reference scanned the whole table.
GIN trigram indexes (pg_trgm, a contrib extension shipped with PostgreSQL and trusted:
the database owner may create it) answer these in milliseconds. SQLite gets plain indexes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (("sale_order", "reference"), ("payment", "reference"), ("buyer", "name"))


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}_trgm", table, [column], unique=False,
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
