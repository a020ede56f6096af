"""Panko 10's schema, created where missing.

The revision id is Panko's own last one, so a Panko database stamped with
it continues from here, and one that Panko's dbsync created without any
``alembic_version`` table passes through this step unchanged but for the
64-bit ``trait_int.value`` that Panko's revision introduced.

Revision ID: c3955547bff2
Revises:
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

from panko_clone.storage.sqlalchemy import types

revision = 'c3955547bff2'
down_revision = None
branch_labels = None
depends_on = None

TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}

TRAIT_TABLES = (
    ('trait_text', sa.String(255)),
    ('trait_int', sa.BigInteger()),
    ('trait_float', sa.Float(53)),
    ('trait_datetime', types.PreciseTimestamp()),
)


def upgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if 'event_type' not in existing:
        op.create_table(
            'event_type',
            sa.Column('id', sa.Integer, primary_key=True),
            sa.Column('desc', sa.String(255), unique=True),
            **TABLE_ARGS)
    if 'event' not in existing:
        op.create_table(
            'event',
            sa.Column('id', sa.Integer, primary_key=True),
            sa.Column('message_id', sa.String(50), unique=True),
            sa.Column('generated', types.PreciseTimestamp()),
            sa.Column('raw', sa.Text),
            sa.Column('event_type_id', sa.Integer,
                      sa.ForeignKey('event_type.id')),
            **TABLE_ARGS)
        op.create_index('ix_event_message_id', 'event', ['message_id'])
        op.create_index('ix_event_type_id', 'event', ['event_type_id'])
        op.create_index('ix_event_generated', 'event', ['generated'])
    for name, value_type in TRAIT_TABLES:
        if name in existing:
            continue
        op.create_table(
            name,
            sa.Column('event_id', sa.Integer, sa.ForeignKey('event.id'),
                      primary_key=True),
            sa.Column('key', sa.String(255), primary_key=True),
            sa.Column('value', value_type),
            **TABLE_ARGS)
        op.create_index('ix_%s_event_id_key' % name, name,
                        ['event_id', 'key'])
    if 'trait_int' in existing:
        with op.batch_alter_table('trait_int') as batch:
            batch.alter_column('value', type_=sa.BigInteger(),
                               existing_nullable=True)
