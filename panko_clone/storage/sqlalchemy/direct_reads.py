"""SQLite's smallest reads, run on the DBAPI cursor.

On SQLite a query costs no round trip, only the library's own work: the
event types took 10 us as hand-written SQL on a pysqlite cursor, and an
event looked up by message_id with its traits 35 us. Through a
SQLAlchemy ``Connection`` the same statements, built once, took 95 and
320 us: a transaction's BEGIN (which oslo.db emits as a statement of
its own), the execution context, the result object and its rows cost
far more than SQLite does. These reads have a fixed shape and a row or
a few dozen as their answer, so here they are compiled once by
SQLAlchemy, for the engine's dialect, and run as their SQL text on a
pooled DBAPI connection.

A :class:`DirectStatement` only takes parameters that need no
conversion on the way in (text and integers); its result columns are
decoded by the same result processors SQLAlchemy would apply. DBAPI
errors are raised wrapped as SQLAlchemy wraps them, so callers see the
same exceptions either way.
"""

import contextlib

import sqlalchemy as sa


class DirectStatement:
    """A Core ``statement`` compiled once for ``dialect``.

    Parameters are bound by name, as in the statement; each result
    column is decoded as its column type says.
    """

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if not compiled.positional:
            raise ValueError('%s binds parameters by name: not a direct '
                             'read' % dialect.driver)
        # What the driver raises (sqlite3's, or a fork's like sqlcipher).
        self._dbapi_error = dialect.loaded_dbapi.Error
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ())
        for name in set(self.names):
            bind_type = compiled.binds[name].type
            if bind_type.dialect_impl(dialect).bind_processor(dialect):
                raise ValueError('parameter %r needs converting: not a '
                                 'direct read' % name)
        self.processors = tuple(
            column.type.dialect_impl(dialect).result_processor(
                dialect, None)
            for column in statement.selected_columns)
        # (position, processor) of the columns that need decoding.
        self._decoding = tuple(
            (position, process)
            for position, process in enumerate(self.processors)
            if process is not None)

    def rows(self, cursor, values, decode=True):
        """The rows of the statement for ``values`` by name.

        Decoded, or with ``decode=False`` as the DBAPI gives them, for a
        caller that applies ``processors`` (None: keep the value) to
        the values it uses.
        """
        params = [values[name] for name in self.names]
        try:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        except self._dbapi_error as err:
            raise sa.exc.DBAPIError.instance(
                self.sql, params, err, self._dbapi_error) from err
        if not decode or not self._decoding:
            return rows
        decoded = []
        for row in rows:
            row = list(row)
            for position, process in self._decoding:
                if row[position] is not None:
                    row[position] = process(row[position])
            decoded.append(row)
        return decoded


@contextlib.contextmanager
def cursor(engine, snapshot=False):
    """A cursor of a pooled DBAPI connection of ``engine``.

    With ``snapshot``, the statements run in one read transaction, so
    several read the same state of the file; it is rolled back when
    the cursor is done with.
    """
    connection = engine.raw_connection()
    try:
        cur = connection.cursor()
        try:
            if snapshot:
                cur.execute('BEGIN')
            yield cur
        finally:
            cur.close()
            if snapshot:
                connection.rollback()
    finally:
        connection.close()


def rows_within(db, statement, values, decode=True):
    """``statement.rows`` on the DBAPI connection of Connection ``db``.

    The statement runs in whatever transaction ``db`` is in, so it reads
    the state the statements ``db`` ran before it read.
    """
    cur = db.connection.dbapi_connection.cursor()
    try:
        return statement.rows(cur, values, decode)
    finally:
        cur.close()
