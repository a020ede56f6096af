"""The floor: each benchmarked query as plain, hand-written SQL.

What a person who knows the schema would type, using the obvious
indexes, run through the raw DBAPI connection with no ORM, no object
building and no JSON decoding. A listing fetches its page of events and
then the traits of exactly those events (one SELECT per trait table),
which is the least any implementation must do to answer it. The ratio
storage-time / floor-time is then the price of the driver itself.
"""

import datetime

from panko_clone.storage.sqlalchemy import types

TRAIT_TABLES = ('trait_text', 'trait_int', 'trait_float',
                'trait_datetime')
ORDER = 'e.generated, e.message_id'


def stored_datetime(dialect, value):
    """A datetime as the column stores it on ``dialect`` (a name)."""
    if dialect == 'mysql':
        return types.datetime_to_decimal(value)
    if dialect == 'sqlite':
        return value.strftime('%Y-%m-%d %H:%M:%S.%f')
    return value


def reserved_names(dialect):
    """{word: the column name quoted} for ``desc`` and ``key``.

    ``dialect``: a name. Both are reserved words in MySQL.
    """
    quote = '`' if dialect == 'mysql' else '"'
    return {word: quote + word + quote for word in ('desc', 'key')}


class Floor:
    """Runs hand-written SQL on one raw DBAPI connection of ``engine``.

    SQL is written with ``?`` placeholders and reserved words in
    ``{desc}``/``{key}``; both are rewritten for the dialect.
    """

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        # On PostgreSQL the driver reads outside a transaction (see its
        # ``_reading``); so does the floor. psycopg2's implicit BEGIN
        # and a ROLLBACK after each query would be two round trips the
        # driver does not make, most of a small query's time: the event
        # types took 0.30 ms with them, 0.12 without, on a small store.
        self.autocommit = self.dialect == 'postgresql'
        if self.autocommit:
            self.raw.dbapi_connection.autocommit = True
        self.names = reserved_names(self.dialect)

    def close(self):
        dbapi_connection = self.raw.dbapi_connection
        if self.autocommit and dbapi_connection is not None:
            # The connection goes back to the driver's pool, whose
            # writes rely on transactions.
            dbapi_connection.autocommit = False
        self.raw.close()

    def ts(self, value):
        return stored_datetime(self.dialect, value)

    def run(self, sql, params=()):
        sql = sql.format(**self.names)
        if self.dialect != 'sqlite':
            sql = sql.replace('?', '%s')
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def done(self):
        # No transaction (and no snapshot) outlives a query.
        if not self.autocommit:
            self.raw.rollback()

    def caller(self, key):
        """The floor of query ``key`` as a call of its parameters."""
        sql = FLOORS[key]

        def call(p):
            try:
                return sql(self, p)
            finally:
                self.done()

        return call

    def page(self, where='1 = 1', params=(), limit=100, join='',
             order=ORDER):
        """A page of events with the traits of exactly those events."""
        rows = self.run(
            'SELECT e.id, e.message_id, e.generated, e.raw, t.{desc} '
            'FROM event e JOIN event_type t ON t.id = e.event_type_id '
            + join + ' WHERE ' + where + ' ORDER BY ' + order
            + ' LIMIT %d' % limit, params)
        ids = [row[0] for row in rows]
        if ids:
            marks = ', '.join('?' * len(ids))
            for table in TRAIT_TABLES:
                self.run('SELECT event_id, {key}, value FROM ' + table
                         + ' WHERE event_id IN (' + marks + ')', ids)
        return rows

    def epoch_bucket(self, period):
        """SQL for the period index of ``e.generated`` from origin ``?``."""
        if self.dialect == 'postgresql':
            return ('floor(extract(epoch from (e.generated - ?)) / %d)'
                    % period)
        if self.dialect == 'mysql':
            return 'floor((e.generated - ?) / %d)' % period
        return ("(CAST(strftime('%%s', e.generated) AS INTEGER) - ?) / %d"
                % period)

    def origin(self, value):
        """The origin parameter ``epoch_bucket`` expects."""
        if self.dialect == 'postgresql':
            return value
        if self.dialect == 'mysql':
            return types.datetime_to_decimal(value)
        return int((value - types._EPOCH).total_seconds())


