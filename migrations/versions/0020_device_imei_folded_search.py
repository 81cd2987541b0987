"""devices' IMEI; trigram indexes on the accent-folded search expression (PostgreSQL)

The IMEI: 15 digits, unique (blank for chargers and kits).

The console searches text with translate(lower(col), 'àâ…', 'aaa…') LIKE '%word%'
(console/text_match.py): a B-tree cannot serve a leading wildcard, and the plain-column
trigram indexes of 0009 do not serve an expression. GIN trigram indexes on that very
expression (pg_trgm, already created by 0009) do, on PostgreSQL; SQLite has no such
index and is left as it is. The letter lists are copied here, frozen: changing the
folding in console/text_match.py needs a new migration (tests/test_text_search.py
compares them).

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyyoa"
# The searched columns of the tables that grow: the registry, the orders, the payments
# and the buyers (the navbar search and the lists' « Contient » filters).
FOLDED_INDEXES = (
    ("cooperative", "name"),
    ("cooperative", "registration_number"),
    ("sale_order", "reference"),
    ("payment", "reference"),
    ("buyer", "name"),
)


def folded_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_fold_trgm"


def upgrade():
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("imei", sa.String(length=15), nullable=True))
        batch.create_index(batch.f("ix_device_imei"), ["imei"], unique=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in FOLDED_INDEXES:
        op.execute(
            f"CREATE INDEX {folded_index_name(table, column)} ON {table} USING gin "
            f"(translate(lower({column}), '{ACCENTED}', '{PLAIN}') gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, column in FOLDED_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {folded_index_name(table, column)}")
    with op.batch_alter_table("device") as batch:
        batch.drop_index(batch.f("ix_device_imei"))
        batch.drop_column("imei")
