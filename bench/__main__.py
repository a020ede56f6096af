"""``python -m bench``: the whole benchmark in one command.

Fills a store (``--url``: an SQLite file, ``memory://``, a PostgreSQL or
MySQL/MariaDB server) with deterministic synthetic events and, at each
size in ``--sizes`` as the store grows, prints:

* the ingest rate through the storage API (``record_events``, batches
  of 100), and once each size is measured, beside the same events
  stored by hand-written SQL (the ingest floor);
* median and p95 of every storage call the API makes, beside the same
  query as hand-written SQL on the same database (the floor) and the
  ratio of the two, and how each call scales from the first size to the
  last;
* requests/s and latency of listing, show and statistics over HTTP,
  with the API under uWSGI or gunicorn (several workers) and a threaded
  load generator on loopback, with what each client thread got and
  the CPU time each request cost the API processes, the database
  server and the load generator;
  and, after the last size, the rate of ``POST /v2/events`` and the
  peak RSS of the API processes;
* the in-memory driver's resident size per 100k events.

Figures only: nothing is asserted. The one-minute load average is
printed beside each figure since other work may share the machine. A
server URL names only the server: the database ``--database-name``
(default ``pc_bench_full``) is created there and dropped afterwards
unless ``--keep``.
"""

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time

import sqlalchemy as sa

from bench import cpu_use
from bench import database
from bench import dataset
from bench import http_load
from bench import ingest_floor
from bench import memory
from bench import profiling
from bench import report
from bench import sql_floor
from bench import storage_timings

QUICK = {'sizes': '300', 'repeat': 3, 'budget': 1.0, 'http_seconds': 0.5,
         'http_workers': 1, 'http_concurrency': 2, 'post_events': 200,
         'rss_events': 2000, 'ingest_floor_batches': 2}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m bench', description=__doc__.split('\n')[0])
    parser.add_argument('--url', default=None,
                        help='database URL: sqlite:///FILE, memory://, '
                        'postgresql://..., mysql+pymysql://... (default: '
                        'a throwaway SQLite file)')
    parser.add_argument('--database-name',
                        default=database.DEFAULT_DATABASE,
                        help='database created on a server URL '
                        '(default %(default)s)')
    parser.add_argument('--sizes', default='10000,100000',
                        help='comma-separated store sizes, ascending')
    parser.add_argument('--repeat', type=int, default=30,
                        help='timed runs per query and size')
    parser.add_argument('--budget', type=float, default=10.0,
                        help='seconds per query and size after which it '
                        'stops repeating (after 3 runs at least)')
    dataset.add_arguments(parser)
    parser.add_argument('--no-analyze', action='store_true',
                        help='skip ANALYZE after each fill')
    parser.add_argument('--no-http', action='store_true',
                        help='skip the HTTP measurements')
    parser.add_argument('--http-workers', type=int, default=4)
    parser.add_argument('--http-server', default='uwsgi',
                        choices=http_load.SERVERS,
                        help='WSGI server of the API: uwsgi (default) or '
                        'gunicorn')
    parser.add_argument('--http-worker-class', default='gthread',
                        choices=http_load.WORKER_CLASSES,
                        help="gunicorn's worker class: gthread (default) "
                        'keeps client connections alive, as API clients '
                        'and proxies use them; sync closes each one')
    parser.add_argument('--http-concurrency', type=int, default=8,
                        help='client threads of the load generator')
    parser.add_argument('--http-seconds', type=float, default=10.0,
                        help='seconds of load per HTTP request kind')
    parser.add_argument('--post-events', type=int, default=10000,
                        help='events sent through POST /v2/events after '
                        'the last size (0: skip)')
    parser.add_argument('--ingest-floor-batches', type=int, default=100,
                        help='batches of 100 stored by record_events and '
                        'as many by hand-written SQL, in turns, after '
                        'each size is measured (0: skip); they stay in '
                        'the store')
    parser.add_argument('--rss-events', type=int, default=100000,
                        help='events for the memory driver RSS figure '
                        '(0: skip)')
    parser.add_argument('--profile', default='',
                        help="query keys (comma-separated) or 'all': "
                        'cProfile them at the last size')
    parser.add_argument('--quick', action='store_true',
                        help='a tiny smoke run: ' + ', '.join(
                            '%s=%s' % kv for kv in QUICK.items()))
    parser.add_argument('--keep', action='store_true',
                        help='keep the database (or SQLite file)')
    args = parser.parse_args(argv)
    if args.quick:
        # Quick changes the defaults; flags given explicitly still win.
        parser.set_defaults(**QUICK)
        args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in str(args.sizes).split(',')
                        if s.strip())
    if not args.sizes or args.sizes[0] <= 0 or args.repeat <= 0:
        parser.error('sizes and repeat must be positive')
    return args


