"""SQLite's reads on the DBAPI cursor, where they differ in kind.

The event types and the lookups by message_id run on a pooled
connection's cursor there (``storage/sqlalchemy/direct_reads.py``); what
they answer is the conformance suite's business. These tests hold them
to what the usual path gave besides: a failure raised as SQLAlchemy's
error, and no read transaction left open to hold back checkpoints.
"""

import sqlite3

import pytest
import sqlalchemy as sa

from panko_clone import storage
from tests import conftest
from tests.helpers import event, fetch, ids, make_conf


@pytest.fixture(scope='module', params=('sqlite',))
def backend(request):
    return request.param


def test_lookups_leave_no_read_transaction_open(conn):
    conn.record_events([event('a', traits={'n': 1}), event('b')])
    assert ids(fetch(conn, message_id='a', admin_proj='p')) == ['a']
    assert conn.get_event_types() == ['Foo']
    conn.record_events([event('c')])
    checker = sqlite3.connect(conn.engine.url.database)
    try:
        # A snapshot still held would keep the WAL from being emptied.
        busy, _, _ = checker.execute(
            'PRAGMA wal_checkpoint(TRUNCATE)').fetchone()
    finally:
        checker.close()
    assert busy == 0
    assert ids(fetch(conn, message_id='c')) == ['c']


def test_failures_are_raised_as_sqlalchemy_errors(tmp_path):
    # A store whose schema was never created: every read fails.
    conf = make_conf('sqlite:///%s' % (tmp_path / 'bare.sqlite'))
    bare = storage.get_connection_from_config(conf)
    try:
        with pytest.raises(sa.exc.OperationalError, match='no such table'):
            bare.get_event_types()
        with pytest.raises(sa.exc.OperationalError, match='no such table'):
            fetch(bare, message_id='a', traits_filter=[
                {'key': 'project_id', 'op': 'eq', 'string': 'p'}])
    finally:
        conftest.close_connection(bare)
