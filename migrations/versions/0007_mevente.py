"""mévente early warning and raw-material matchmaking

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:30:00

"""
from alembic import op
import sqlalchemy as sa

import console.models.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mevente_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_chain_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('map_version', sa.String(length=4), nullable=False),
    sa.Column('kind', sa.Enum('sell_through_low', 'unsold_rising', name='alertkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'resolved', name='alertstatus', native_enum=False, length=32), nullable=False),
    sa.Column('first_week', sa.Date(), nullable=False),
    sa.Column('last_week', sa.Date(), nullable=False),
    sa.Column('observed', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('forecast', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.Column('acknowledgement_note', sa.Text(), nullable=True),
    sa.Column('resolved_at', console.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['value_chain_id'], ['value_chain.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mevente_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mevente_alert_last_week'), ['last_week'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_alert_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_alert_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_alert_value_chain_id'), ['value_chain_id'], unique=False)

    op.create_table('mevente_forecast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_chain_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('sell_through', 'unsold_value', name='forecastmetric', native_enum=False, length=32), nullable=False),
    sa.Column('origin_week', sa.Date(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('target_week', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('trend', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('seasonal', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['value_chain_id'], ['value_chain.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('value_chain_id', 'province_id', 'metric', 'step', name='uq_mevente_forecast_step')
    )
    with op.batch_alter_table('mevente_forecast', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mevente_forecast_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_forecast_value_chain_id'), ['value_chain_id'], unique=False)

    op.create_table('mevente_forecast_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_chain_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.Enum('sell_through', 'unsold_value', name='forecastmetric', native_enum=False, length=32), nullable=False),
    sa.Column('chosen_method', sa.String(length=32), nullable=False),
    sa.Column('model_method', sa.String(length=32), nullable=False),
    sa.Column('model_mae', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('baseline_mae', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('model_mape', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('baseline_mape', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('origins', sa.Integer(), nullable=False),
    sa.Column('history_weeks', sa.Integer(), nullable=False),
    sa.Column('decided_at', console.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['value_chain_id'], ['value_chain.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('value_chain_id', 'metric', name='uq_forecast_choice_chain_metric')
    )
    op.create_table('mevente_threshold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_chain_id', sa.Integer(), nullable=True),
    sa.Column('sell_through_min', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('unsold_rise_max', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('min_unsold_value', sa.BigInteger(), nullable=False),
    sa.Column('horizon_weeks', sa.Integer(), nullable=False),
    sa.Column('unsold_age_days', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', console.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['value_chain_id'], ['value_chain.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('value_chain_id')
    )
    op.create_table('mevente_week',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('value_chain_id', sa.Integer(), nullable=False),
    sa.Column('province_id', sa.Integer(), nullable=False),
    sa.Column('map_version', sa.String(length=4), nullable=False),
    sa.Column('offered_value', sa.BigInteger(), nullable=False),
    sa.Column('sold_value', sa.BigInteger(), nullable=False),
    sa.Column('opening_value', sa.BigInteger(), nullable=False),
    sa.Column('unsold_value', sa.BigInteger(), nullable=False),
    sa.Column('sell_through', sa.Numeric(precision=7, scale=4), nullable=True),
    sa.Column('unsold_age_days', sa.Numeric(precision=7, scale=1), nullable=True),
    sa.Column('unit_code', sa.String(length=16), nullable=True),
    sa.Column('offered_quantity', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('sold_quantity', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('unsold_quantity', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('computed_at', console.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['value_chain_id'], ['value_chain.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('week_start', 'value_chain_id', 'province_id', name='uq_mevente_week_cell')
    )
    with op.batch_alter_table('mevente_week', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mevente_week_province_id'), ['province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_week_value_chain_id'), ['value_chain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mevente_week_week_start'), ['week_start'], unique=False)

    op.create_table('province_distance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_province_id', sa.Integer(), nullable=False),
    sa.Column('to_province_id', sa.Integer(), nullable=False),
    sa.Column('distance_km', sa.Integer(), nullable=False),
    sa.Column('is_approximate', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['from_province_id'], ['province.id'], ),
    sa.ForeignKeyConstraint(['to_province_id'], ['province.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('from_province_id', 'to_province_id', name='uq_province_distance_pair')
    )
    with op.batch_alter_table('province_distance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_province_distance_from_province_id'), ['from_province_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_province_distance_to_province_id'), ['to_province_id'], unique=False)

    op.create_table('mevente_alert_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['mevente_alert.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mevente_alert_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mevente_alert_event_alert_id'), ['alert_id'], unique=False)

    op.create_table('raw_material_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('input_category_id', sa.Integer(), nullable=False),
    sa.Column('output_category_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['input_category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['output_category_id'], ['category.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('input_category_id', 'output_category_id', name='uq_raw_material_pair')
    )
    with op.batch_alter_table('raw_material_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_raw_material_relation_input_category_id'), ['input_category_id'], unique=False)

    op.create_table('match_suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('candidate_key', sa.String(length=40), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('buyer_cooperative_id', sa.Integer(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('unsold_quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('listing_price', sa.BigInteger(), nullable=False),
    sa.Column('oldest_listed_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('distance_km', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('proposed', 'contacted', 'concluded', 'dismissed', name='suggestionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('status_changed_at', console.models.types.UTCDateTime(), nullable=True),
    sa.Column('status_changed_by_id', sa.Integer(), nullable=True),
    sa.Column('status_changed_by', sa.String(length=100), nullable=True),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('created_at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', console.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['buyer_cooperative_id'], ['cooperative.id'], ),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyer.id'], ),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['sale_order.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seller_id'], ['cooperative.id'], ),
    sa.ForeignKeyConstraint(['status_changed_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seller_id', 'category_id', 'candidate_key', name='uq_match_suggestion_candidate')
    )
    with op.batch_alter_table('match_suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_suggestion_seller_id'), ['seller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_suggestion_status'), ['status'], unique=False)

    op.create_table('match_suggestion_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('at', console.models.types.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['sale_order.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['match_suggestion.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('match_suggestion_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_suggestion_event_suggestion_id'), ['suggestion_id'], unique=False)


def downgrade():
    with op.batch_alter_table('match_suggestion_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_suggestion_event_suggestion_id'))

    op.drop_table('match_suggestion_event')
    with op.batch_alter_table('match_suggestion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_suggestion_status'))
        batch_op.drop_index(batch_op.f('ix_match_suggestion_seller_id'))

    op.drop_table('match_suggestion')
    with op.batch_alter_table('raw_material_relation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_raw_material_relation_input_category_id'))

    op.drop_table('raw_material_relation')
    with op.batch_alter_table('mevente_alert_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mevente_alert_event_alert_id'))

    op.drop_table('mevente_alert_event')
    with op.batch_alter_table('province_distance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_province_distance_to_province_id'))
        batch_op.drop_index(batch_op.f('ix_province_distance_from_province_id'))

    op.drop_table('province_distance')
    with op.batch_alter_table('mevente_week', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mevente_week_week_start'))
        batch_op.drop_index(batch_op.f('ix_mevente_week_value_chain_id'))
        batch_op.drop_index(batch_op.f('ix_mevente_week_province_id'))

    op.drop_table('mevente_week')
    op.drop_table('mevente_threshold')
    op.drop_table('mevente_forecast_choice')
    with op.batch_alter_table('mevente_forecast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mevente_forecast_value_chain_id'))
        batch_op.drop_index(batch_op.f('ix_mevente_forecast_province_id'))

    op.drop_table('mevente_forecast')
    with op.batch_alter_table('mevente_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mevente_alert_value_chain_id'))
        batch_op.drop_index(batch_op.f('ix_mevente_alert_status'))
        batch_op.drop_index(batch_op.f('ix_mevente_alert_province_id'))
        batch_op.drop_index(batch_op.f('ix_mevente_alert_last_week'))

    op.drop_table('mevente_alert')
