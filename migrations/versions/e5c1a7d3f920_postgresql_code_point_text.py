"""PostgreSQL compares the store's text by code point.

PostgreSQL orders and compares text by the database's collation, and
production databases are often created with a linguistic one
(``en_US.UTF-8``, or ICU's ``en-US``): there 'a.b' sorts before 'Bar',
'é' before 'h', and a ``lt`` trait filter or the list of event types
answered differently than on SQLite, on MySQL/MariaDB (whose columns
are ``utf8mb4_nopad_bin`` since revision 5a7e1c0d2b41) and in the
memory driver, which all compare code points. Every text column is
given the "C" collation, code point order on any database; comparing
bytes is also cheaper than a linguistic collation.

A collation change keeps the rows where they are but rebuilds every
index on the columns changed, one ALTER TABLE per table. Nothing to do
on other back ends.

Revision ID: e5c1a7d3f920
Revises: b7e4a19c3d52
Create Date: 2026-11-24
"""

from alembic import op

revision = 'e5c1a7d3f920'
down_revision = 'b7e4a19c3d52'
branch_labels = None
depends_on = None

# table -> (column, length) of its text columns.
TEXT_COLUMNS = {
    'event_type': (('desc', 255),),
    'event': (('message_id', 50), ('project_id', 255), ('user_id', 255)),
    'trait_text': (('key', 255), ('value', 255)),
    'trait_int': (('key', 255),),
    'trait_float': (('key', 255),),
    'trait_datetime': (('key', 255),),
    'event_trait_type': (('key', 255),),
}


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in TEXT_COLUMNS.items():
        op.execute('ALTER TABLE %s %s' % (table, ', '.join(
            'ALTER COLUMN "%s" TYPE varchar(%d) COLLATE "C"'
            % (column, length) for column, length in columns)))
