"""Calls on PostgreSQL when the server session changes under them.

The SQL driver prepares a page's statements and the lookup of an event
by message_id once per server session. They must answer the same when
that session has lost its prepared statements (a pooler handing out
another session) or has been killed (a server restart, an
administrator). The pool does not ping a connection before handing it
out there, so every call must also find a killed session out itself
and carry on on a new one; and reads, which run outside transactions,
must leave their connection transactional for the writes after them.
"""

import pytest
import sqlalchemy as sa

from panko_clone import storage
from panko_clone.storage import impl_sqlalchemy
from tests import conftest
from tests.helpers import at, event, ids

PAGE = {'limit': 3}


@pytest.fixture(scope='module', params=('postgresql',))
def backend(request):
    """Server sessions are PostgreSQL's alone."""
    conftest.require_server(request.param)
    return request.param


@pytest.fixture
def listed(conn):
    conn.record_events([
        event('e%d' % n, 'T', at(seconds=n),
              {'n': n, 'host': 'h%d' % n, 'load': n / 2,
               'seen': at(minutes=n)})
        for n in range(5)])
    return list(conn.get_events(storage.EventFilter(), PAGE))


def prepared_statements(db):
    """The text of each statement prepared in ``db``'s session."""
    return list(db.execute(sa.text(
        'SELECT statement FROM pg_prepared_statements')).scalars())


def has_prepared(db, *fragments):
    return any(all(f in text for f in fragments)
               for text in prepared_statements(db))


def looked_up(conn):
    found = list(conn.get_events(storage.EventFilter(message_id='e3')))
    assert [(e.message_id, [(t.name, t.value) for t in e.traits])
            for e in found] == [('e3', [('host', 'h3'), ('load', 1.5),
                                        ('n', 3), ('seen', at(minutes=3))])]


def same_page(conn, listed):
    again = list(conn.get_events(storage.EventFilter(), PAGE))
    assert ids(again) == ['e0', 'e1', 'e2'] == ids(listed)
    assert [sorted((t.name, t.value) for t in e.traits) for e in again] == [
        sorted((t.name, t.value) for t in e.traits) for e in listed]
    assert [(t.name, t.value) for t in again[2].traits] == [
        ('host', 'h2'), ('load', 1.0), ('n', 2), ('seen', at(minutes=2))]


def test_a_listing_prepares_its_page_statements(conn, listed):
    with conn.engine.connect() as db:
        assert has_prepared(db, 'FROM trait_text', 'ANY ($1')
        assert has_prepared(db, 'FROM event JOIN event_type', 'ANY ($1')
    same_page(conn, listed)


def test_a_lookup_by_message_id_is_prepared(conn, listed):
    looked_up(conn)
    with conn.engine.connect() as db:
        assert has_prepared(db, 'LATERAL', 'event.message_id = $1')
    looked_up(conn)


def test_lost_prepared_statements_do_not_fail_a_listing(conf, listed):
    # A connection of its own: it stops preparing, the module's does not.
    own = storage.get_connection_from_config(conf)
    try:
        same_page(own, listed)
        looked_up(own)
        with own.engine.connect() as db:
            assert prepared_statements(db)
            db.execute(sa.text('DEALLOCATE ALL'))
            db.commit()
        same_page(own, listed)
        same_page(own, listed)
        looked_up(own)
    finally:
        conftest.close_connection(own)


def kill_sessions(conn):
    """Terminate every server session of ``conn``'s database."""
    assert conftest.pg_kill_sessions(conn.engine.url.database) >= 1


def test_a_killed_session_is_replaced_and_prepares_again(conn, listed):
    # One pooled connection from here on, so the one checked for its
    # statement below is the one the listing ran on.
    conn.engine.dispose()
    same_page(conn, listed)
    kill_sessions(conn)
    same_page(conn, listed)
    looked_up(conn)
    with conn.engine.connect() as db:
        assert has_prepared(db, 'FROM trait_text', 'ANY ($1')
        assert has_prepared(db, 'LATERAL', 'event.message_id = $1')


CALLS = {
    'event types': lambda conn: conn.get_event_types(),
    'trait types': lambda conn: conn.get_trait_types('T'),
    'traits': lambda conn: [(t.name, t.value)
                            for t in conn.get_traits('T', 'n')],
    'statistics': lambda conn: conn.get_event_statistics(
        storage.EventFilter(), aggregates=[{'func': 'count'}]),
    'lookup': lambda conn: ids(conn.get_events(
        storage.EventFilter(message_id='e2'))),
}


@pytest.mark.parametrize('call', sorted(CALLS))
def test_every_read_answers_on_a_killed_session(conn, listed, call):
    conn.engine.dispose()
    before = CALLS[call](conn)
    kill_sessions(conn)
    assert CALLS[call](conn) == before


