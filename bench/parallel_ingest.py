"""Ingest by several writers at once: how far the store's rate grows.

Run as ``python -m bench.parallel_ingest [--url URL] [--events 30000]
[--writers 1,2,4] [--batches 50]``. The ingest target of issue 6 is a
rate through the storage API, and a deployment feeds it from several
Ceilometer agents, each calling ``record_events`` with batches of 100.
The main benchmark times one writer; this one fills a scratch store
through ``record_events`` and then, for each count in ``--writers``,
starts that many processes, each with its own storage connection and
its own events (arriving in time order, at the store's end, as in the
main benchmark), lets them begin together and times every batch. With
``--floor``, as many writers of the ingest floor follow each step (the
same events by hand-written SQL; see ``bench/ingest_floor.py``).

It prints, per writer count: the events all writers stored per second
of wall time, from the first batch's start to the last one's end; the
median batch; and the CPU time the writers and the local database
server (none for SQLite, which writes inside the writers) spent per
batch, and the rate at which that much CPU a batch would keep all the
machine's cores busy: no number of writers gets past it. The store must
hold every event at the end; a lost or refused one stops the run.

The store is a throwaway, dropped afterwards (a server URL names only
the server; the database is ``pc_bench_parallel``). Figures only:
nothing is asserted about them.
"""

import argparse
import collections
import multiprocessing
import os
import queue
import statistics
import sys
import time

import sqlalchemy as sa

from bench import cpu_use
from bench import database
from bench import dataset
from bench import ingest_floor
from bench import report

SCRATCH_DATABASE = 'pc_bench_parallel'
# Each writer's events come from a seed of its own.
SEED_STRIDE = 1000

# What a writer reports: perf_counter at its first batch's start and its
# last one's end, its CPU seconds, each batch's seconds, events created.
Figures = collections.namedtuple('Figures',
                                 'began ended cpu batch_seconds created')


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m bench.parallel_ingest',
        description=__doc__.split('\n')[0])
    database.add_scratch_arguments(parser, SCRATCH_DATABASE)
    parser.add_argument('--events', type=int, default=30000,
                        help='events stored before the first timing')
    parser.add_argument('--writers', default='1,2,4',
                        help='comma-separated writer counts, in turn')
    parser.add_argument('--batches', type=int, default=50,
                        help='batches of 100 each writer stores')
    parser.add_argument('--floor', action='store_true',
                        help='after each writer count, as many writers '
                        'of the ingest floor (bench/ingest_floor.py)')
    parser.add_argument('--seed', type=int, default=20240101)
    args = parser.parse_args(argv)
    try:
        args.writers = [int(n) for n in args.writers.split(',')]
    except ValueError:
        parser.error('writers must be comma-separated integers')
    if (args.events < dataset.BATCH or args.batches <= 0
            or min(args.writers) <= 0):
        parser.error('events must be at least %d, batches and writers '
                     'positive' % dataset.BATCH)
    return args


def write(url, seed, first, batches, barrier, results, done, floor):
    """One writer: store ``batches`` batches, timing each.

    Runs in a process of its own. Its events are made before the start,
    numbered from ``first`` on, so they fall at the store's end; it puts
    its :class:`Figures` on ``results``. Its connection stays open until
    ``done`` is set: the database server's CPU is read off its backends
    while they run. With ``floor`` it stores them by the ingest floor's
    SQL instead of ``record_events``.
    """
    conn = database.connect(url)
    gen = dataset.Generator(seed, keep=False)
    gen.count = first
    work = [gen.batch(dataset.BATCH) for _ in range(batches)]
    by_hand = ingest_floor.IngestFloor(conn.engine) if floor else None
    try:
        barrier.wait()
        cpu = time.process_time()
        began = time.perf_counter()
        spent = []
        created = 0
        for batch in work:
            start = time.perf_counter()
            if by_hand is None:
                created += len(conn.record_events(batch).created)
            else:
                by_hand.record(batch)
                created += len(batch)
            spent.append(time.perf_counter() - start)
        ended = time.perf_counter()
        results.put(Figures(began, ended, time.process_time() - cpu, spent,
                            created))
        done.wait()
    finally:
        if by_hand is not None:
            by_hand.close()
        database.close_store(conn)


