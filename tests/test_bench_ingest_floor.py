"""The bench's ingest floor stores what record_events would have stored.

Its events stay in the store the bench goes on measuring, so each one
it writes by hand-written SQL must read back through the driver exactly
as the same event recorded by ``record_events``: traits of every type,
``generated`` to the microsecond, and the project and user columns a
member's listing filters on.
"""

import pytest

from bench import dataset
from bench import ingest_floor
from bench import parallel_ingest
from bench import schema_cost
from panko_clone import storage
from tests import conftest
from tests.helpers import as_tuple

SEED = 7


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    """Every SQL back end: the floor writes each one's own forms."""
    return conftest.sql_backend(request)


def trait(event, name):
    return next((t.value for t in event.traits if t.name == name), None)


def test_floor_events_read_back_as_recorded_ones(conn):
    gen = dataset.Generator(SEED)
    # The floor reads the event types the store already holds.
    conn.record_events(gen.batch(300))
    floor_batch = gen.batch(dataset.BATCH)
    floor = ingest_floor.IngestFloor(conn.engine)
    try:
        floor.record(floor_batch)
    finally:
        floor.close()

    expected = dataset.Generator(SEED).batch(400)
    stored = list(conn.get_events(storage.EventFilter()))
    assert sorted(map(as_tuple, stored)) == sorted(map(as_tuple, expected))
    # A member's listing finds the floor's events by project and user.
    last = [e for e in floor_batch if trait(e, 'project_id')][-1]
    project, user = trait(last, 'project_id'), trait(last, 'user_id')
    mine = conn.get_events(storage.EventFilter(traits_filter=[
        {'key': 'project_id', 'op': 'eq', 'string': project},
        {'key': 'user_id', 'op': 'eq', 'string': user}]))
    wanted = {e.message_id for e in expected
              if (trait(e, 'project_id'), trait(e, 'user_id'))
              == (project, user)}
    assert last.message_id in wanted
    assert {e.message_id for e in mine} == wanted


def test_measure_stores_both_sides_and_rates_each(conn):
    gen = dataset.Generator(SEED)
    conn.record_events(gen.batch(300))
    rates = ingest_floor.measure(conn, gen, 3)
    assert len(rates) == 2 and all(rate > 0 for rate in rates)
    # Three batches each way, all kept.
    assert gen.count == 900
    assert len(list(conn.get_events(storage.EventFilter()))) == 900


SERVER_URLS = {'postgresql': 'postgresql://postgres@127.0.0.1:5432/postgres',
               'mysql': 'mysql+pymysql://root@127.0.0.1:3306/'}


def test_schema_cost_strips_the_schema_step_by_step(backend, capsys,
                                                    tmp_path):
    url = SERVER_URLS.get(backend,
                          'sqlite:///%s' % (tmp_path / 'scratch.db'))
    name = conftest.database_name('schema_cost')
    assert schema_cost.main(['--url', url, '--database-name', name,
                             '--events', '200', '--batches', '2']) == 0
    output = capsys.readouterr().out
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split(' | ')]
        if len(cells) == 5:
            rows[cells[0]] = cells[1:]
    labels = [step[0] for step in schema_cost.STEPS]
    for label in labels:
        assert label in rows, output
    stripped = [rows[label] for label in labels]
    # Each step adds its 200 events; SQLite skips the foreign keys.
    timed = [row for row in stripped if row[0] != 'not enforced']
    assert len(timed) == (3 if backend == 'sqlite' else 4)
    assert [row[2] for row in timed] == [
        '%d -> %d' % (200 * (i + 1), 200 * (i + 2))
        for i in range(len(timed))]
    assert all(float(row[0]) > 0 for row in timed)


def test_parallel_writers_store_every_event(backend, capsys, tmp_path):
    url = SERVER_URLS.get(backend,
                          'sqlite:///%s' % (tmp_path / 'scratch.db'))
    name = conftest.database_name('parallel_ingest')
    assert parallel_ingest.main(['--url', url, '--database-name', name,
                                 '--events', '200', '--batches', '2',
                                 '--writers', '1,3', '--floor']) == 0
    output = capsys.readouterr().out
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split(' | ')]
        if len(cells) == 10 and cells[0].isdigit():
            rows[tuple(cells[:2])] = cells[2:]
    assert list(rows) == [('1', 'record_events'), ('1', 'floor'),
                          ('3', 'record_events'), ('3', 'floor')], output
    # Each writer stores two batches, all kept: the run checks the
    # store's count and stops on a shortfall.
    assert [row[6] for row in rows.values()] == [
        '200 -> 400', '400 -> 600', '600 -> 1200', '1200 -> 1800']
    for row in rows.values():
        assert float(row[0]) > 0 and float(row[2]) > 0, output
        assert float(row[5]) > 0, output
        low, high = (float(rate) for rate in row[1].split('-'))
        assert 0 < low <= high, output


def test_parallel_ingest_refuses_a_memory_store(capsys):
    assert parallel_ingest.main(['--url', 'memory://']) == 2
    assert 'one process' in capsys.readouterr().out