TYPE_ID = '(SELECT id FROM event_type WHERE {desc} = ?)'


def default(f, p):
    return f.page()


def restricted(f, p):
    return f.page('e.project_id = ? AND e.user_id = ?',
                  (p['project'], p['user']))


def unrestricted(f, p):
    return f.page('(e.project_id = ? OR e.project_id IS NULL)',
                  (p['project'],))


def type_window(f, p):
    return f.page('e.event_type_id = ' + TYPE_ID
                  + ' AND e.generated >= ? AND e.generated <= ?',
                  (p['event_type'], f.ts(p['start']), f.ts(p['end'])))


# A trait filter walks the trait table's own copy of ``generated``.
TRAIT_ORDER = 'tr.generated, e.message_id'


def host_eq(f, p):
    return f.page("tr.{key} = 'host' AND tr.value = ?", (p['host'],),
                  join='JOIN trait_text tr ON tr.event_id = e.id',
                  order=TRAIT_ORDER)


def int_range(f, p):
    return f.page("tr.{key} = 'memory_mb' AND tr.value >= ? "
                  'AND tr.value <= ?', (p['low'], p['high']),
                  join='JOIN trait_int tr ON tr.event_id = e.id',
                  order=TRAIT_ORDER)


def by_id(f, p):
    return f.page('e.message_id = ?', (p['message_id'],))


def marker_page(f, p):
    generated, message_id = f.run(
        'SELECT generated, message_id FROM event WHERE message_id = ?',
        (p['marker'],))[0]
    if f.dialect == 'mysql':
        # MySQL does not use an index for a row-value comparison.
        return f.page('(e.generated > ? OR (e.generated = ? '
                      'AND e.message_id > ?))',
                      (generated, generated, message_id))
    return f.page('(e.generated, e.message_id) > (?, ?)',
                  (generated, message_id))


def event_types(f, p):
    return f.run('SELECT {desc} FROM event_type ORDER BY {desc}')


def trait_types(f, p):
    found = []
    for table in TRAIT_TABLES:
        found.extend(f.run(
            'SELECT DISTINCT tt.{key} FROM ' + table + ' tt '
            'JOIN event e ON e.id = tt.event_id '
            'WHERE e.event_type_id = ' + TYPE_ID
            + ' ORDER BY tt.{key}', (p['event_type'],)))
    return found


def trait_values(f, p):
    found = []
    for table in TRAIT_TABLES:
        found.extend(f.run(
            'SELECT tt.{key}, tt.value, e.generated, e.message_id FROM '
            + table + ' tt JOIN event e ON e.id = tt.event_id '
            'WHERE e.event_type_id = ' + TYPE_ID
            + " AND tt.{key} = 'host'", (p['event_type'],)))
    return found


def _histogram(f, period, where, params, origin):
    return f.run(
        'SELECT ' + f.epoch_bucket(period) + ' AS b, count(*), '
        'min(e.generated), max(e.generated) FROM event e WHERE ' + where
        + ' GROUP BY b', (f.origin(origin),) + tuple(params))


def histogram_day(f, p):
    return _histogram(f, 60, 'e.generated >= ? AND e.generated <= ?',
                      (f.ts(p['start']), f.ts(p['end'])), p['start'])


def histogram_all(f, p):
    first = f.run('SELECT min(generated) FROM event')[0][0]
    if f.dialect == 'mysql':
        first = types.decimal_to_datetime(first)
    elif f.dialect == 'sqlite':
        first = datetime.datetime.strptime(first[:19],
                                           '%Y-%m-%d %H:%M:%S')
    return _histogram(f, 3600, '1 = 1', (), first)


def groupby_type(f, p):
    return f.run(
        'SELECT t.{desc}, count(*), min(e.generated), max(e.generated) '
        'FROM event e JOIN event_type t ON t.id = e.event_type_id '
        'GROUP BY t.{desc}')


FLOORS = {name: globals()[name] for name in (
    'default', 'restricted', 'unrestricted', 'type_window', 'host_eq',
    'int_range', 'by_id', 'marker_page', 'event_types', 'trait_types',
    'trait_values', 'histogram_day', 'histogram_all', 'groupby_type')}