def test_a_write_on_a_killed_session_is_stored_once(conn, listed):
    conn.engine.dispose()
    same_page(conn, listed)
    kill_sessions(conn)
    recorded = conn.record_events([event('e9', 'T', at(seconds=9),
                                         {'n': 9})])
    assert (recorded.created, recorded.duplicates) == (['e9'], [])
    assert ids(conn.get_events(storage.EventFilter(event_type='T'))) == [
        'e0', 'e1', 'e2', 'e3', 'e4', 'e9']


def test_reads_leave_their_connection_transactional(conn, listed):
    # Reads run outside a transaction; the one pooled connection they
    # used must still roll back what a writer does with it afterwards.
    conn.engine.dispose()
    same_page(conn, listed)
    looked_up(conn)
    with pytest.raises(storage.InvalidMarker):
        list(conn.get_events(storage.EventFilter(),
                             dict(PAGE, marker='nowhere')))
    with conn.engine.connect() as db:
        db.execute(sa.text("INSERT INTO event_type (\"desc\") "
                           "VALUES ('undone')"))
        db.rollback()
    assert 'undone' not in conn.get_event_types()


def test_an_unreachable_database_is_reported_then_recovered(conn, listed):
    with conftest.pg_refusing_connections(conn.engine.url.database):
        for call in sorted(CALLS):
            with pytest.raises(storage.StorageUnavailable):
                CALLS[call](conn)
        with pytest.raises(storage.StorageUnavailable):
            list(conn.get_events(storage.EventFilter(), PAGE))
        with pytest.raises(storage.StorageUnavailable):
            conn.record_events([event('e9', 'T', at(seconds=9), {'n': 9})])
    same_page(conn, listed)
    looked_up(conn)
    assert conn.record_events([event('e9', 'T', at(seconds=9),
                                     {'n': 9})]).created == ['e9']


def vacuums_of_event(db):
    return db.execute(sa.text(
        "SELECT vacuum_count FROM pg_stat_user_tables "
        "WHERE relname = 'event'")).scalar()


def last_statements(conn):
    """The last statement of every other session on ``conn``'s store."""
    with conn.engine.connect() as db:
        return db.execute(sa.text(
            'SELECT query FROM pg_stat_activity WHERE datname = '
            'current_database() AND pid <> pg_backend_pid()')).scalars(
            ).all()


def test_reads_after_a_statistics_refresh_send_only_their_query(conn, conf):
    # The store runs VACUUM ANALYZE, outside a transaction, as it grows.
    # Done through SQLAlchemy's AUTOCOMMIT isolation level, that left
    # its pooled connection with an explicit isolation level, and
    # psycopg2 then followed every later read on it with a SET of
    # default_transaction_isolation: a round trip more per read.
    own = storage.get_connection_from_config(conf)
    try:
        with own.engine.connect() as db:
            vacuums = vacuums_of_event(db)
        growth = impl_sqlalchemy.ANALYZE_MIN_ROWS
        own.record_events([event('g%d' % n, 'T', at(seconds=n), {'n': n})
                           for n in range(growth)])
        with own.engine.connect() as db:
            assert vacuums_of_event(db) > vacuums
        # The pool hands its connections out in turn: each one serves
        # a read.
        for _ in range(own.engine.pool.checkedin() + 1):
            assert own.get_event_types() == ['T']
        statements = last_statements(conn)
        assert statements
        assert not [s for s in statements if s.startswith('SET ')]
    finally:
        conftest.close_connection(own)


def test_a_failed_statistics_refresh_does_not_fail_the_batch(conn, conf,
                                                             caplog):
    # VACUUM waits for a lock another session holds and gives up at
    # the store's lock_timeout, after the batch has been committed: the
    # batch is reported as created, and stored, all the same.
    url = conn.engine.url.update_query_dict(
        {'options': '-c lock_timeout=200'}).render_as_string(
        hide_password=False)
    own = storage.get_connection(url, conf)
    ids_ = ['v%d' % n for n in range(impl_sqlalchemy.ANALYZE_MIN_ROWS)]
    try:
        with conn.engine.connect() as holder:
            holder.execute(sa.text(
                'LOCK TABLE event IN SHARE UPDATE EXCLUSIVE MODE'))
            recorded = own.record_events([
                event(mid, 'T', at(seconds=n), {'n': n})
                for n, mid in enumerate(ids_)])
            holder.rollback()
        assert 'Refreshing the planner statistics failed' in caplog.text
        assert (recorded.created, recorded.duplicates) == (ids_, [])
        stored = own.get_events(storage.EventFilter(event_type='T'))
        assert sorted(e.message_id for e in stored) == sorted(ids_)
        # Writes go on as usual once the lock is gone.
        again = own.record_events([event('w1', 'T', at(days=1), {})])
        assert again.created == ['w1']
    finally:
        conftest.close_connection(own)
