"""``panko-clone-expirer`` against a configured database, every back end.

The command is run as its console script's function with a
``--config-file`` of its own, logging to a file, so what is checked is
what an operator's cron job would do and see.
"""

import datetime
import threading

import pytest

from panko_clone.cmd import storage as storage_cmd
from panko_clone import storage
from tests.helpers import event, fetch, ids


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def run_expirer(conf, store, backend, conn, tmp_path, monkeypatch):
    """Run the expirer with these ``[database]`` options; its log text."""
    if backend == 'memory':
        # The command opens its own connection; an in-memory store is
        # private to one, so it is handed the module's.
        monkeypatch.setattr(storage, 'get_connection',
                            lambda url, conf_: store)

    def run(ttl, batch=0):
        log_file = tmp_path / 'expirer.log'
        config = tmp_path / 'panko_clone.conf'
        config.write_text(
            '[DEFAULT]\nlog_file = %s\n'
            '[database]\nconnection = %s\nevent_time_to_live = %d\n'
            'events_delete_batch_size = %d\n'
            '[storage]\nmax_retries = 0\n'
            % (log_file, conf.database.connection, ttl, batch))
        assert storage_cmd.expirer(['--config-file', str(config)]) == 0
        return log_file.read_text()

    return run


def aged(prefix, count, age, event_type='Aged'):
    when = utcnow() - age
    return [event('%s-%03d' % (prefix, i), event_type,
                  when + datetime.timedelta(seconds=i), {'i': i})
            for i in range(count)]


def test_removes_expired_events_in_batches(run_expirer, conn):
    conn.record_events(aged('old', 23, datetime.timedelta(days=2))
                       + aged('new', 3, datetime.timedelta(minutes=1),
                              'Fresh'))
    log = run_expirer(ttl=86400, batch=5)
    assert sorted(ids(fetch(conn))) == ['new-000', 'new-001', 'new-002']
    assert list(conn.get_event_types()) == ['Fresh']
    for number, count in enumerate([5, 5, 5, 5, 3], start=1):
        assert ('Expirer batch %d: removed %d events (batch size 5)'
                % (number, count)) in log
    assert 'Expirer batch 6' not in log
    assert 'Expirer removed 23 events older than 86400 seconds' in log


def test_a_full_last_batch_is_followed_by_an_empty_one(run_expirer, conn):
    conn.record_events(aged('old', 10, datetime.timedelta(days=2)))
    log = run_expirer(ttl=3600, batch=5)
    assert fetch(conn) == []
    assert 'Expirer batch 3: removed 0 events (batch size 5)' in log
    assert 'Expirer removed 10 events older than 3600 seconds' in log


def test_batch_size_0_removes_everything_at_once(run_expirer, conn):
    conn.record_events(aged('old', 1200, datetime.timedelta(days=2))
                       + aged('new', 1, datetime.timedelta(0)))
    log = run_expirer(ttl=3600, batch=0)
    assert ids(fetch(conn)) == ['new-000']
    assert 'Expirer batch' not in log
    assert 'Expirer removed 1200 events older than 3600 seconds' in log


@pytest.mark.parametrize('ttl', [-1, 0])
def test_disabled_ttl_keeps_everything(run_expirer, conn, ttl):
    conn.record_events(aged('old', 4, datetime.timedelta(days=400)))
    log = run_expirer(ttl=ttl, batch=2)
    assert len(fetch(conn)) == 4
    assert ('Nothing to clean, database event time to live is disabled'
            in log)


def test_concurrent_writes_are_kept(run_expirer, conn):
    """The API keeps writing while the expirer works through a backlog."""
    conn.record_events(aged('old', 400, datetime.timedelta(days=3)))
    stop = threading.Event()
    created = []
    errors = []

    def write():
        round_ = 0
        try:
            # Until the expirer is done, and at least a few rounds.
            while not stop.is_set() or round_ < 5:
                result = conn.record_events([
                    event('new-%d-%d' % (round_, i), 'Aged', utcnow())
                    for i in range(4)])
                created.extend(result.created)
                round_ += 1
        except Exception as err:  # handed to the test thread
            errors.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        log = run_expirer(ttl=86400, batch=25)
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert 'Expirer removed 400 events older than 86400 seconds' in log
    assert len(created) >= 20
    assert sorted(ids(fetch(conn))) == sorted(created)
    assert list(conn.get_event_types()) == ['Aged']
