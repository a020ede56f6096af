"""The bench's SQL floor reads as the driver does, on PostgreSQL too.

The floor is what a query costs as plain SQL on the raw DBAPI
connection. The driver reads outside a transaction on PostgreSQL, so
the floor must not pay a BEGIN and a ROLLBACK per query that the driver
does not, and it must hand its pooled connection back transactional.
"""

import pytest
import sqlalchemy as sa

from bench import sql_floor
from tests import conftest
from tests.helpers import at, event


@pytest.fixture(scope='module', params=('postgresql',))
def backend(request):
    """Transactions around reads cost round trips on a server only."""
    conftest.require_server(request.param)
    return request.param


def last_statement(conn, pid):
    with conn.engine.connect() as db:
        return db.execute(sa.text(
            'SELECT query FROM pg_stat_activity WHERE pid = :pid'),
            {'pid': pid}).scalar()


def test_the_floor_reads_outside_a_transaction(conn):
    conn.record_events([event('e1', 'T', at(seconds=1), {'n': 1})])
    floor = sql_floor.Floor(conn.engine)
    try:
        pid = floor.raw.dbapi_connection.get_backend_pid()
        assert floor.caller('event_types')({}) == [('T',)]
        # Nothing after the query: no ROLLBACK (nor a BEGIN before it).
        assert last_statement(conn, pid).startswith('SELECT')
    finally:
        floor.close()


def test_the_floor_hands_its_connection_back_transactional(conn):
    conn.engine.dispose()
    floor = sql_floor.Floor(conn.engine)
    floor.caller('event_types')({})
    floor.close()
    # The one pooled connection, which the floor used, again.
    with conn.engine.connect() as db:
        db.execute(sa.text("INSERT INTO event_type (\"desc\") "
                           "VALUES ('undone')"))
        db.rollback()
    assert 'undone' not in conn.get_event_types()
