"""integration API: clients, call audit, idempotency keys, returns, pending fact days

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_client',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.Enum('vitrine', 'tablette', name='apiclientkind', native_enum=False, length=32), nullable=False),
        sa.Column('cooperative_id', sa.Integer(), nullable=True),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.Enum('active', 'revoked', name='apiclientstate', native_enum=False, length=32), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_fk', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.Column('rotated_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ),
        sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], ),
        sa.ForeignKeyConstraint(['device_id'], ['device.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_id'),
    )
    op.create_index(op.f('ix_api_client_cooperative_id'), 'api_client', ['cooperative_id'], unique=False)
    op.create_index(op.f('ix_api_client_device_id'), 'api_client', ['device_id'], unique=False)
    op.create_table(
        'api_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('endpoint', sa.String(length=200), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=True),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=200), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_api_call_at'), 'api_call', ['at'], unique=False)
    op.create_index(op.f('ix_api_call_client_id'), 'api_call', ['client_id'], unique=False)
    op.create_table(
        'api_idempotency_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('endpoint', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('response', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('client_id', 'key', name='uq_api_idempotency_client_key'),
    )
    op.create_table(
        'fact_pending_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    with op.batch_alter_table('sale_order') as batch:
        batch.add_column(sa.Column('returns_order_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('api_client_id', sa.Integer(), nullable=True))
        batch.create_index('ix_sale_order_returns_order_id', ['returns_order_id'], unique=False)
        batch.create_index('ix_sale_order_api_client_id', ['api_client_id'], unique=False)
        batch.create_foreign_key('fk_sale_order_returns_order_id', 'sale_order', ['returns_order_id'], ['id'])
        batch.create_foreign_key('fk_sale_order_api_client_id', 'api_client', ['api_client_id'], ['id'])
    with op.batch_alter_table('order_line') as batch:
        batch.add_column(sa.Column('returns_line_id', sa.Integer(), nullable=True))
        batch.create_index('ix_order_line_returns_line_id', ['returns_line_id'], unique=False)
        batch.create_foreign_key('fk_order_line_returns_line_id', 'order_line', ['returns_line_id'], ['id'])


def downgrade():
    with op.batch_alter_table('order_line') as batch:
        batch.drop_constraint('fk_order_line_returns_line_id', type_='foreignkey')
        batch.drop_index('ix_order_line_returns_line_id')
        batch.drop_column('returns_line_id')
    with op.batch_alter_table('sale_order') as batch:
        batch.drop_constraint('fk_sale_order_api_client_id', type_='foreignkey')
        batch.drop_constraint('fk_sale_order_returns_order_id', type_='foreignkey')
        batch.drop_index('ix_sale_order_api_client_id')
        batch.drop_index('ix_sale_order_returns_order_id')
        batch.drop_column('api_client_id')
        batch.drop_column('returns_order_id')
    op.drop_table('fact_pending_day')
    op.drop_table('api_idempotency_key')
    op.drop_index(op.f('ix_api_call_client_id'), table_name='api_call')
    op.drop_index(op.f('ix_api_call_at'), table_name='api_call')
    op.drop_table('api_call')
    op.drop_index(op.f('ix_api_client_device_id'), table_name='api_client')
    op.drop_index(op.f('ix_api_client_cooperative_id'), table_name='api_client')
    op.drop_table('api_client')
