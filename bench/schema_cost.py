"""What the schema costs ingest: the floor as the schema is stripped.

Run as ``python -m bench.schema_cost [--url URL] [--events 30000]
[--batches 100]``. Fills a scratch store through ``record_events``,
then times the ingest floor (``bench/ingest_floor.py``: the same events
by hand-written SQL) into it as it is, and again after dropping, one
step after another:

1. the trait tables' value indexes, which the trait filters walk;
2. the trait tables' foreign keys (PostgreSQL and MySQL; SQLite, as
   the driver opens it, does not enforce them);
3. the event table's secondary indexes, which every listing walks
   (and its foreign key to the event type, where enforced).

What is left is Panko's tables and their keys. The last figure is then
about the most a writer of batches of 100 into these tables could reach
on this machine and back end, with no index for any query to use: the
ingest targets of issue 6 are read against it in bench/RESULTS.md.

The store is a throwaway, dropped afterwards (a server URL names only
the server; the database is ``pc_bench_schema``). Figures only:
nothing is asserted.
"""

import argparse
import sys

import sqlalchemy as sa

from bench import database
from bench import dataset
from bench import ingest_floor
from bench import report
from bench import sql_floor

SCRATCH_DATABASE = 'pc_bench_schema'


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='python -m bench.schema_cost',
        description=__doc__.split('\n')[0])
    database.add_scratch_arguments(parser, SCRATCH_DATABASE)
    parser.add_argument('--events', type=int, default=30000,
                        help='events stored before the first timing')
    parser.add_argument('--batches', type=int, default=100,
                        help='batches of 100 timed at each step')
    parser.add_argument('--seed', type=int, default=20240101)
    args = parser.parse_args(argv)
    if args.events < dataset.BATCH or args.batches <= 0:
        parser.error('events must be at least %d and batches positive'
                     % dataset.BATCH)
    return args


def _drop(engine, tables, indexes=False, foreign_keys=False):
    """Drop the named ``tables``' secondary indexes or foreign keys."""
    metadata = sa.MetaData()
    metadata.reflect(engine, only=list(tables))
    with engine.begin() as db:
        # Reflection brings the tables they refer to as well.
        for table in (metadata.tables[name] for name in tables):
            if foreign_keys:
                for constraint in table.foreign_key_constraints:
                    db.execute(sa.schema.DropConstraint(constraint))
            if indexes:
                for index in table.indexes:
                    if not index.unique:
                        db.execute(sa.schema.DropIndex(index))


def _time_floor(conn, gen, batches):
    """(events/s, ms per batch) of the floor over ``batches`` batches."""
    floor = ingest_floor.IngestFloor(conn.engine)
    try:
        spent = sum(ingest_floor.timed_batch(floor.record, gen)[1]
                    for _ in range(batches))
    finally:
        floor.close()
    return batches * dataset.BATCH / spent, spent / batches * 1000


# (label, tables, drop their secondary indexes, drop their foreign
# keys), each step after the ones before it.
STEPS = (
    ('full schema', (), False, False),
    ('without the trait value indexes', sql_floor.TRAIT_TABLES, True, False),
    ('... and the trait foreign keys', sql_floor.TRAIT_TABLES, False, True),
    # MySQL keeps an index for each foreign key: the event type's goes
    # with the event table's indexes.
    ("... and the event table's secondary indexes", ('event',), True,
     True),
)


def enforces_foreign_keys(engine):
    """SQLite, as the driver opens it, leaves them unchecked."""
    return engine.dialect.name != 'sqlite'


def strip_and_time(url, args):
    """Fill the store at ``url``, then time the floor at every step."""
    conn = database.open_store(url)
    gen = dataset.Generator(args.seed, keep=False)
    try:
        rate, _ = dataset.fill(conn, gen, args.events)
        database.analyze(conn)
        print('store: %s; filled with %d events (%.0f events/s through '
              'record_events)' % (url.split('@')[-1], args.events, rate))
        print('machine: reference loop %.0f ms' % report.reference_ms())
        rows = []
        enforced = enforces_foreign_keys(conn.engine)
        for label, tables, indexes, foreign_keys in STEPS:
            if foreign_keys and not indexes and not enforced:
                rows.append([label, 'not enforced', '-', '-', '-'])
                continue
            if tables:
                _drop(conn.engine, tables, indexes=indexes,
                      foreign_keys=foreign_keys and enforced)
            before = gen.count
            per_second, per_batch = _time_floor(conn, gen, args.batches)
            rows.append([label, '%.0f' % per_second, '%.1f' % per_batch,
                         '%d -> %d' % (before, gen.count),
                         report.load_average()])
            print('  %s: %.0f events/s' % (label, per_second))
            sys.stdout.flush()
        report.table(
            'ingest floor as the schema is stripped (%d batches of %d '
            'a step)' % (args.batches, dataset.BATCH),
            ['schema', 'events/s', 'ms/batch', 'store', 'load'], rows)
    finally:
        database.close_store(conn)


def main(argv=None):
    args = parse_args(argv)
    if (args.url or '').startswith('memory:'):
        print('a memory store has no schema to strip')
        return 2
    with database.scratch_store(args.url, args.database_name,
                                'pc_bench_schema_') as url:
        strip_and_time(url, args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
