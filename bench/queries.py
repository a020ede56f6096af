"""Time the storage calls the API makes, at growing store sizes.

Run as ``python -m bench.queries [--url URL] [--sizes 10000,100000]
[--repeat N]``. The store is filled deterministically (``--seed``) with
events shaped like the ones PANKO-COSTS.md measured Panko 10 with: twelve
traits each (seven text, three integer, one float, one datetime), twenty
event types, a hundred projects, three hundred users, a few percent of
events without a ``project_id`` trait, arriving in time order
(``--arrival``, see ``bench/dataset.py``). It is grown in steps (fill
to the first size, measure, fill on to the next, measure, ...), so one
run shows how each query scales.

Figures only: nothing is asserted. With ``--explain NAME[,NAME]`` (or
``all``) the SQL that the driver emitted for those queries at the last
size is printed with its plan (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN`` on MySQL).

A PostgreSQL or MySQL URL never has its own database used: the script
creates (and afterwards drops, unless ``--keep``) a database named
``pc_bench`` on that server.
"""

import argparse
import datetime
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa

from bench import database
from bench import dataset
from bench import report
from panko_clone import storage

BENCH_DATABASE = 'pc_bench'
# The store's shape and its generator are shared with ``python -m bench``.
MEMORY_STEP = dataset.MEMORY_STEP
MEMORY_STEPS = dataset.MEMORY_STEPS
MEMORY_WINDOW = dataset.MEMORY_WINDOW
EVENT_TYPES = dataset.EVENT_TYPES
PROJECTS = dataset.PROJECTS
HOSTS = dataset.HOSTS
Generator = dataset.Generator


# -- the queries -----------------------------------------------------------

def _page(limit=100, marker=None):
    return {'limit': limit, 'marker': marker, 'sort': None}


def build_queries(gen, rng):
    """(name, callable(conn) -> rows) for every measured call.

    Each callable draws its parameters from ``rng`` on every run, from
    what the store holds at the time (``gen.made``).
    """
    EventFilter = storage.EventFilter

    def by_id(conn):
        mid = rng.choice(gen.made)[1]
        return conn.get_events(EventFilter(message_id=mid))

    def first_page(conn):
        return conn.get_events(EventFilter(), _page())

    def restricted(conn):
        # A pair that exists: the owner of a random event with a project.
        while True:
            _, _, project, user = rng.choice(gen.made)
            if project is not None:
                break
        return conn.get_events(EventFilter(traits_filter=[
            {'key': 'project_id', 'op': 'eq', 'string': project},
            {'key': 'user_id', 'op': 'eq', 'string': user},
        ]), _page())

    def unrestricted(conn):
        return conn.get_events(
            EventFilter(admin_proj=rng.choice(PROJECTS)), _page())

    def type_window(conn):
        day = dataset.some_day(rng, gen)
        return conn.get_events(EventFilter(
            event_type=rng.choice(EVENT_TYPES), start_timestamp=day,
            end_timestamp=day + datetime.timedelta(days=1)), _page())

    def host_eq(conn):
        return conn.get_events(EventFilter(traits_filter=[
            {'key': 'host', 'op': 'eq', 'string': rng.choice(HOSTS)},
        ]), _page())

    def int_range(conn):
        low = MEMORY_STEP * rng.randint(1, MEMORY_STEPS - MEMORY_WINDOW)
        high = low + MEMORY_STEP * MEMORY_WINDOW
        return conn.get_events(EventFilter(traits_filter=[
            {'key': 'memory_mb', 'op': 'ge', 'integer': low},
            {'key': 'memory_mb', 'op': 'le', 'integer': high},
        ]), _page())

    def marker_page(conn):
        return conn.get_events(EventFilter(),
                               _page(marker=gen.middle_marker))

    def event_types(conn):
        return conn.get_event_types()

    def trait_types(conn):
        return conn.get_trait_types(rng.choice(EVENT_TYPES))

    def traits_host(conn):
        return conn.get_traits(rng.choice(EVENT_TYPES), 'host')

    return [
        ('get by message_id', 'by_id', by_id),
        ('first page, 100 with traits', 'first_page', first_page),
        ('restricted (project+user eq)', 'restricted', restricted),
        ('unrestricted (admin_proj)', 'unrestricted', unrestricted),
        ('event_type + 1-day window', 'type_window', type_window),
        ('trait eq (host)', 'host_eq', host_eq),
        ('int range (memory_mb ge/le)', 'int_range', int_range),
        ('page after mid marker', 'marker_page', marker_page),
        ('get_event_types', 'event_types', event_types),
        ('get_trait_types(type)', 'trait_types', trait_types),
        ("get_traits(type, 'host')", 'traits_host', traits_host),
    ]


