"""Statements PostgreSQL plans once per connection instead of per call.

psycopg2 sends every statement as text, so the server parses and plans
it each time. Some of ours took the server longer to plan than to run:
a page's traits (a UNION ALL of four index lookups) planned in 0.9 ms
and ran in 0.7; an event looked up by message_id with its traits
planned in 1.1 ms and ran in 0.2 (10k events). Prepared once on a
connection (``PREPARE``), each call only runs them.

A statement asks for it with :func:`planned_once`, and only statements
whose plan does not depend on their values do: lookups by primary or
unique key, and an index range read in the index's order up to a
limit (which asks for the generic plan in its prefix).
:class:`Preparer`, a ``before_cursor_execute`` hook, turns such a
statement into an ``EXECUTE`` of a statement it prepares on the
connection the first time; results are decoded as the original
statement's, since they are its rows.

A prepared statement lives as long as the server session. What has
been prepared on a connection is noted in the pool's ``info`` for it,
which SQLAlchemy empties whenever it replaces the DBAPI connection (a
server restart, a recycle), so a new session prepares again. A pooler
that moves a client between server sessions (PgBouncer in transaction
mode) loses them: the caller recognises that error with :func:`lost`
and turns the preparer off.
"""

import hashlib
import re

import sqlalchemy as sa

from panko_clone.storage.sqlalchemy import errors

# Execution option of a statement to prepare; its value is SQL sent
# before the EXECUTE, in the same round trip.
PREPARE = 'panko_clone_prepare'

# The key, in a pooled connection's ``info``, of the set of names
# prepared on it.
PREPARED_NAMES = 'panko_clone.prepared'

# SQLSTATE invalid_sql_statement_name: EXECUTE of a name the session
# does not hold.
STATEMENT_MISSING = '26000'

# Distinct statements an engine prepares at most (each costs server
# memory in every session); beyond them, statements run as they are.
MOST_STATEMENTS = 32

# psycopg2's named parameters, as SQLAlchemy renders them.
PARAMETER = re.compile(r'%\((\w+)\)s')


def planned_once(statement, prefix=''):
    """``statement``, marked to be prepared where a :class:`Preparer` is.

    ``prefix`` (a ``SET LOCAL ..; ``) goes before its EXECUTE.
    """
    return statement.execution_options(**{PREPARE: prefix})


def can_prepare(dialect):
    """Whether :class:`Preparer` can rewrite ``dialect``'s statements."""
    return dialect.name == 'postgresql' and dialect.driver == 'psycopg2'


class Preparer:
    """Rewrites marked statements of one engine into EXECUTEs.

    Listen to the engine's ``before_cursor_execute`` with
    ``retval=True``. ``enabled`` may be set False to stop.
    """

    def __init__(self):
        self.enabled = True
        # Statement text -> (name, PREPARE text, EXECUTE text).
        self._known = {}

    def __call__(self, conn, cursor, statement, parameters, context,
                 executemany):
        prefix = context.execution_options.get(PREPARE)
        if prefix is None or executemany or not self.enabled:
            return statement, parameters
        known = self._known.get(statement)
        if known is None:
            if len(self._known) >= MOST_STATEMENTS:
                return statement, parameters
            known = self._known[statement] = self._translate(statement)
        name, prepare, execute = known
        done = conn.connection.info.setdefault(PREPARED_NAMES, set())
        if name not in done:
            # Outlives this transaction, even if it rolls back.
            cursor.execute(prepare)
            done.add(name)
        return prefix + execute, parameters

    @staticmethod
    def _translate(statement):
        """(name, PREPARE, EXECUTE) of a statement's text.

        The name is the text's digest: threads translating at once agree
        on it, and no two texts share one.
        """
        name = 'panko_clone_' + hashlib.sha1(
            statement.encode('utf-8')).hexdigest()[:20]
        params = list(dict.fromkeys(PARAMETER.findall(statement)))
        number = {param: '$%d' % n for n, param in enumerate(params, 1)}
        # Run without parameters, so an escaped %% is a plain % again.
        body = PARAMETER.sub(lambda m: number[m.group(1)],
                             statement).replace('%%', '%')
        execute = 'EXECUTE %s' % name
        if params:
            execute += '(%s)' % ', '.join('%%(%s)s' % p for p in params)
        return name, 'PREPARE %s AS %s' % (name, body), execute


def install(engine):
    """A :class:`Preparer` rewriting ``engine``'s marked statements."""
    preparer = Preparer()
    sa.event.listen(engine, 'before_cursor_execute', preparer,
                    retval=True)
    return preparer


def lost(err):
    """Whether ``err`` is an EXECUTE of a statement the session lost."""
    return any(getattr(cause, 'pgcode', None) == STATEMENT_MISSING
               for cause in errors.causes(err))
