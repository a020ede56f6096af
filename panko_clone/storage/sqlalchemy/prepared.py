"""Statements PostgreSQL plans once per connection instead of per call.

psycopg2 sends every statement as text, so the server parses and plans
it each time. A page's traits are a UNION ALL of four index lookups,
which took the server longer to plan than to run: with the statement
prepared once on a connection (``PREPARE``), each page only runs it,
and the server's CPU per listing page fell from 1.9 to 0.7 ms (10k
events).

A prepared statement lives as long as the server session. What has
been prepared on a connection is noted in the pool's ``info`` for it,
which SQLAlchemy empties whenever it replaces the DBAPI connection (a
server restart, a recycle), so a new session prepares again. A pooler
that moves a client between server sessions (PgBouncer in transaction
mode) loses them; the caller catches that with :func:`lost` and stops
preparing.
"""

import sqlalchemy as sa

# The key, in a pooled connection's ``info``, of the set of names
# prepared on it.
PREPARED_NAMES = 'panko_clone.prepared'

# SQLSTATE invalid_sql_statement_name: EXECUTE of a name the session
# does not hold.
STATEMENT_MISSING = '26000'


class Prepared:
    """``statement`` as a prepared statement ``name`` of one dialect.

    ``params`` names the statement's bound parameters, in the order
    EXECUTE passes them; ``prefix`` is SQL sent in the same round trip
    before the EXECUTE (a ``SET LOCAL``); ``columns``, where given, type
    the result's columns as the statement's own would be.
    """

    def __init__(self, name, statement, dialect, params, prefix='',
                 columns=()):
        compiled = statement.compile(dialect=dialect)
        # psycopg2's compiled text names its parameters %(name)s; the
        # formatting also turns an escaped %% back into %.
        numbered = {param: '$%d' % position
                    for position, param in enumerate(params, 1)}
        self.name = name
        self._prepare = 'PREPARE %s AS %s' % (name,
                                              compiled.string % numbered)
        self._execute = sa.text('%sEXECUTE %s(%s)' % (
            prefix, name, ', '.join(':' + param for param in params)))
        if columns:
            self._execute = self._execute.columns(*columns)

    def on(self, db):
        """The EXECUTE to run on ``db``, prepared there first if need be.

        The PREPARE outlives the transaction it runs in, even when that
        one rolls back.
        """
        done = db.connection.info.setdefault(PREPARED_NAMES, set())
        if self.name not in done:
            db.exec_driver_sql(self._prepare)
            done.add(self.name)
        return self._execute


def lost(err):
    """Whether ``err`` is an EXECUTE of a statement the session lost."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if getattr(err, 'pgcode', None) == STATEMENT_MISSING:
            return True
        err = (getattr(err, 'orig', None)
               or getattr(err, 'inner_exception', None)
               or err.__cause__ or err.__context__)
    return False
