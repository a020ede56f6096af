"""A summary of trait names per event type; fewer indexes to write.

``event_trait_type`` holds one row per (event type, trait name, trait
type) ever recorded, so ``get_trait_types`` reads a few rows instead of
every trait of every event of the type. Rows are added by
``record_events`` and never need to be exact after deletes: readers
check each one against the trait tables (see the driver).

Indexes that another index already covers (same leading columns, or the
primary key) are dropped: each one cost a B-tree insert per row on every
ingest and served no query the wider one does not. PostgreSQL gets
planner aids (see ``_postgresql_planner_aids``).

Revision ID: 8d2f4b6a1e93
Revises: 5a7e1c0d2b41
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

revision = '8d2f4b6a1e93'
down_revision = '5a7e1c0d2b41'
branch_labels = None
depends_on = None

TRAIT_TABLES = (('trait_text', 1), ('trait_int', 2), ('trait_float', 3),
                ('trait_datetime', 4))

TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB',
              'mysql_collate': 'utf8mb4_nopad_bin'}

# (index, table) pairs made redundant: the unique constraint on
# message_id, ix_event_generated_message_id, ix_event_type_generated and
# the trait tables' primary keys (event_id, key) serve the same lookups.
REDUNDANT_INDEXES = (
    ('ix_event_message_id', 'event'),
    ('ix_event_generated', 'event'),
    ('ix_event_type_id', 'event'),
) + tuple(('ix_%s_event_id_key' % name, name) for name, _ in TRAIT_TABLES)


def _backfill():
    summary = sa.table('event_trait_type', sa.column('event_type_id'),
                       sa.column('key'), sa.column('dtype'))
    event = sa.table('event', sa.column('id'), sa.column('event_type_id'))
    for name, dtype in TRAIT_TABLES:
        trait = sa.table(name, sa.column('event_id'), sa.column('key'))
        found = (sa.select(event.c.event_type_id, trait.c.key,
                           sa.literal(dtype))
                 .join(event, event.c.id == trait.c.event_id)
                 .where(event.c.event_type_id.is_not(None))
                 .distinct())
        op.execute(summary.insert().from_select(
            ['event_type_id', 'key', 'dtype'], found))


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if 'event_trait_type' in inspector.get_table_names():
        # Left behind by an earlier run over tables since replaced (a
        # re-created Panko database): rebuilt from what is there now.
        op.execute(sa.text('DELETE FROM event_trait_type'))
    else:
        _create_summary()
    _backfill()
    existing = {}
    for _, table in REDUNDANT_INDEXES:
        if table not in existing:
            existing[table] = {ix['name']
                               for ix in inspector.get_indexes(table)}
    for index, table in REDUNDANT_INDEXES:
        if index in existing[table]:
            op.drop_index(index, table_name=table)
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_planner_aids(inspector)


def _postgresql_planner_aids(inspector):
    """What PostgreSQL's planner needs to pick the index-ordered plans.

    A user belongs to one project, so the planner, multiplying the two
    columns' selectivities, expects a restricted listing to match a
    hundred times fewer rows than it does and sorts them all instead of
    walking the (project, user, generated) index: functional-dependency
    statistics tell it otherwise. An index on (id, generated,
    message_id) lets a trait filter order its matches by index-only
    probes (once VACUUM has marked the pages visible) instead of a heap
    fetch per match.
    """
    op.execute('CREATE STATISTICS IF NOT EXISTS st_event_project_user '
               '(dependencies, ndistinct) ON project_id, user_id '
               'FROM event')
    if 'ix_event_id_generated' not in {
            ix['name'] for ix in inspector.get_indexes('event')}:
        op.create_index('ix_event_id_generated', 'event',
                        ['id', 'generated', 'message_id'])


def _create_summary():
    op.create_table(
        'event_trait_type',
        sa.Column('event_type_id', sa.Integer, primary_key=True),
        sa.Column('dtype', sa.Integer, primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        **TABLE_ARGS)
