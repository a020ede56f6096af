"""The benchmark command still runs end to end and prints every figure.

Nothing here judges a figure (timings vary with the machine); the test
only keeps ``python -m bench`` from rotting as the code under it
changes: a tiny run on SQLite (HTTP under uWSGI, and under gunicorn,
included) and on the memory driver must print every table row with a
number in it.
"""

import datetime
import os
import random
import re
import time

import pytest

from bench import __main__ as bench_main
from bench import cpu_use
from bench import dataset
from bench import http_load
from bench import queries
from bench import storage_timings

TINY = ['--quick', '--sizes', '200', '--rss-events', '500',
        '--post-events', '200', '--http-seconds', '0.3']
NUMBER = re.compile(r'^\d+(\.\d+)?$')


def _row(output, label):
    """The cells of the table row starting with ``label``."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.split(' | ')]
        if cells[0] == label:
            return cells
    raise AssertionError('no row %r in:\n%s' % (label, output))


def _run(capsys, url, *more):
    assert bench_main.main(TINY + ['--url', url, *more]) == 0
    return capsys.readouterr().out


def _check_storage_rows(output, with_floor):
    assert NUMBER.match(_row(output, '0 -> 200')[1])
    for query in storage_timings.build_queries():
        cells = _row(output, query.label)
        median, p95, rows, floor, ratio = cells[1:6]
        assert NUMBER.match(median) and NUMBER.match(p95), cells
        assert rows.isdigit(), cells
        if with_floor:
            assert NUMBER.match(floor) and NUMBER.match(ratio), cells
        else:
            assert floor == ratio == '-', cells
    assert NUMBER.match(_row(output, 'trait values (type, host) at 200')
                        [2])
    # Over the whole store, statistics count every event of it.
    for label in ('stats: 1-hour histogram, all at 200',
                  'stats: count by event_type, all at 200'):
        events, median, per, floor_per, ratio = _row(output, label)[1:6]
        assert events == '200'
        assert NUMBER.match(median) and NUMBER.match(per)
        assert NUMBER.match(floor_per) if with_floor else floor_per == '-'
    cells = _row(output, 'memory driver, 500 events')
    assert all(NUMBER.match(c) for c in cells[1:4]), cells
    if with_floor:
        # Two batches each way, after the queries at 200.
        driver, floor, ratio = _row(output, '200 -> 600')[1:4]
        assert all(NUMBER.match(c) for c in (driver, floor, ratio))
    else:
        assert _row(output, '200')[1].startswith('skipped')


@pytest.mark.parametrize('server', http_load.SERVERS)
def test_sqlite_run_prints_every_figure(capsys, tmp_path, server):
    output = _run(capsys, 'sqlite:///%s' % (tmp_path / 'bench.db'),
                  '--http-server', server)
    _check_storage_rows(output, with_floor=True)
    assert re.search(r'^## HTTP API under %s\b' % server, output,
                     re.MULTILINE), output
    for _, label, _ in http_load.REQUESTS:
        cells = _row(output, '%s at 200' % label)
        assert NUMBER.match(cells[1]) and float(cells[1]) > 0, cells
        assert NUMBER.match(cells[3]), cells
        # Both client threads were served along the load: one left
        # waiting behind the other's kept-alive connection would get a
        # single answer, after the load.
        fewest, most = map(int, cells[4].split('-'))
        assert 2 <= fewest <= most, cells
        assert cells[5] == '0', cells
    post = _row(output, 'HTTP POST /v2/events (batches of 100)')
    assert post[1].endswith('events/s'), post
    # Every batch stored: none lost to a connection the server closed.
    assert post[5] == '0' and post[6] == '201:2', post
    for _, label, _ in http_load.REQUESTS:
        cells = _row(output, 'CPU: %s at 200' % label)
        api, server, client, total, rate = cells[1:6]
        assert NUMBER.match(api) and float(api) > 0, cells
        # SQLite has no server process: it runs inside the workers.
        assert server == '-', cells
        assert NUMBER.match(client) and NUMBER.match(rate), cells
        assert float(total) >= float(api), cells
    assert NUMBER.match(_row(output, 'largest worker')[1])
    assert int(_row(output, 'all processes')[1]) > 0


def test_memory_run_prints_every_figure(capsys):
    output = _run(capsys, 'memory://')
    _check_storage_rows(output, with_floor=False)
    for _, label, _ in http_load.REQUESTS:
        cells = _row(output, '%s at 200' % label)
        assert cells[1].startswith('skipped'), cells


@pytest.mark.parametrize('argv', [['--sizes', '0'], ['--repeat', '0']])
def test_bad_arguments_are_refused(argv):
    with pytest.raises(SystemExit):
        bench_main.parse_args(argv)


def _generated(arrival, count=2000):
    gen = dataset.Generator(7, arrival=arrival)
    return [gen.event().generated for _ in range(count)]


def test_ordered_arrival_is_time_order_give_or_take_lateness():
    times = _generated('ordered')
    lateness = datetime.timedelta(microseconds=dataset.LATENESS_US)
    latest = times[0]
    for generated in times:
        assert generated > latest - lateness
        latest = max(latest, generated)
    # Late events do happen: the order is not simply sorted.
    assert times != sorted(times)


def test_random_arrival_spreads_over_the_whole_period():
    times = _generated('random')
    assert max(times) - min(times) > datetime.timedelta(
        days=dataset.DAYS - 1)
    assert sum(a > b for a, b in zip(times, times[1:])) > len(times) / 3


def test_both_commands_take_the_arrival():
    assert bench_main.parse_args(['--arrival', 'random']).arrival == \
        'random'
    assert queries.parse_args([]).arrival == 'ordered'
    with pytest.raises(SystemExit):
        queries.parse_args(['--arrival', 'sideways'])


def test_a_day_of_events_is_one_the_store_holds():
    gen = dataset.Generator(3)
    gen.batch(500)
    rng = random.Random(1)
    for _ in range(20):
        day = dataset.some_day(rng, gen)
        assert any(day <= made[0] < day + datetime.timedelta(days=1)
                   for made in gen.made)


def test_a_call_and_its_floor_run_in_blocks_taking_turns_first():
    ran = []

    def recorder(name):
        def call(p):
            ran.append((name, p))
            return [p]
        return call

    timings = storage_timings.time_in_blocks(
        [recorder('call'), recorder('floor')], [0, 1, 2, 3, 4], budget=60)
    assert ran == [('call', 0), ('floor', 0),
                   ('call', 1), ('call', 2), ('floor', 1), ('floor', 2),
                   ('floor', 3), ('floor', 4), ('call', 3), ('call', 4)]
    assert [t.runs for t in timings] == [4, 4]
    assert [t.rows for t in timings] == [1, 1]


def test_a_counter_reads_the_last_answer_of_its_call_alone():
    def call(p):
        return [{'count': p}, {'count': 1}]

    timings = storage_timings.time_in_blocks(
        [call, call], [5, 6, 7], budget=60,
        counters=[lambda answer: sum(b['count'] for b in answer)])
    assert timings[0].events == 8
    assert timings[1].events is None
    assert [t.rows for t in timings] == [2, 2]


def test_a_call_over_its_budget_stops_after_three_runs():
    ran = []

    def slow(p):
        ran.append(p)
        time.sleep(0.01)
        return []

    timings = storage_timings.time_in_blocks(
        [slow], list(range(11)), budget=0.001)
    assert ran == [0, 1, 2, 3]
    assert timings[0].runs == 3


def test_cpu_time_of_a_process_grows_with_its_work():
    before = cpu_use.cpu_seconds([os.getpid()])
    until = time.process_time() + 0.1
    while time.process_time() < until:
        pass
    assert cpu_use.cpu_seconds([os.getpid()]) >= before + 0.05
    # A process that is gone counts nothing rather than failing.
    assert cpu_use.cpu_seconds([2 ** 22 + 1]) == 0.0