def middle_marker(gen):
    """message_id of the event in the middle of the default order."""
    ordered = sorted((generated, mid) for generated, mid, _, _ in gen.made)
    return ordered[len(ordered) // 2][1]


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(conn, queries, repeat):
    """{key: (median ms, p95 ms, rows of the last run)}."""
    results = {}
    for _, key, call in queries:
        list(call(conn))                      # warm-up, not timed
        timings = []
        rows = 0
        for _ in range(repeat):
            began = time.perf_counter()
            rows = len(list(call(conn)))
            timings.append((time.perf_counter() - began) * 1000)
        results[key] = (statistics.median(timings), p95(timings), rows)
    return results


# -- plans -----------------------------------------------------------------

# Three or more placeholders (or values) in a row: long IN lists.
_RUN = re.compile(r'((?:\?|%\(\w+\)s|-?[\d.]+|'
                  r"'[^']*'), ){3,}")


def _shorten(text, limit=600):
    """Long IN lists and parameter tuples cut for display only."""
    if len(text) > 200:
        text = _RUN.sub(lambda m: m.group(0).split(', ')[0] + ', ..., ',
                        text)
    return text if len(text) <= limit else text[:limit] + ' ...'

def explain(conn, queries, names):
    """Print each SQL statement the named calls emit, with its plan."""
    engine = getattr(conn, 'engine', None)
    if engine is None:
        print('\n(--explain needs an SQL driver)')
        return
    dialect = engine.dialect.name
    prefix = {'sqlite': 'EXPLAIN QUERY PLAN ',
              'postgresql': 'EXPLAIN (ANALYZE, BUFFERS) '}.get(
                  dialect, 'EXPLAIN ')
    captured = []

    def capture(conn_, cursor, statement, parameters, context,
                executemany):
        captured.append((statement, parameters))

    for label, key, call in queries:
        if 'all' not in names and key not in names:
            continue
        captured.clear()
        sa.event.listen(engine, 'before_cursor_execute', capture)
        try:
            list(call(conn))
        finally:
            sa.event.remove(engine, 'before_cursor_execute', capture)
        print('\n=== %s [%s] ===' % (label, key))
        for statement, parameters in captured:
            if not statement.lstrip().upper().startswith('SELECT'):
                continue
            print('\n-- SQL:\n%s\n-- parameters: %s' % (
                _shorten(statement), _shorten(repr(parameters))))
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(prefix + statement, parameters)
                print('-- plan:')
                for row in cursor.fetchall():
                    if dialect == 'sqlite':
                        print('   ', row[0], row[1], row[3])
                    else:
                        print('   ', ' | '.join(str(c) for c in row))
                cursor.close()
                raw.rollback()
            finally:
                raw.close()


# -- report ----------------------------------------------------------------

def print_table(sizes, results, queries):
    labels = [report.size_label(s) for s in sizes]
    header = ['query']
    for label in labels:
        header += ['%s med ms' % label, '%s p95 ms' % label,
                   '%s rows' % label]
    if len(sizes) > 1:
        header.append('ratio %s/%s' % (labels[-1], labels[0]))
    lines = []
    for label, key, _ in queries:
        line = [label]
        for size in sizes:
            median, high, rows = results[size][key]
            line += ['%.2f' % median, '%.2f' % high, str(rows)]
        if len(sizes) > 1:
            first = results[sizes[0]][key][0]
            last = results[sizes[-1]][key][0]
            line.append('%.2f' % (last / first) if first else '-')
        lines.append(line)
    widths = [max(len(row[i]) for row in [header] + lines)
              for i in range(len(header))]

    def fmt(row):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width)
                  for cell, width in zip(row[1:], widths[1:])]
        return ' | '.join(cells)

    print(fmt(header))
    print('-+-'.join('-' * w for w in widths))
    for line in lines:
        print(fmt(line))


# -- main ------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m bench.queries', description=__doc__.split('\n')[0])
    parser.add_argument('--url', help='database URL (default: a '
                        'throwaway SQLite file in a temporary directory)')
    parser.add_argument('--sizes', default='10000,100000',
                        help='comma-separated store sizes, ascending')
    parser.add_argument('--repeat', type=int, default=20,
                        help='timed runs per query and size')
    dataset.add_arguments(parser)
    parser.add_argument('--explain', default='',
                        help="query keys (comma-separated) or 'all': print "
                        "their SQL and plans at the last size")
    parser.add_argument('--analyze', action='store_true',
                        help='run ANALYZE after each fill (the driver '
                        'never does; autovacuum or an operator would)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the database (pc_bench, or the SQLite '
                        'file) afterwards')
    args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in args.sizes.split(',') if s.strip())
    if not args.sizes or args.sizes[0] <= 0 or args.repeat <= 0:
        parser.error('sizes and repeat must be positive')
    return args


def main(argv=None):
    args = parse_args(argv)
    tmpdir = None
    admin = None
    if args.url:
        url, admin = database.fresh_database(args.url, BENCH_DATABASE)
    else:
        tmpdir = tempfile.mkdtemp(prefix='pc_bench_')
        url = 'sqlite:///%s' % os.path.join(tmpdir, 'bench.db')
    print('store: %s' % url.split('@')[-1])
    print('sizes: %s, repeat: %d, seed: %d, arrival: %s, analyze: %s' % (
        ','.join(map(str, args.sizes)), args.repeat, args.seed, args.arrival,
        'yes' if args.analyze else 'no'))
    conn = database.open_store(url)
    gen = Generator(args.seed, arrival=args.arrival)
    queries = build_queries(gen, random.Random(args.seed + 1))
    results = {}
    try:
        for size in args.sizes:
            before = len(gen.made)
            rate, spent = dataset.fill(conn, gen, size)
            print('fill %d -> %d: %.0f events/s (%.1f s in record_events)'
                  % (before, size, rate, spent))
            if args.analyze:
                database.analyze(conn)
            sys.stdout.flush()
            gen.middle_marker = middle_marker(gen)
            began = time.perf_counter()
            results[size] = measure(conn, queries, args.repeat)
            print('  measured %d queries x %d runs in %.1f s' % (
                len(queries), args.repeat, time.perf_counter() - began))
            sys.stdout.flush()
        print()
        print_table(args.sizes, results, queries)
        if args.explain:
            explain(conn, queries,
                    {n.strip() for n in args.explain.split(',')})
    finally:
        database.close_store(conn)
        if not args.keep:
            database.drop_database(admin, BENCH_DATABASE)
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)
        elif tmpdir:
            print('kept %s' % tmpdir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
