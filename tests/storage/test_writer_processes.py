"""Writers in processes of their own never fail each other.

A deployment writes from several processes at once: Ceilometer's
notification agents through the storage API, the API's workers for
``POST /v2/events``. Each batch of 100 events with a dozen traits reads
the store before it writes. On SQLite a transaction that began before
another writer's commit used to be refused with "database is locked" at
its first write; with eight writer processes a batch failed in every
run. The in-memory driver lives in one process, so this concerns the
SQL back ends.
"""

import multiprocessing

import pytest

from panko_clone import storage
from tests import conftest
from tests.helpers import at, event, fetch

WRITER_PROCESSES = 8
WRITER_BATCHES = 20


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    return conftest.sql_backend(request)


def write_batches(url, index, results):
    """A writer process: WRITER_BATCHES batches of 100 events.

    Puts (index, events created) on ``results``, or (index, the error).
    """
    try:
        conn = storage.get_connection_from_config(conftest.make_conf(url))
        created = 0
        for round_ in range(WRITER_BATCHES):
            created += len(conn.record_events([
                event('p%d-%d-%03d' % (index, round_, i),
                      'Type-%d' % (i % 5), at(seconds=round_),
                      {'n%d' % k: '%d-%d' % (index, i * k)
                       for k in range(12)})
                for i in range(100)]).created)
        results.put((index, created))
    except Exception as err:  # handed to the test's process
        results.put((index, repr(err)))


def test_every_batch_of_every_writer_is_stored(conn, db_url):
    context = multiprocessing.get_context('spawn')
    results = context.Queue()
    writers = [context.Process(target=write_batches,
                               args=(db_url, index, results))
               for index in range(WRITER_PROCESSES)]
    for writer in writers:
        writer.start()
    got = sorted(results.get(timeout=600) for _ in writers)
    for writer in writers:
        writer.join()
    assert got == [(index, WRITER_BATCHES * 100)
                   for index in range(WRITER_PROCESSES)]
    assert len(fetch(conn)) == WRITER_PROCESSES * WRITER_BATCHES * 100
