"""ab_user.preferred_map: the map a user last chose, the default of their dashboards and reports

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_map', sa.String(length=4), nullable=True))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('preferred_map')
