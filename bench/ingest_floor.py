"""The ingest floor: the bench's events stored by hand-written SQL.

``record_events`` does more than store rows. It looks up the batch's
message ids (a duplicate is reported, not stored twice), resolves event
type names and creates new ones, keeps the (event type, trait name,
trait type) summary the trait-type listings read, converts every value
through its column type and retries a conflict with another writer.
The floor is the least any implementation must do to store the same
events in the same schema: per batch one transaction holding one
multi-row ``INSERT .. RETURNING`` of the event rows and one statement
per trait table (``COPY`` on PostgreSQL, as the driver uses;
``executemany`` elsewhere). It trusts its input: no duplicate check,
event types read once, and no summary rows, since by the time it runs
the bench's store holds every combination its events bring.

Timed in turns with ``record_events`` at the same store size, the ratio
of the two is the driver's own price; the floor's rate is what the
schema and the database allow on this machine.
"""

import json
import random
import time

from bench import dataset
from bench import sql_floor
from panko_clone.storage import models
from panko_clone.storage.sqlalchemy import bulk

Trait = models.Trait

TRAIT_TABLE = {Trait.TEXT_TYPE: 'trait_text', Trait.INT_TYPE: 'trait_int',
               Trait.FLOAT_TYPE: 'trait_float',
               Trait.DATETIME_TYPE: 'trait_datetime'}
EVENT_COLUMNS = ('message_id', 'generated', 'raw', 'event_type_id',
                 'project_id', 'user_id')
# The event columns the driver copies from text traits of these names.
MIRRORED = ('project_id', 'user_id')


class IngestFloor:
    """Stores events with plain SQL on one raw DBAPI connection."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.marks = '?' if self.dialect == 'sqlite' else '%s'
        names = sql_floor.reserved_names(self.dialect)
        self.key = names['key']
        # oslo.db hands out SQLite connections in autocommit and begins
        # each transaction itself; so must we.
        self.explicit_begin = (self.dialect == 'sqlite' and getattr(
            self.raw.dbapi_connection, 'isolation_level', '') is None)
        cursor = self.raw.cursor()
        try:
            cursor.execute('SELECT id, %s FROM event_type'
                           % names['desc'])
            self.type_ids = {name: type_id
                             for type_id, name in cursor.fetchall()}
        finally:
            cursor.close()
        self.raw.rollback()

    def close(self):
        self.raw.close()

    def _stored(self, value):
        return sql_floor.stored_datetime(self.dialect, value)

    def _event_rows(self, events):
        rows = []
        for event in events:
            mirrored = {t.name: t.value for t in event.traits
                        if t.name in MIRRORED and t.dtype == Trait.TEXT_TYPE}
            rows.append((event.message_id, self._stored(event.generated),
                         json.dumps(event.raw or {}),
                         self.type_ids[event.event_type],
                         mirrored.get('project_id'),
                         mirrored.get('user_id')))
        return rows

    def _trait_rows(self, events, ids):
        tables = {dtype: [] for dtype in TRAIT_TABLE}
        for event in events:
            event_id = ids[event.message_id]
            generated = self._stored(event.generated)
            for trait in event.traits:
                value = trait.value
                if trait.dtype == Trait.DATETIME_TYPE:
                    value = self._stored(value)
                tables[trait.dtype].append(
                    (event_id, trait.name, value, generated))
        return tables

    def record(self, events):
        """Store ``events`` in one transaction."""
        cursor = self.raw.cursor()
        try:
            if self.explicit_begin:
                # Holding the write lock from the start, as the driver
                # does: other writers may be at work (parallel_ingest).
                cursor.execute('BEGIN IMMEDIATE')
            row_marks = '(%s)' % ', '.join([self.marks] * len(EVENT_COLUMNS))
            cursor.execute(
                'INSERT INTO event (%s) VALUES %s RETURNING message_id, id'
                % (', '.join(EVENT_COLUMNS),
                   ', '.join([row_marks] * len(events))),
                [v for row in self._event_rows(events) for v in row])
            ids = dict(cursor.fetchall())
            for dtype, rows in self._trait_rows(events, ids).items():
                if not rows:
                    continue
                table = TRAIT_TABLE[dtype]
                if self.dialect == 'postgresql':
                    cursor.copy_expert(
                        'COPY %s (event_id, key, value, generated) '
                        'FROM STDIN' % table, bulk.copy_rows(rows))
                else:
                    cursor.executemany(
                        'INSERT INTO %s (event_id, %s, value, generated) '
                        'VALUES (%s)' % (table, self.key, ', '.join(
                            [self.marks] * 4)), rows)
            if self.explicit_begin:
                cursor.execute('COMMIT')
            else:
                self.raw.commit()
        except BaseException:
            self.raw.rollback()
            raise
        finally:
            cursor.close()


def timed_batch(record, gen):
    """Store ``gen``'s next batch with ``record``: (events, seconds)."""
    batch = gen.batch(dataset.BATCH)
    began = time.perf_counter()
    record(batch)
    return len(batch), time.perf_counter() - began


def measure(conn, gen, batches, seed=0):
    """``(record_events events/s, floor events/s)`` at the store's size.

    ``batches`` of each, taking turns batch by batch, so both meet the
    same caches and background work. Which of a pair goes first is
    drawn at random: SQLite checkpoints its WAL at the commit that
    crosses a size, about every tenth batch here, and in a fixed order
    that commit kept falling to the same side (in blocks of five, the
    floor's). Every event comes from ``gen`` and stays in the store,
    stored the driver's way or the floor's; the queries that follow see
    them alike.
    """
    floor = IngestFloor(conn.engine)
    order = random.Random(seed)
    sides = [conn.record_events, floor.record]
    spent = [0.0, 0.0]
    stored = [0, 0]
    try:
        for _ in range(batches):
            first = order.randrange(2)
            for side in (first, 1 - first):
                events, seconds = timed_batch(sides[side], gen)
                stored[side] += events
                spent[side] += seconds
    finally:
        floor.close()
    return tuple(n / s if s else float('nan')
                 for n, s in zip(stored, spent))
