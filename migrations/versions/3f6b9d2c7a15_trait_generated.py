"""Each trait row carries its event's ``generated``; trait indexes use it.

A trait filter asks for the matching events in (generated, message_id)
order, a page at a time. With only (key, value) in the index, every
match had to be joined to its event and sorted before the first page
came out, so the cost grew with the number of matches and so with the
store. With ``generated`` in the index path:

- ``eq`` walks (key, value, generated) already in page order and stops
  after a page;
- a range walks (key, generated, value) in page order, testing the
  value inside the index, and stops after a page: its cost follows the
  page size over the filter's selectivity, not the store's size. Only
  the numeric and datetime tables get this second index: ranges over
  text are rare, and text traits are most of the rows written.

``generated`` never changes once an event is stored, so the copy cannot
go stale.

Revision ID: 3f6b9d2c7a15
Revises: 8d2f4b6a1e93
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

from panko_clone.storage.sqlalchemy import types

revision = '3f6b9d2c7a15'
down_revision = '8d2f4b6a1e93'
branch_labels = None
depends_on = None

TRAIT_TABLES = ('trait_text', 'trait_int', 'trait_float', 'trait_datetime')

# Tables whose ``value`` is commonly filtered by range.
RANGE_TABLES = ('trait_int', 'trait_float', 'trait_datetime')


def _backfill(name):
    """Copy each event's ``generated`` onto its trait rows."""
    event = sa.table('event', sa.column('id'), sa.column('generated'))
    trait = sa.table(name, sa.column('event_id'), sa.column('generated'))
    generated = (sa.select(event.c.generated)
                 .where(event.c.id == trait.c.event_id)
                 .scalar_subquery())
    op.execute(sa.update(trait).values(generated=generated))


def upgrade():
    for name in TRAIT_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column('generated',
                                       types.PreciseTimestamp()))
        _backfill(name)
        op.drop_index('ix_%s_key_value' % name, table_name=name)
        op.create_index('ix_%s_key_value_generated' % name, name,
                        ['key', 'value', 'generated', 'event_id'])
        if name in RANGE_TABLES:
            op.create_index('ix_%s_key_generated_value' % name, name,
                            ['key', 'generated', 'value', 'event_id'])