def _flush():
    sys.stdout.flush()


class Run:
    """One benchmark run: the store, the generator and the figures."""

    def __init__(self, args):
        self.args = args
        self.tmpdir = tempfile.mkdtemp(prefix='pc_bench_')
        url, self.admin = database.fresh_database(
            args.url or 'sqlite:///' + os.path.join(self.tmpdir, 'bench.db'),
            args.database_name)
        self.url = url
        self.memory_store = url.startswith('memory:')
        # SQLAlchemy's name for the back end; whose server CPU to read.
        self.backend = (None if self.memory_store
                        else sa.engine.make_url(url).get_backend_name())
        self.queries = storage_timings.build_queries()
        self.gen = dataset.Generator(args.seed, arrival=args.arrival)
        self.ingest = []
        self.ingest_floor = {}
        self.storage = {}
        self.floor = {}
        self.loads = {}
        self.http = {}
        self.http_loads = {}
        self.post = None
        self.rss = None
        self.memory_rss = None

    def cleanup(self):
        if not self.args.keep:
            database.drop_database(self.admin, self.args.database_name)
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        else:
            print('kept %s and %s' % (self.url.split('@')[-1],
                                      self.tmpdir))

    def measure_size(self, conn, size):
        before = self.gen.count
        rate, spent = dataset.fill(conn, self.gen, size)
        load = report.load_average()
        self.ingest.append((before, size, rate, spent, load))
        print('fill %d -> %d: %.0f events/s (%.1f s in record_events; '
              'load %s)' % (before, size, rate, spent, load))
        _flush()
        if not self.args.no_analyze:
            database.analyze(conn)
        self.gen.middle_marker = dataset.middle_marker(self.gen)
        params = storage_timings.parameter_lists(
            self.queries, self.gen, self.args.seed, self.args.repeat)
        self.params = params
        # The generator's record of every event made and the parameter
        # lists are the bench's own: at 1M a million tuples, which the
        # collector's full passes would walk during the timed calls as
        # no API process does (in process, the event types on
        # PostgreSQL took 0.28 ms beside a small heap, 0.33 beside 1M
        # such tuples, 0.27 with them frozen). Frozen, they are left
        # out of its passes; reference counting still frees them.
        gc.collect()
        gc.freeze()
        began = time.perf_counter()
        # Each storage call and its floor over the same parameters, in
        # alternating blocks, so both run under the same conditions
        # (caches, a background vacuum, the other core's load) as far as
        # can be.
        engine = getattr(conn, 'engine', None)
        floor = None if engine is None else sql_floor.Floor(engine)
        try:
            self.storage[size], self.floor[size] = storage_timings.measure(
                conn, self.queries, params, self.args.budget, floor)
        finally:
            if floor is not None:
                floor.close()
        self.loads[size] = report.load_average()
        print('  measured %d queries in %.1f s (load %s, reference loop '
              '%.0f ms)' % (len(self.queries), time.perf_counter() - began,
                            self.loads[size], report.reference_ms()))
        if len(self.args.sizes) > 1:
            # A long run's figures survive it being stopped part-way.
            report.query_table([size], self.queries, self.storage,
                               self.floor, self.loads)
        _flush()

    def measure_http(self, server, size):
        results = {}
        for key, _, factory in http_load.REQUESTS:
            meter = cpu_use.Meter(server.process.pid, self.backend)
            got = http_load.run_load(
                server.port, factory(self.gen),
                self.args.http_concurrency, self.args.http_seconds,
                '%s-%s-%d' % (self.args.seed, key, size))
            cpu = cpu_use.per_request(meter.spent(), got.ok)
            results[key] = (got, report.load_average(), cpu)
        self.http[size] = results
        print('  HTTP load done (load %s, reference loop %.0f ms)'
              % (report.load_average(), report.reference_ms()))
        _flush()

    def measure_ingest_floor(self, conn, size):
        if self.args.ingest_floor_batches <= 0 or self.memory_store:
            return
        before = self.gen.count
        rates = ingest_floor.measure(conn, self.gen,
                                     self.args.ingest_floor_batches,
                                     self.args.seed)
        self.ingest_floor[size] = (before, self.gen.count) + rates + (
            report.load_average(),)
        print('  ingest beside its floor %d -> %d: record_events %.0f '
              'events/s, hand-written SQL %.0f' % (
                  (before, self.gen.count) + rates))
        _flush()

    def run(self):
        args = self.args
        print('store: %s' % self.url.split('@')[-1])
        print('sizes: %s, repeat: %d, budget: %.1f s, seed: %d, '
              'arrival: %s, analyze: %s' % (
                  ','.join(map(str, args.sizes)), args.repeat,
                  args.budget, args.seed, args.arrival,
                  'no' if args.no_analyze else 'yes'))
        print('machine: %d cores, load %s, python %s, reference loop '
              '%.0f ms' % (os.cpu_count() or 0, report.load_average(),
                           sys.version.split()[0], report.reference_ms()))
        _flush()
        conn = database.open_store(self.url)
        http_on = not args.no_http and not self.memory_store
        try:
            if http_on:
                with http_load.Server(self.url, args.http_workers,
                                      self.tmpdir,
                                      args.http_worker_class,
                                      args.http_server) as server:
                    for size in args.sizes:
                        self.measure_size(conn, size)
                        self.measure_http(server, size)
                        self.measure_ingest_floor(conn, size)
                    if args.post_events > 0:
                        self.post = (http_load.post_ingest(
                            server.port, self.gen, args.post_events,
                            args.http_concurrency, args.seed),
                            report.load_average())
                    self.rss = server.peak_rss()
            else:
                for size in args.sizes:
                    self.measure_size(conn, size)
                    self.measure_ingest_floor(conn, size)
            if args.rss_events > 0:
                self.memory_rss = (memory.memory_driver_rss(
                    args.rss_events, args.seed), report.load_average())
            self.print_report(http_on)
            if args.profile:
                profiling.profile(conn, self.queries, self.params,
                                  {n.strip()
                                   for n in args.profile.split(',')})
        finally:
            database.close_store(conn)
            gc.unfreeze()

    def print_report(self, http_on):
        args = self.args
        report.table(
            'ingest through the storage API (record_events, batches of '
            '%d)' % dataset.BATCH,
            ['fill', 'events/s', 'seconds', 'load'],
            [['%d -> %d' % (before, size), '%.0f' % rate, '%.1f' % spent,
              load] for before, size, rate, spent, load in self.ingest])
        self.print_ingest_floor()
        report.query_table(args.sizes, self.queries, self.storage,
                           self.floor, self.loads)
        report.per_thousand_table(args.sizes, self.storage, self.floor,
                                  'trait_values',
                                  'trait values (type, host)')
        report.aggregated_table(
            args.sizes, self.storage, self.floor,
            [(q.key, q.label) for q in self.queries
             if q.events is not None])
        self.print_http(http_on)
        rows = []
        if self.memory_rss is not None:
            (before, after, per), load = self.memory_rss
            rows.append(['memory driver, %d events' % args.rss_events,
                         '%d' % before, '%d' % after,
                         '%.0f' % per, load])
        else:
            rows.append(['memory driver', '-', '-', 'skipped', '-'])
        report.table('memory driver resident size (KiB)',
                     ['measure', 'RSS before', 'RSS after',
                      'per 100k events', 'load'], rows)
        _flush()

    def print_ingest_floor(self):
        why = ('skipped: no SQL in a memory store' if self.memory_store
               else 'skipped (--ingest-floor-batches 0)')
        rows = []
        for size in self.args.sizes:
            got = self.ingest_floor.get(size)
            if got is None:
                rows.append([report.size_label(size), why, '-', '-', '-'])
                continue
            before, after, driver, floor, load = got
            rows.append(['%d -> %d' % (before, after), '%.0f' % driver,
                         '%.0f' % floor, report.ratio(floor, driver), load])
        report.table(
            'ingest beside its floor (the same events by hand-written '
            'SQL; %d batches of %d each, in turns)' % (
                self.args.ingest_floor_batches, dataset.BATCH),
            ['store', 'record_events/s', 'floor/s', 'floor/driver',
             'load'], rows)

    def print_http(self, http_on):
        args = self.args
        why = ('skipped: a memory store lives in one process'
               if self.memory_store else 'skipped (--no-http)')
        rows = []
        for size in args.sizes:
            for key, label, _ in http_load.REQUESTS:
                name = '%s at %s' % (label, report.size_label(size))
                if not http_on:
                    rows.append([name, why, '-', '-', '-', '-', '-', '-'])
                    continue
                got, load, _ = self.http[size][key]
                rows.append(_http_row(name, got, load))
        if not http_on or self.post is None:
            rows.append(['HTTP POST /v2/events (batches of 100)',
                         why if not http_on else 'skipped', '-', '-', '-',
                         '-', '-', '-'])
        else:
            got, load = self.post
            row = _http_row('HTTP POST /v2/events (batches of 100)', got,
                            load)
            row[1] = '%.0f events/s' % (got.ok / got.elapsed
                                        if got.elapsed else 0)
            rows.append(row)
        report.table(
            'HTTP API under %s (%d workers, %d client threads, '
            '%g s each)' % (_server_label(args), args.http_workers,
                            args.http_concurrency, args.http_seconds),
            ['request', 'requests/s', 'median ms', 'p95 ms',
             'per client', 'errors', 'statuses', 'load'], rows)
        if http_on:
            self.print_cpu()
        if self.rss:
            rss_rows = [['pid %d%s' % (pid, ' (master)' if i == 0 else ''),
                         str(kib) if kib is not None else '?']
                        for i, (pid, kib) in enumerate(self.rss.items())]
            workers = [kib for kib in list(self.rss.values())[1:] if kib]
            rss_rows.append(['largest worker', str(max(workers, default=0))])
            rss_rows.append(['all processes', str(sum(
                kib for kib in self.rss.values() if kib))])
        else:
            rss_rows = [['API processes', why if not http_on else '?']]
        report.table('peak RSS of the API processes (VmHWM, KiB)',
                     ['process', 'peak KiB'], rss_rows)

    def print_cpu(self):
        """CPU ms per request of each HTTP load, and the rate it allows."""
        cores = os.cpu_count() or 1
        server = self.backend in cpu_use.SERVER_NAMES
        rows = []
        for size in self.args.sizes:
            for key, label, _ in http_load.REQUESTS:
                cpu = self.http[size][key][2]
                name = 'CPU: %s at %s' % (label, report.size_label(size))
                if cpu is None:
                    rows.append([name] + ['-'] * 5)
                    continue
                total = sum(cpu.values())
                rows.append([
                    name, report.ms(cpu['api']),
                    report.ms(cpu['database']) if server else '-',
                    report.ms(cpu['client']), report.ms(total),
                    '%.0f' % (cores * 1000 / total) if total else '-'])
        report.table(
            'CPU per request during the HTTP load (ms; the database '
            'server is local; %d cores)' % cores,
            ['request', 'API processes', 'database server',
             'load generator', 'all', 'req/s at full cores'], rows)


def _server_label(args):
    """The WSGI server the HTTP figures were measured under."""
    if args.http_server == 'gunicorn':
        return 'gunicorn, %s' % args.http_worker_class
    return args.http_server


def _http_row(name, got, load):
    import statistics as pystats

    rate = got.ok / got.elapsed if got.elapsed else 0.0
    median = pystats.median(got.latencies) if got.latencies else None
    high = storage_timings.p95(got.latencies) if got.latencies else None
    statuses = ' '.join('%s:%d' % kv for kv in sorted(
        got.statuses.items(), key=lambda kv: str(kv[0])))
    # Fewest-most of what each client thread got: a client that waited
    # the whole load shows as a low first figure.
    per_client = '%d-%d' % (min(got.per_client), max(got.per_client))
    return [name, '%.1f' % rate, report.ms(median), report.ms(high),
            per_client, str(got.errors), statuses or '-', load]


def main(argv=None):
    args = parse_args(argv)
    run = Run(args)
    try:
        run.run()
    finally:
        run.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