def stored_events(conn):
    with conn.engine.connect() as db:
        return db.execute(sa.text('SELECT count(*) FROM event')).scalar()


def _result(results, workers):
    """The next writer's figures; an error once any writer has failed."""
    while True:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            failed = [w.exitcode for w in workers
                      if w.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError('writers failed (exit codes %s)'
                                   % failed) from None


def run_writers(url, count, seed, first, batches, floor):
    """Time ``count`` writers at once: their results and server CPU."""
    context = multiprocessing.get_context('spawn')
    barrier = context.Barrier(count)
    results = context.Queue()
    done = context.Event()
    workers = [context.Process(
        target=write, args=(url, seed + SEED_STRIDE * (n + 1),
                            first + n * batches * dataset.BATCH, batches,
                            barrier, results, done, floor))
        for n in range(count)]
    server = cpu_use.DatabaseMeter(
        sa.engine.make_url(url).get_backend_name())
    for worker in workers:
        worker.start()
    try:
        got = [_result(results, workers) for _ in workers]
        spent = server.spent()
    finally:
        done.set()
        for worker in workers:
            worker.join()
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError('writers failed (exit codes %s)' % failed)
    return got, spent


def step_row(count, side, got, server, store):
    """The table row of one writer count and side."""
    began = min(f.began for f in got)
    ended = max(f.ended for f in got)
    events = sum(f.created for f in got)
    batches = sum(len(f.batch_seconds) for f in got)
    rates = [f.created / (f.ended - f.began) for f in got]
    median = statistics.median(s for f in got for s in f.batch_seconds)
    writers_cpu = sum(f.cpu for f in got)
    # The rate at which this much CPU a batch would keep every core busy.
    cpu_per_event = (writers_cpu + server) / events
    return [str(count), side, '%.0f' % (events / (ended - began)),
            '%.0f-%.0f' % (min(rates), max(rates)),
            '%.1f' % (median * 1000),
            '%.1f' % (writers_cpu * 1000 / batches),
            '%.1f' % (server * 1000 / batches),
            '%.0f' % ((os.cpu_count() or 1) / cpu_per_event),
            store, report.load_average()]


def measure(url, args):
    """Fill the store at ``url``, then time each writer count."""
    conn = database.open_store(url)
    try:
        gen = dataset.Generator(args.seed, keep=False)
        rate, _ = dataset.fill(conn, gen, args.events)
        database.analyze(conn)
        print('store: %s; filled with %d events (%.0f events/s through '
              'record_events, one writer)'
              % (url.split('@')[-1], args.events, rate))
        print('machine: %d cores; reference loop %.0f ms'
              % (os.cpu_count() or 0, report.reference_ms()))
        size = args.events
        rows = []
        steps = [(count, side) for count in args.writers
                 for side in (('record_events', 'floor') if args.floor
                              else ('record_events',))]
        for count, side in steps:
            got, server = run_writers(url, count, args.seed + size, size,
                                      args.batches, side == 'floor')
            added = count * args.batches * dataset.BATCH
            created = sum(f.created for f in got)
            if created != added:
                raise RuntimeError('%d writers created %d events of %d'
                                   % (count, created, added))
            rows.append(step_row(count, side, got, server,
                                 '%d -> %d' % (size, size + added)))
            size += added
            print('  %d writers, %s: %s events/s' % (count, side,
                                                     rows[-1][2]))
            sys.stdout.flush()
        held = stored_events(conn)
        if held != size:
            raise RuntimeError('the store holds %d events, not %d'
                               % (held, size))
        report.table(
            'ingest by writers at once (record_events, %d batches of %d '
            'each)' % (args.batches, dataset.BATCH),
            ['writers', 'by', 'events/s', 'per writer', 'ms/batch',
             'writers CPU ms/batch', 'database CPU ms/batch',
             'cores full at', 'store', 'load'], rows)
    finally:
        database.close_store(conn)


def main(argv=None):
    args = parse_args(argv)
    if (args.url or '').startswith('memory:'):
        print('a memory store lives in one process: no writers to add')
        return 2
    with database.scratch_store(args.url, args.database_name,
                                'pc_bench_parallel_') as url:
        measure(url, args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
