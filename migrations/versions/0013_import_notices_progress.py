"""import journal: notices, and the phase and lines of a running import

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(sa.Column("notices", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("phase", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("lines_read", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lines_written", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_column("lines_written")
        batch.drop_column("lines_read")
        batch.drop_column("phase")
        batch.drop_column("notices")
