"""Multi-row INSERTs of trait rows, built without per-row compiling.

A batch of 100 events is about 1,200 trait rows. Through
``Connection.execute(insert(table), [dict, ...])`` SQLAlchemy builds,
type-processes and checks a parameter dictionary per row, which cost
more than the database spent storing them. Here each column's bind
processor is looked up once per dialect, rows are plain tuples already
in the DBAPI driver's form, and each chunk of rows is one
``INSERT .. VALUES (..), (..)`` statement: one round trip, and SQLite
reuses the prepared statement for every full chunk.

The statement still goes through ``exec_driver_sql``, so SQLAlchemy's
and oslo.db's error translation (duplicates, deadlocks, lost
connections) applies exactly as for any other statement.
"""

import itertools

import sqlalchemy as sa

COLUMNS = ('event_id', 'key', 'value', 'generated')

# Rows per statement: 4 parameters each stays under SQLite's historic
# limit of 999 parameters per statement.
CHUNK_ROWS = 200

# Positional placeholder of each DBAPI parameter style we can write.
PLACEHOLDERS = {'qmark': '?', 'format': '%s', 'pyformat': '%s'}


class TraitWriter:
    """Writes the rows of the trait tables of one engine's dialect."""

    def __init__(self, dialect, tables):
        """``tables``: {dtype: Table}, each with the columns of COLUMNS."""
        self._tables = tables
        placeholder = PLACEHOLDERS.get(dialect.paramstyle)
        self._raw = placeholder is not None
        self._heads = {}
        self._value_binds = {}
        any_table = next(iter(tables.values()))
        self._generated_bind = self._bind(any_table.c.generated, dialect)
        preparer = dialect.identifier_preparer
        for dtype, table in tables.items():
            self._value_binds[dtype] = self._bind(table.c.value, dialect)
            self._heads[dtype] = 'INSERT INTO %s (%s) VALUES ' % (
                preparer.format_table(table),
                ', '.join(preparer.quote(c) for c in COLUMNS))
        self._row_sql = (None if placeholder is None else
                         '(%s)' % ', '.join([placeholder] * len(COLUMNS)))

    def _bind(self, column, dialect):
        """The column's bind processor, or None where none is needed.

        Without a raw parameter style SQLAlchemy's own INSERT is used,
        which processes the values itself.
        """
        if not self._raw:
            return None
        return column.type.dialect_impl(dialect).bind_processor(dialect)

    def generated(self, value):
        """``generated`` of an event, in the driver's form."""
        bind = self._generated_bind
        return value if bind is None or value is None else bind(value)

    def value_bind(self, dtype):
        """The processor of ``dtype``'s values (None: pass them as is)."""
        return self._value_binds[dtype]

    def insert(self, db, dtype, rows):
        """INSERT ``rows`` of (event_id, key, value, generated)."""
        if not self._raw:
            db.execute(sa.insert(self._tables[dtype]),
                       [dict(zip(COLUMNS, row)) for row in rows])
            return
        head = self._heads[dtype]
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            db.exec_driver_sql(
                head + ', '.join([self._row_sql] * len(chunk)),
                tuple(itertools.chain.from_iterable(chunk)))
