"""Visibility columns and the indexes every listing query walks.

``event.project_id`` / ``event.user_id`` copy the text traits of those
names (backfilled here for adopted Panko data) so that the RBAC rules
and the ``generated`` order come from one composite index; (key, value)
indexes let trait filters start from the trait tables.

Revision ID: 5a7e1c0d2b41
Revises: c3955547bff2
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

revision = '5a7e1c0d2b41'
down_revision = 'c3955547bff2'
branch_labels = None
depends_on = None

EVENT_INDEXES = (
    ('ix_event_generated_message_id', ['generated', 'message_id']),
    ('ix_event_type_generated', ['event_type_id', 'generated',
                                 'message_id']),
    ('ix_event_project_generated', ['project_id', 'generated',
                                    'message_id']),
    ('ix_event_project_user_generated', ['project_id', 'user_id',
                                         'generated', 'message_id']),
)

TRAIT_TABLES = ('trait_text', 'trait_int', 'trait_float', 'trait_datetime')

# MySQL's default collations fold case and ignore trailing spaces, which
# would merge 'Compute.Start' into 'compute.start' and let an ``eq`` trait
# filter match values it should not. Exact, 4-byte-safe comparison:
MYSQL_COLLATION = 'utf8mb4_nopad_bin'


def _exact_text_on_mysql():
    """Convert every table (Panko's used 3-byte utf8) to exact utf8mb4."""
    bind = op.get_bind()
    if bind.dialect.name != 'mysql':
        return
    for table in ('event_type', 'event') + TRAIT_TABLES:
        op.execute('ALTER TABLE %s CONVERT TO CHARACTER SET utf8mb4 '
                   'COLLATE %s' % (table, MYSQL_COLLATION))


def _backfill(column):
    """Copy the text trait ``column`` of every event onto the event."""
    event = sa.table('event', sa.column('id'), sa.column(column))
    trait = sa.table('trait_text', sa.column('event_id'), sa.column('key'),
                     sa.column('value'))
    value = (sa.select(trait.c.value)
             .where(trait.c.event_id == event.c.id, trait.c.key == column)
             .scalar_subquery())
    op.execute(sa.update(event).values({column: value}))


def upgrade():
    _exact_text_on_mysql()
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('project_id', sa.String(255)))
        batch.add_column(sa.Column('user_id', sa.String(255)))
    _backfill('project_id')
    _backfill('user_id')
    for name, columns in EVENT_INDEXES:
        op.create_index(name, 'event', columns)
    for table in TRAIT_TABLES:
        op.create_index('ix_%s_key_value' % table, table,
                        ['key', 'value', 'event_id'])
