"""SQLite's own ways of reading, where they differ in kind.

The event types and the lookups by message_id run on a pooled
connection's cursor there (``storage/sqlalchemy/direct_reads.py``); what
they answer is the conformance suite's business. These tests hold them
to what the usual path gave besides: a failure raised as SQLAlchemy's
error, and no read transaction left open to hold back checkpoints.
Listings bind a page's ids as one JSON array, read by ``json_each``;
an SQLite without that function lists with an IN of the ids instead.
Statistics read whole seconds with ``unixepoch()``, or with
``strftime('%s')`` on an SQLite older than 3.38.
"""

import datetime
import sqlite3

import pytest
import sqlalchemy as sa

from panko_clone import storage
from panko_clone.storage import impl_sqlalchemy
from panko_clone.storage.models import Trait
from panko_clone.storage.sqlalchemy import statistics as sql_statistics
from tests import conftest
from tests.helpers import at, event, fetch, ids, make_conf


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


@pytest.mark.parametrize('json_each', [True, False],
                         ids=['json_each', 'without-json_each'])
def test_pages_and_their_traits_either_way(tmp_path, monkeypatch,
                                           json_each):
    monkeypatch.setattr(impl_sqlalchemy.Connection, '_sqlite_json_each',
                        lambda self: json_each)
    conf = make_conf('sqlite:///%s' % (tmp_path / 'ids.sqlite'))
    store = storage.get_connection_from_config(conf)
    try:
        store.upgrade()
        names = ['e%03d' % n for n in range(150)]
        store.record_events([
            event(name, traits={'n': n, 'name': name, 'project_id': 'p',
                                'load': n / 2, 'seen': at(minutes=n)})
            for n, name in enumerate(names)])
        page = fetch(store, {'limit': 120})
        assert ids(page) == sorted(names)[:120]
        for got in page:
            n = names.index(got.message_id)
            # Each of the four types, in name order, decoded as stored.
            assert [(t.name, t.dtype, t.value) for t in got.traits] == [
                ('load', Trait.FLOAT_TYPE, n / 2),
                ('n', Trait.INT_TYPE, n),
                ('name', Trait.TEXT_TYPE, got.message_id),
                ('project_id', Trait.TEXT_TYPE, 'p'),
                ('seen', Trait.DATETIME_TYPE, at(minutes=n))]
        rest = fetch(store, {'limit': 120, 'marker': page[-1].message_id})
        assert ids(rest) == sorted(names)[120:]
        assert ids(fetch(store, {'limit': 5}, admin_proj='p')) == names[:5]
    finally:
        conftest.close_connection(store)


@pytest.mark.parametrize('unixepoch', [True, False],
                         ids=['unixepoch', 'strftime'])
def test_statistics_buckets_to_the_microsecond_either_way(
        conn, monkeypatch, unixepoch):
    if unixepoch and sqlite3.sqlite_version_info < (3, 38):
        pytest.skip('SQLite %s has no unixepoch()' % sqlite3.sqlite_version)
    monkeypatch.setattr(sql_statistics, 'has_unixepoch',
                        lambda dialect: unixepoch)
    origin = datetime.datetime(1969, 12, 31, 23, 59)
    second = datetime.timedelta(seconds=1)
    micro = datetime.timedelta(microseconds=1)
    conn.record_events([event(str(n), generated=when) for n, when in (
        enumerate([origin, origin + 60 * second - micro,
                   origin + 60 * second, origin + 120 * second - micro,
                   origin + 120 * second + micro,
                   datetime.datetime(2024, 2, 29, 23, 59, 59, 999999)]))])
    results = conn.get_event_statistics(
        storage.EventFilter(start_timestamp=origin), period=60,
        aggregates=[('count', None)])
    assert [(r['period_start'], r['count']) for r in results] == [
        (origin, 2), (origin + 60 * second, 2), (origin + 120 * second, 1),
        (datetime.datetime(2024, 2, 29, 23, 59), 1)]
