"""An SQLite file that another program keeps locked.

A writer waits for the lock (the busy timeout) and tries again; if the
lock is still held after its last try, the call fails with
StorageUnavailable (the API's 503), with nothing written, and the same
call succeeds once the lock is let go. Readers go on meanwhile: in WAL
mode they never wait for a writer.
"""

import sqlite3

import pytest

from panko_clone import storage
from panko_clone.storage import impl_sqlalchemy
from tests.helpers import event, fetch, ids, make_conf


@pytest.fixture(scope='module', params=('sqlite',))
def backend(request):
    return request.param


@pytest.fixture
def impatient(conn, db_url, monkeypatch):
    """A storage connection that waits 50 ms for a lock, trying twice."""
    monkeypatch.setattr(impl_sqlalchemy, 'SQLITE_BUSY_TIMEOUT_MS', 50)
    monkeypatch.setattr(impl_sqlalchemy, 'WRITE_RETRIES', 1)
    monkeypatch.setattr(impl_sqlalchemy, 'BUSY_RETRIES', 1)
    writer = storage.get_connection_from_config(make_conf(db_url))
    yield writer
    writer.engine.dispose()


def test_a_lock_held_throughout_is_unavailable_until_let_go(conn,
                                                            impatient):
    impatient.record_events([event('before')])
    holder = sqlite3.connect(conn.engine.url.database, isolation_level=None)
    try:
        holder.execute('BEGIN IMMEDIATE')
        with pytest.raises(storage.StorageUnavailable, match='locked'):
            impatient.record_events([event('during')])
        with pytest.raises(storage.StorageUnavailable, match='locked'):
            impatient.delete_events(storage.EventFilter(event_type='Foo'))
        assert ids(fetch(impatient)) == ['before']
    finally:
        holder.execute('ROLLBACK')
        holder.close()
    assert impatient.record_events([event('during')]).created == ['during']
    assert impatient.delete_events(
        storage.EventFilter(event_type='Foo')) == 2
    assert fetch(conn) == []
