"""SQLAlchemy storage driver: SQLite, PostgreSQL and MySQL/MariaDB.

Every query is shaped so that its cost follows the size of the page, not
the size of the store: visibility and ordering come from composite
indexes on ``event``, paging is keyset (never OFFSET), the traits of a
page are fetched by primary key for that page's ids only, and
``record_events`` writes each batch with a handful of multi-row INSERTs
through SQLAlchemy Core. Trait names per event type come from a small
summary table kept at insert. On PostgreSQL the driver refreshes the
planner's statistics itself (after migrations and as the store grows),
since autovacuum may be off; SQLite files run in WAL mode with pooled
connections.
"""

import contextlib
import datetime
import functools
import os
import random
import time
import urllib.parse

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic.runtime import migration
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy import orm

from panko_clone import storage
from panko_clone.storage import base
from panko_clone.storage import models as api_models
from panko_clone.storage.sqlalchemy import bulk
from panko_clone.storage.sqlalchemy import direct_reads
from panko_clone.storage.sqlalchemy import errors
from panko_clone.storage.sqlalchemy import models
from panko_clone.storage.sqlalchemy import page_reads
from panko_clone.storage.sqlalchemy import prepared
from panko_clone.storage.sqlalchemy import statistics

LOG = log.getLogger(__name__)

Trait = api_models.Trait

EVENT = models.Event.__table__
# Stands in for a NULL ``generated`` when rows are sorted in Python.
_EARLIEST = datetime.datetime.min
SUMMARY = models.EventTraitType.__table__

# Every event type's name, sorted (statements are immutable).
EVENT_TYPE_NAMES = sa.select(models.EventType.desc).order_by(
    models.EventType.desc)

# The event's own columns of a row _event_of reads, in the order it
# reads them by position (the type's ``desc`` comes next).
EVENT_ROW_COLUMNS = ('id', 'message_id', 'generated', 'raw')

# Every column of an event row; a page's rows are the ones of its ids.
EVENT_ROWS = sa.select(
    *(EVENT.c[name] for name in EVENT_ROW_COLUMNS),
    models.EventType.desc).join(
        models.EventType, models.EventType.id == EVENT.c.event_type_id)

TRAIT_MODELS = {
    Trait.TEXT_TYPE: models.TraitText,
    Trait.INT_TYPE: models.TraitInt,
    Trait.FLOAT_TYPE: models.TraitFloat,
    Trait.DATETIME_TYPE: models.TraitDatetime,
}

FILTER_TYPES = {
    'string': Trait.TEXT_TYPE,
    'integer': Trait.INT_TYPE,
    'float': Trait.FLOAT_TYPE,
    'datetime': Trait.DATETIME_TYPE,
}

OPERATORS = {
    'lt': lambda col, val: col < val,
    'le': lambda col, val: col <= val,
    'eq': lambda col, val: col == val,
    'ne': lambda col, val: col != val,
    'ge': lambda col, val: col >= val,
    'gt': lambda col, val: col > val,
}

# Trait types whose table has a (key, generated, value) index.
RANGE_INDEXED = (Trait.INT_TYPE, Trait.FLOAT_TYPE, Trait.DATETIME_TYPE)

# Matches of a trait range above which a listing walks the trait's
# (key, generated, value) index rather than sorting every match.
RANGE_PROBE = 1000

# Columns of event that mirror a text trait of the same name.
MIRRORED_TRAITS = ('project_id', 'user_id')

# Filters on mirrored traits a lookup SQLite runs directly may have:
# the API's visibility rules and the caller's own, one each per name.
MOST_MIRRORED_FILTERS = 2 * len(MIRRORED_TRAITS)

# Ids per DELETE statement: keeps each transaction and its locks short.
DELETE_CHUNK = 1000

# A page's four index lookups look costly enough to PostgreSQL's planner
# that it hands them to parallel workers, whose start-up took 25-35 ms
# for 0.5 ms of work at 200k events.
SERIAL_PLANS = 'SET LOCAL max_parallel_workers_per_gather = 0'

# An admin's unfiltered page (see _admin_page_rows) is planned once per
# connection, not per call: the planner took longer over it (0.13-0.25
# ms) than running it took (0.3). Its plan cannot depend on the values:
# each half reads its index range in the index's own order and stops
# after the page, whatever the project or the limit, so the generic plan
# is forced (left to choose, PostgreSQL would keep planning each call:
# a LIMIT it cannot see looks costly in a generic plan).
GENERIC_PLAN = 'SET LOCAL plan_cache_mode = force_generic_plan'

# Plain schemes -> the DBAPI drivers panko_clone installs.
BARE_SCHEME_DRIVERS = {
    'mysql': 'mysql+pymysql',
    'postgresql': 'postgresql+psycopg2',
}

# PostgreSQL statistics are refreshed after this many new events, or
# after the table grew by this fraction, whichever is larger.
ANALYZE_MIN_ROWS = 1000
ANALYZE_GROWTH = 0.5

# Page cache of each SQLite file connection, in KiB.
SQLITE_CACHE_KIB = 32 * 1024

# WAL pages after which a commit checkpoints them into the file (64 MiB
# of 4 KiB pages; SQLite's default is 1,000).
SQLITE_WAL_CHECKPOINT_PAGES = 16384

# Idle SQLite file connections kept open (more may be open at once).
SQLITE_POOL_SIZE = 5

# How long an SQLite statement waits for a lock another connection
# holds before failing with "database is locked" (pysqlite's default).
SQLITE_BUSY_TIMEOUT_MS = 5000

# Attempts at a transaction that SQLite refused as "database is locked".
BUSY_RETRIES = 10
# The key oslo.db's SQLite "begin" listener marks an open transaction
# with in ``Connection.info``; it emits no BEGIN of its own when set.
OSLO_DB_IN_TRANSACTION = 'in_transaction'
# Attempts at recording a batch that collided with another writer.
WRITE_RETRIES = 10

# Driver options of ours that oslo.db's engine facade does not know.
OWN_DATABASE_OPTIONS = ('event_time_to_live', 'events_delete_batch_size')



def migrations_location():
    """Where Alembic finds the revisions, installed or in a checkout."""
    import panko_clone.migrations as migrations_pkg
    return os.path.dirname(os.path.abspath(migrations_pkg.__file__))


def _sqlite_path(url):
    """The file of an SQLite URL, or None for an in-memory database."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != 'sqlite':
        return None
    if parsed.database and parsed.database != ':memory:':
        return parsed.database
    return None


def _sqlite_file_pragmas(dbapi_connection, connection_record):
    """WAL, synchronous=NORMAL, more cache, rarer checkpoints: per connect.

    With WAL readers never block the writer, and a commit appends to the
    log instead of rewriting pages and syncing twice; NORMAL syncs at
    checkpoints only, which keeps the database consistent through a
    crash (the last commits may be lost on power failure, as with any
    write-back cache). Every event inserts into some forty index pages
    at random places; a 32 MiB cache (filled only as used) instead of
    SQLite's 2 MiB default keeps more of them between batches: +17 %
    ingest into a 1M-event store.

    A batch of 100 events dirties some 1,700 pages, more than SQLite's
    default checkpoint threshold, so every commit used to checkpoint:
    write each page into the file again and sync twice, more than half
    of a batch's time. Checkpointing after 64 MiB of WAL writes the
    pages that consecutive batches share (index tails, hot values) once
    per checkpoint instead of once per batch: +24 % ingest at 60k
    events. The WAL file grows to about that size and is reused after
    each checkpoint.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute('PRAGMA journal_mode=WAL')
        cursor.execute('PRAGMA synchronous=NORMAL')
        cursor.execute('PRAGMA cache_size=-%d' % SQLITE_CACHE_KIB)
        cursor.execute('PRAGMA wal_autocheckpoint=%d'
                       % SQLITE_WAL_CHECKPOINT_PAGES)
        cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
    finally:
        cursor.close()


def _pool_sqlite_file(engine):
    """Keep SQLite file connections open between calls.

    oslo.db gives a file database a NullPool, so each call opened the
    file, re-read the schema and, closing the last connection,
    checkpointed the WAL: ~5 ms per call against ~0.2 ms reusing one.
    The replacement pool keeps the listeners oslo.db registered (its
    BEGIN handling, REGEXP); SQLAlchemy's own default for a file
    database is this same QueuePool, and pysqlite connections to a file
    may move between threads.
    """
    sa.event.listen(engine, 'connect', _sqlite_file_pragmas)
    old = engine.pool
    engine.pool = sa.pool.QueuePool(
        old._creator, pool_size=SQLITE_POOL_SIZE, max_overflow=-1,
        _dispatch=old.dispatch, dialect=old._dialect)
    old.dispose()


def _without_pool_ping(engine):
    """Stop ``engine``'s pool pinging a connection at every checkout.

    oslo.db asks SQLAlchemy to send ``SELECT 1`` before handing out a
    pooled connection, so that one the server dropped (a restart, an
    administrator) is replaced before use. On PostgreSQL that round
    trip cost a listing about 0.1 ms of our CPU and as much of the
    server's. Instead, a call that finds its connection gone is run
    once more (see :func:`_reconnecting`): SQLAlchemy invalidates the
    pool's older connections with the dead one, so the second run
    starts on a new session.
    """
    # The pool's own flag: neither oslo.db nor SQLAlchemy's engine
    # options turn the ping off once oslo.db has built the pool.
    engine.pool._pre_ping = False


def _disconnected(err):
    """Whether ``err`` (or what it arose from) is a lost connection."""
    return any(isinstance(cause, db_exc.DBConnectionError)
               or getattr(cause, 'connection_invalidated', False)
               for cause in errors.causes(err))


def _unreachable(err):
    """Whether ``err`` says the database cannot be reached at all.

    A lost connection, or a failure with no statement to blame: opening
    a connection (refused, or the database not taking connections).
    """
    return _disconnected(err) or any(
        isinstance(cause, sa.exc.OperationalError)
        and cause.statement is None
        for cause in errors.causes(err))


def _locked(err):
    """Whether ``err`` (or what it arose from) is SQLite's lock held on.

    Raised out of a call, it has outlasted the busy timeout and the
    call's own retries.
    """
    return any(_sqlite_busy(cause) for cause in errors.causes(err))


def _reconnecting(method):
    """``method``, run once more if its connection turned out dead.

    A read runs again as it was. A write's transaction is atomic: it
    either committed or left nothing, and a batch that did commit is
    told apart on its second run as duplicates (its message_ids are
    stored already), as with a client resending it. When the server
    cannot be reached (still down, or refusing connections), or an
    SQLite file stayed locked by another program through every retry,
    :class:`storage.StorageUnavailable` is raised, which the API
    answers with 503: nothing was written, and the same call can
    succeed later.
    """
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (db_exc.DBError, sa.exc.DBAPIError) as err:
            if _locked(err):
                raise storage.StorageUnavailable(
                    'the database stayed locked by another writer: %s'
                    % err) from err
            if not _unreachable(err):
                raise
            if not _disconnected(err):
                raise storage.StorageUnavailable(str(err)) from err
            LOG.warning('The database connection was lost (%s); trying '
                        'again on a new one', err)
        try:
            return method(self, *args, **kwargs)
        except (db_exc.DBError, sa.exc.DBAPIError) as err:
            if _unreachable(err) or _locked(err):
                raise storage.StorageUnavailable(str(err)) from err
            raise
    return run


def _sqlite_busy(err):
    """SQLite's "database is locked".

    Raised once a lock stayed held for the whole busy timeout, and at
    once, without waiting, for a write in a deferred transaction whose
    snapshot another writer has moved past (the driver's own writes
    begin IMMEDIATE, see ``_writing``); starting over may succeed.
    """
    return 'database is locked' in str(err)


def _concurrent_write(err):
    """Whether ``err`` (or what it arose from) is a writers' collision."""
    return any(isinstance(cause, (db_exc.DBDuplicateEntry,
                                  db_exc.DBDeadlock,
                                  db_exc.DBReferenceError))
               or _sqlite_busy(cause)
               for cause in errors.causes(err))


def _busy_pause(attempt):
    LOG.debug('concurrent writers collided; retrying (attempt %d)',
              attempt)
    time.sleep(random.uniform(0, 0.02 * (attempt + 1)))


def _retry_if_busy(func, *args):
    """``func(*args)``, run again when SQLite reports a collision."""
    for attempt in range(BUSY_RETRIES):
        try:
            return func(*args)
        except (db_exc.DBError, sa.exc.OperationalError) as err:
            if not _sqlite_busy(err):
                raise
            _busy_pause(attempt)
    return func(*args)


def _insert_ignoring_duplicates(dialect_name, table):
    """INSERT that skips rows whose key is already present."""
    if dialect_name == 'postgresql':
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect_name == 'sqlite':
        return sqlite.insert(table).on_conflict_do_nothing()
    return sa.insert(table).prefix_with('IGNORE')


def _traits_by_event(rows, processors):
    """{event id: [Trait]} of trait rows sorted by event and name.

    A row is (event_id, key, value of each type in TRAIT_MODELS'
    order), the one not NULL being the trait's; ``processors`` decode
    each value column (None: as it is). The loop is unrolled: it runs
    for each of a page's thousand-odd traits.
    """
    as_text, as_int, as_real, as_moment = processors
    traits = {}
    last = None
    for event_id, key, text, integer, real, moment in rows:
        if text is not None:
            trait = Trait(key, Trait.TEXT_TYPE,
                          text if as_text is None else as_text(text))
        elif integer is not None:
            trait = Trait(key, Trait.INT_TYPE,
                          integer if as_int is None else as_int(integer))
        elif real is not None:
            trait = Trait(key, Trait.FLOAT_TYPE,
                          real if as_real is None else as_real(real))
        else:
            trait = Trait(key, Trait.DATETIME_TYPE,
                          moment if as_moment is None
                          else as_moment(moment))
        if event_id != last:
            last = event_id
            traits[event_id] = of_event = []
        of_event.append(trait)
    return traits


def _ordered(columns, sort):
    """ORDER BY items of ``sort`` ((key, 'asc'|'desc')) on ``columns``."""
    return [columns[key].asc() if direction == 'asc'
            else columns[key].desc() for key, direction in sort]


def _tie_broken(rows, sort):
    """``(generated, message_id, id)`` rows in ``sort``'s order.

    For the page of a trait walk on SQLite and MySQL (see
    ``_driven_page_ids``): the walk gives the page in ``generated``
    order alone, with every row tied with its last one added; sorting
    that handful here spares those databases a second walk of the
    index to bound a sort in SQL (int range on the 1M SQLite store: a
    millisecond of 4.4). A NULL ``generated`` (an adopted Panko row)
    comes first ascending and last descending, as both order it.
    """
    (_, generated_dir), (_, message_id_dir) = sort[:2]
    rows = sorted(rows, key=lambda row: row[1],
                  reverse=message_id_dir == 'desc')
    rows.sort(key=lambda row: (row[0] is not None, row[0] or _EARLIEST),
              reverse=generated_dir == 'desc')
    return rows


def _event_of(row, traits):
    """The storage Event of an event row and ``{event id: traits}``.

    The row's columns are read by position (EVENT_ROW_COLUMNS, then the
    type's ``desc``): by name, SQLAlchemy's ``Row`` took 2.5 us a row
    for the five of them, a quarter of a millisecond a page; a slice
    takes 0.06.
    """
    event_id, message_id, generated, raw, event_type = row[:5]
    return api_models.Event(
        message_id=message_id,
        event_type=event_type,
        generated=generated,
        traits=traits.get(event_id, []),
        raw=raw if raw is not None else {})


class Connection(base.Connection):
    """Event storage on a relational database."""

    CAPABILITIES = base.update_nested(base.BASE_CAPABILITIES, {
        'events': {'create': True, 'delete': True,
                   'statistics': base.STATISTICS_CAPABILITIES},
    })
    STORAGE_CAPABILITIES = base.update_nested(
        base.BASE_STORAGE_CAPABILITIES,
        {'storage': {'production_ready': True}})

    def __init__(self, url, conf):
        super().__init__(url, conf)
        path = _sqlite_path(url)
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)),
                        exist_ok=True)
        options = dict(conf.database.items())
        for name in OWN_DATABASE_OPTIONS:
            options.pop(name, None)
        # Retrying at start-up is get_connection_from_config's job.
        options['max_retries'] = 0
        # oslo.db sleeps(0) at every connection check-in so that eventlet
        # green threads get a turn; panko_clone runs on OS threads and
        # processes, where that only gives the core away once per call
        # (0.15 ms a call on a loaded two-core machine).
        options['thread_checkin'] = False
        options['connection'] = self._normalize_url(url)
        self._facade = enginefacade.transaction_context()
        self._facade.configure(**options)
        try:
            self.engine = self._facade.writer.get_engine()
            if path:
                _pool_sqlite_file(self.engine)
            # Fail now, inside the caller's retry loop, if the server is
            # down.
            with self.engine.connect() as conn:
                conn.execute(sa.text('SELECT 1'))
        except (db_exc.DBConnectionError, sa.exc.OperationalError) as err:
            raise storage.StorageUnavailable(str(err)) from err
        self._sessions = orm.sessionmaker(self.engine,
                                          expire_on_commit=False)
        trait_tables = {dtype: model.__table__
                        for dtype, model in TRAIT_MODELS.items()}
        self._trait_writer = bulk.TraitWriter(self.engine.dialect,
                                              trait_tables)
        if bulk.can_copy(self.engine.dialect):
            sa.event.listen(self.engine, 'do_execute',
                            bulk.copy_from_stdin)
        # Where statements can be prepared, the ones marked planned_once
        # are (see prepared.py).
        self._preparer = None
        self._reads_outside_transactions = False
        if prepared.can_prepare(self.engine.dialect):
            self._preparer = prepared.install(self.engine)
            _without_pool_ping(self.engine)
            self._reads_outside_transactions = True
        ids_style = page_reads.id_list_style(
            self.engine.dialect.name,
            json_each=self._sqlite_json_each())
        self._trait_value_types = [table.c.value.type
                                   for table in trait_tables.values()]
        page_rows_query = EVENT_ROWS.where(
            page_reads.ids_bound(ids_style, EVENT.c.id))
        # SQLite reads a page's rows and traits (a statement per trait
        # table) on the DBAPI cursor, in the listing's transaction (see
        # direct_reads.py); elsewhere through SQLAlchemy. Each driver
        # builds only the statements of its own way.
        self._direct_page_rows = self._direct_page_traits = None
        self._page_rows_query = self._traits_query = None
        if ids_style == page_reads.JSON_IDS:
            self._direct_page_rows = direct_reads.DirectStatement(
                page_rows_query, self.engine.dialect)
            self._direct_page_traits = [
                (dtype, direct_reads.DirectStatement(query,
                                                     self.engine.dialect))
                for dtype, query in page_reads.traits_queries_by_type(
                    trait_tables, ids_style).items()]
        else:
            self._page_rows_query = prepared.planned_once(page_rows_query)
            self._traits_query = prepared.planned_once(
                page_reads.traits_query(self.engine.dialect.name,
                                        trait_tables, ids_style),
                SERIAL_PLANS + '; ')
        # {shape: statement} of unfiltered listings (see _kept).
        self._statements = {}
        # MariaDB has no LATERAL, and SQLite no round trip to save:
        # both look an event up in two statements.
        self._event_traits = None
        if self.engine.dialect.name == 'postgresql':
            self._event_traits = page_reads.event_traits_lateral(
                'postgresql', trait_tables, EVENT.c.id)
        # SQLite runs its event types and its lookups by message_id on
        # the DBAPI cursor (see direct_reads.py).
        self._direct_event_types = self._direct_traits = None
        if self.engine.dialect.name == 'sqlite':
            self._direct_event_types = direct_reads.DirectStatement(
                EVENT_TYPE_NAMES, self.engine.dialect)
            self._direct_traits = direct_reads.DirectStatement(
                page_reads.one_event_traits_query('sqlite', trait_tables),
                self.engine.dialect)
        # Rows recorded since the planner statistics were last refreshed,
        # and the table size they were refreshed at (None: not yet read).
        self._grown = 0
        self._analyzed_rows = None

    def _sqlite_json_each(self):
        """Whether the database is SQLite with ``json_each``.

        SQLite has had it built in since 3.38; before that, most builds
        include it, but not all.
        """
        if self.engine.dialect.name != 'sqlite':
            return False
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT value FROM json_each('[1]')")
        except (sa.exc.DBAPIError, db_exc.DBError):
            return False
        return True

    @contextlib.contextmanager
    def _reading(self):
        """A pooled connection for reads; on PostgreSQL, autocommitting.

        psycopg2 opens a transaction with a BEGIN of its own round trip
        and the pool ends it with another (ROLLBACK), a third of a
        listing's five. Under PostgreSQL's READ COMMITTED each statement
        reads its own snapshot anyway, inside a transaction or not, so
        reads run without one; a ``SET LOCAL`` sent with a statement
        still holds for it (a query string of several statements is one
        implicit transaction). On MySQL, whose REPEATABLE READ gives a
        transaction one snapshot, and on SQLite, with no round trips,
        reads keep their transaction.
        """
        if not self._reads_outside_transactions:
            with self.engine.connect() as db:
                yield db
            return
        with self._autocommitting() as db:
            yield db

    @contextlib.contextmanager
    def _autocommitting(self):
        """A pooled connection on which each statement commits alone.

        Flipped on the DBAPI connection (``autocommit``, which psycopg2,
        psycopg and pg8000 all have), where it costs no round trip.
        SQLAlchemy's AUTOCOMMIT isolation level does the same but, on
        the way back to the pool, sets the default level back
        explicitly; psycopg2 then sends a ``SET
        default_transaction_isolation`` whenever autocommit is turned
        off on that connection: a round trip more for every read it
        serves (the event types: 0.33 ms against 0.26-0.30).
        """
        with self.engine.connect() as db:
            dbapi_connection = db.connection.dbapi_connection
            dbapi_connection.autocommit = True
            try:
                yield db
            finally:
                if not dbapi_connection.closed:
                    dbapi_connection.autocommit = False

    @staticmethod
    def _normalize_url(url):
        """Bare schemes mean the drivers OpenStack has always used."""
        scheme = urllib.parse.urlparse(url).scheme
        if scheme in BARE_SCHEME_DRIVERS:
            return BARE_SCHEME_DRIVERS[scheme] + url[len(scheme):]
        return url

    # -- schema ------------------------------------------------------------

    def upgrade(self):
        cfg = alembic_config.Config()
        cfg.set_main_option('script_location', migrations_location())
        with self.engine.begin() as conn:
            before = migration.MigrationContext.configure(
                conn).get_current_heads()
            cfg.attributes['connection'] = conn
            alembic_command.upgrade(cfg, 'head')
            after = migration.MigrationContext.configure(
                conn).get_current_heads()
        if before != after:
            # Adopted or migrated data: give the planner its statistics.
            self._analyze()

    def _analyze(self):
        """Refresh PostgreSQL's planner statistics on our tables.

        Autovacuum may be off, and without statistics the planner
        assumes an IN list of a page's ids matches half a table and
        scans it whole. ANALYZE samples a bounded number of rows, so it
        costs about the same at any size.
        """
        if self.engine.dialect.name != 'postgresql':
            return
        # VACUUM too: it marks pages all-visible, which is what lets
        # the (key, value, event_id) and (id, generated, message_id)
        # indexes answer without a heap fetch per row. It only reads
        # the pages changed since the last run, and runs outside a
        # transaction.
        with self._autocommitting() as db:
            for table in models.Base.metadata.sorted_tables:
                db.execute(sa.text('VACUUM (ANALYZE) %s' % table.name))
            self._analyzed_rows = self._estimated_rows(db)
        self._grown = 0

    @staticmethod
    def _estimated_rows(db):
        """The event count PostgreSQL's statistics were taken at."""
        return max(0, db.execute(sa.text(
            "SELECT reltuples FROM pg_class WHERE relname = 'event' "
            "AND relkind = 'r' AND pg_table_is_visible(oid)")).scalar()
            or 0)

    def _refresh_statistics_if_grown(self, count):
        """``_note_growth`` for a batch that is already committed.

        Fresh statistics only speed reads up: a refresh that fails (a
        ``statement_timeout`` or ``lock_timeout`` that VACUUM ran into,
        the connection lost after the commit) is logged, and tried
        again once the store has grown as much again, instead of
        reporting the stored batch as failed, which would have the
        client send it again and be told its events were duplicates.
        """
        try:
            self._note_growth(count)
        except (db_exc.DBError, sa.exc.DBAPIError) as err:
            self._grown = 0
            LOG.warning('Refreshing the planner statistics failed (%s); '
                        'the events are stored', err)

    def _note_growth(self, count):
        """ANALYZE once the store has grown by half since the last time.

        The growth is geometric, so over any number of inserts the
        refreshes cost a small, constant share of the ingest time. The
        size is re-read first: another process may have refreshed it.
        """
        if self.engine.dialect.name != 'postgresql':
            return
        self._grown += count
        if self._analyzed_rows is None:
            with self.engine.connect() as db:
                self._analyzed_rows = self._estimated_rows(db)
        if self._grown < max(ANALYZE_MIN_ROWS,
                             self._analyzed_rows * ANALYZE_GROWTH):
            return
        with self.engine.connect() as db:
            current = self._estimated_rows(db)
        if current > self._analyzed_rows:
            # Another process analyzed since: count from its figure.
            self._analyzed_rows = current
            self._grown = 0
            return
        self._analyze()

    def clear(self):
        """Delete every row; the schema stays, so tests restart cheaply."""
        inspector = sa.inspect(self.engine)
        existing = set(inspector.get_table_names())
        with self._writing() as db:
            for table in reversed(models.Base.metadata.sorted_tables):
                if table.name in existing:
                    db.execute(sa.delete(table))

    # -- writes ------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self):
        """A connection in a transaction that writes, committed at exit.

        On SQLite the transaction takes the database's write lock as it
        begins (BEGIN IMMEDIATE). A plain, deferred one that reads
        first, as every write here does (the batch's message_ids, the
        ids to delete), asks for the lock only at its first write, and
        if another writer has committed since its read SQLite refuses
        it at once with "database is locked", without waiting: only
        starting over can succeed. With four writers at once into a
        store of 20,000 events, a writer lost eleven times in a row and
        its batch failed. Taking the lock at BEGIN, writers queue for
        it (for up to the connection's busy timeout) and a transaction,
        once begun, runs through. Readers are unaffected: in WAL mode
        they never wait for the writer.
        """
        with self.engine.connect() as db:
            immediate = db.dialect.name == 'sqlite'
            if immediate:
                # oslo.db's "begin" listener emits a deferred BEGIN
                # unless the connection is marked as in a transaction;
                # its commit and rollback listeners clear the mark.
                db.info[OSLO_DB_IN_TRANSACTION] = True
            try:
                with db.begin():
                    if immediate:
                        db.exec_driver_sql('BEGIN IMMEDIATE')
                    yield db
            finally:
                if immediate:
                    db.info.pop(OSLO_DB_IN_TRANSACTION, None)

    def _event_type_ids(self, db, names):
        """Ids of event types by name, creating the missing ones."""
        found = dict(db.execute(
            sa.select(models.EventType.desc, models.EventType.id)
            .where(models.EventType.desc.in_(names))).all())
        for name in sorted(set(names) - set(found)):
            try:
                with db.begin_nested():
                    db.execute(sa.insert(models.EventType.__table__)
                               .values(desc=name))
            except (db_exc.DBDuplicateEntry, sa.exc.IntegrityError):
                # Another writer created it first: use theirs.
                pass
            # A locking read: under MySQL's REPEATABLE READ a plain one
            # would not see the row the other writer just committed.
            found[name] = db.execute(
                sa.select(models.EventType.id)
                .where(models.EventType.desc == name)
                .with_for_update(read=True)).scalar_one()
        return found

    @_reconnecting
    def record_events(self, events):
        for attempt in range(WRITE_RETRIES):
            try:
                return self._record_once(events)
            except (db_exc.DBError, sa.exc.OperationalError) as err:
                # A concurrent writer stored some of these ids between
                # our duplicate check and our INSERT (the next pass sees
                # them as duplicates), or created the same event type
                # (a deadlock on MySQL, which also drops our savepoint),
                # or the expirer dropped an event type we had just looked
                # up (the next pass recreates it).
                if not _concurrent_write(err):
                    raise
                _busy_pause(attempt)
        return self._record_once(events)

    def _record_once(self, events):
        unique = {}
        in_call_duplicates = []
        for event in events:
            if event.message_id in unique:
                in_call_duplicates.append(event.message_id)
            else:
                unique[event.message_id] = event
        if not unique:
            return base.Recorded([], in_call_duplicates)
        ids = list(unique)
        # Core statements on a plain connection: the ORM's bulk path
        # costs more than the database for rows this simple.
        with self._writing() as db:
            stored = set()
            for start in range(0, len(ids), DELETE_CHUNK):
                chunk = ids[start:start + DELETE_CHUNK]
                stored.update(db.execute(
                    sa.select(EVENT.c.message_id)
                    .where(EVENT.c.message_id.in_(chunk))).scalars())
            fresh = [e for mid, e in unique.items() if mid not in stored]
            if not fresh:
                return base.Recorded([], [m for m in ids if m in stored]
                                     + in_call_duplicates)
            type_ids = self._event_type_ids(
                db, list({e.event_type for e in fresh}))
            event_ids = self._insert_events(
                db, [self._event_row(e, type_ids) for e in fresh])
            self._insert_traits(db, fresh, event_ids)
            self._add_trait_types(db, fresh, type_ids)
        self._refresh_statistics_if_grown(len(fresh))
        created = [e.message_id for e in fresh]
        duplicates = [m for m in ids if m in stored] + in_call_duplicates
        return base.Recorded(created, duplicates)

    def _insert_traits(self, db, events, event_ids):
        """INSERT the traits of ``events`` as rows in the driver's form."""
        writer = self._trait_writer
        trait_rows = {dtype: [] for dtype in TRAIT_MODELS}
        binds = {dtype: writer.value_bind(dtype) for dtype in TRAIT_MODELS}
        convert = Trait.convert_value
        for event in events:
            event_id = event_ids[event.message_id]
            generated = writer.generated(
                api_models.normalize_datetime(event.generated))
            for trait in self._unique_traits(event.traits):
                dtype = trait.dtype
                value = convert(dtype, trait.value)
                if value is not None and binds[dtype] is not None:
                    value = binds[dtype](value)
                trait_rows[dtype].append(
                    (event_id, trait.name, value, generated))
        for dtype, rows in trait_rows.items():
            if rows:
                writer.insert(db, dtype, rows)

    @staticmethod
    def _add_trait_types(db, events, type_ids):
        """Summarise (event type, trait name, trait type) for readers.

        Only the combinations not yet there are inserted, in a fixed
        order, and a row a concurrent writer added meanwhile is skipped
        rather than failing the batch.
        """
        seen = {(type_ids[event.event_type], trait.name, trait.dtype)
                for event in events
                for trait in event.traits or ()
                if trait.dtype in TRAIT_MODELS}
        if not seen:
            return
        present = set(db.execute(
            sa.select(SUMMARY.c.event_type_id, SUMMARY.c.key,
                      SUMMARY.c.dtype)
            .where(SUMMARY.c.event_type_id.in_(
                {type_id for type_id, _, _ in seen}))).all())
        missing = [{'event_type_id': type_id, 'key': key, 'dtype': dtype}
                   for type_id, key, dtype in sorted(seen - present)]
        if missing:
            db.execute(_insert_ignoring_duplicates(db.dialect.name,
                                                   SUMMARY), missing)

    def _insert_events(self, db, rows):
        """INSERT the event rows; {message_id: id} of what was stored.

        Where the dialect batches INSERT .. RETURNING (SQLite, PostgreSQL,
        MariaDB) the ids come back with the multi-row INSERT; the rows
        carry their message_id, so their order does not matter. Elsewhere
        they are read back by message_id, which is unique.
        """
        if self.engine.dialect.insert_executemany_returning:
            result = db.execute(
                sa.insert(EVENT).returning(EVENT.c.message_id, EVENT.c.id),
                rows)
            return dict(result.all())
        db.execute(sa.insert(EVENT), rows)
        ids = [row['message_id'] for row in rows]
        found = {}
        for start in range(0, len(ids), DELETE_CHUNK):
            found.update(db.execute(
                sa.select(EVENT.c.message_id, EVENT.c.id)
                .where(EVENT.c.message_id.in_(ids[start:start
                                                  + DELETE_CHUNK]))).all())
        return found

    @staticmethod
    def _unique_traits(traits):
        """One trait per (name, type): the table's key; the last wins."""
        by_key = {}
        for trait in traits or ():
            if trait.dtype in TRAIT_MODELS:
                by_key[(trait.name, trait.dtype)] = trait
        return by_key.values()

    @staticmethod
    def _event_row(event, type_ids):
        row = {
            'message_id': event.message_id,
            'generated': api_models.normalize_datetime(event.generated),
            'raw': event.raw if event.raw is not None else {},
            'event_type_id': type_ids[event.event_type],
            'project_id': None,
            'user_id': None,
        }
        for trait in event.traits or ():
            if (trait.name in MIRRORED_TRAITS
                    and trait.dtype == Trait.TEXT_TYPE):
                row[trait.name] = Trait.convert_value(trait.dtype,
                                                      trait.value)
        return row

    # -- reads -------------------------------------------------------------

    @staticmethod
    def _trait_value(trait_filter):
        """(dtype, value) of one ``traits_filter`` entry, or None."""
        for type_name, dtype in FILTER_TYPES.items():
            if type_name in trait_filter:
                value = trait_filter[type_name]
                if dtype == Trait.DATETIME_TYPE:
                    value = api_models.normalize_datetime(value)
                return dtype, value
        return None

    def _trait_groups(self, traits_filter):
        """(conditions, groups) of ``traits_filter``.

        ``conditions`` are the filters answered on ``event`` itself (the
        mirrored visibility columns) or never true (no typed value);
        ``groups`` maps (key, dtype) to that trait's (op, value) bounds.
        Filters on the same trait name and type are one group with every
        bound (``ge`` and ``le`` make one range): an event has at most
        one value per name and type, so this means the same as one
        subquery per filter.
        """
        conditions = []
        groups = {}
        for trait_filter in traits_filter:
            key = trait_filter['key']
            op = trait_filter.get('op') or 'eq'
            typed = self._trait_value(trait_filter)
            if typed is None:
                conditions.append(sa.false())
                continue
            dtype, value = typed
            if (key in MIRRORED_TRAITS and dtype == Trait.TEXT_TYPE
                    and op == 'eq'):
                conditions.append(getattr(models.Event, key) == value)
                continue
            groups.setdefault((key, dtype), []).append((op, value))
        return conditions, groups

    @staticmethod
    def _trait_bounds(table, key, bounds, value=None):
        """``key`` and each bound on ``value`` (the table's by default)."""
        value = table.c.value if value is None else value
        return [table.c.key == key,
                *[OPERATORS[op](value, bound) for op, bound in bounds]]

    def _trait_conditions(self, traits_filter, driver=None):
        """SQL conditions for ``traits_filter``, all to be ANDed.

        Each trait group is a semi-join on its (key, value) index; the
        ``driver`` group, if given, is left out: the listing joins it.
        """
        conditions, groups = self._trait_groups(traits_filter)
        for (key, dtype), bounds in groups.items():
            if driver is not None and (key, dtype) == driver[:2]:
                continue
            table = TRAIT_MODELS[dtype].__table__
            conditions.append(models.Event.id.in_(
                sa.select(table.c.event_id).where(
                    *self._trait_bounds(table, key, bounds))))
        return conditions

    def _driven_by(self, driver):
        """The ``driver`` group as conditions on one event, if any.

        A walk applies its trait group itself, so ``conditions`` lack it;
        a marker looked up without it could be an event the filter
        excludes, and the page would go on from where that event sits.
        """
        if driver is None:
            return []
        key, dtype, bounds = driver
        table = TRAIT_MODELS[dtype].__table__
        return [sa.exists().where(table.c.event_id == models.Event.id,
                                  *self._trait_bounds(table, key, bounds))]

    def _trait_driver(self, event_filter, sort):
        """(key, dtype, bounds) of the trait a listing should walk.

        Trait rows carry their event's ``generated``, so a listing in
        ``generated`` order can walk one filter's index in page order
        and stop after a page: ``eq`` on (key, value, generated), other
        bounds on (key, generated, value), which the text table lacks.
        None when no filter can drive (sorting by message_id first).
        """
        if sort[0][0] != 'generated':
            return None
        _, groups = self._trait_groups(event_filter.traits_filter or ())
        ranged = None
        for (key, dtype), bounds in groups.items():
            if any(op == 'eq' for op, _ in bounds):
                return key, dtype, bounds
            if ranged is None and dtype in RANGE_INDEXED:
                ranged = key, dtype, bounds
        return ranged

    def _filter_conditions(self, event_filter, visibility=True,
                           driver=None):
        """WHERE conditions of an EventFilter, all to be ANDed.

        ``visibility=False`` leaves out the ``admin_proj`` rule, for a
        caller that applies it itself; so is the ``driver`` trait group
        (see ``_trait_driver``).
        """
        event = models.Event
        conditions = []
        if event_filter.message_id is not None:
            conditions.append(event.message_id == event_filter.message_id)
        if event_filter.event_type is not None:
            conditions.append(event.event_type_id == (
                sa.select(models.EventType.id)
                .where(models.EventType.desc == event_filter.event_type)
                .scalar_subquery()))
        if event_filter.start_timestamp is not None:
            conditions.append(event.generated >= api_models
                              .normalize_datetime(
                                  event_filter.start_timestamp))
        if event_filter.end_timestamp is not None:
            conditions.append(event.generated <= api_models
                              .normalize_datetime(
                                  event_filter.end_timestamp))
        conditions.extend(self._trait_conditions(
            event_filter.traits_filter or (), driver))
        if event_filter.admin_proj and visibility:
            conditions.append(self._admin_visibility(
                event_filter.admin_proj))
        return conditions

    @staticmethod
    def _admin_visibility(project):
        event = models.Event
        return sa.or_(event.project_id == project,
                      event.project_id.is_(None))

    @staticmethod
    def _after_marker(sort, marker_row):
        """Keyset condition: rows strictly after the marker in ``sort``.

        Written as an OR of prefixes (a = x AND b > y ...) rather than a
        row-value comparison so mixed directions work and MySQL uses the
        index; the redundant bound on the first key lets the index range
        scan start at the marker instead of testing the OR on every row
        before it.
        """
        clauses = []
        for i, (key, direction) in enumerate(sort):
            column = getattr(models.Event, key)
            value = marker_row[key]
            equal_prefix = [getattr(models.Event, k) == marker_row[k]
                            for k, _ in sort[:i]]
            beyond = column > value if direction == 'asc' else column < value
            clauses.append(sa.and_(*equal_prefix, beyond))
        first_key, first_dir = sort[0]
        first = getattr(models.Event, first_key)
        start = marker_row[first_key]
        return sa.and_(first >= start if first_dir == 'asc'
                       else first <= start, sa.or_(*clauses))

    @_reconnecting
    def get_events(self, event_filter, pagination=None):
        try:
            return self._get_events(event_filter, pagination)
        except (db_exc.DBError, sa.exc.DBAPIError) as err:
            if not self._prepares() or not prepared.lost(err):
                raise
            # Not the server restarting (that replaces the connection
            # and what was prepared on it with it): a pooler moving us
            # between server sessions. Plan every call from now on.
            LOG.warning('PostgreSQL lost a statement prepared on this '
                        'connection (a pooler in transaction mode?); '
                        'listing without prepared statements from now '
                        'on')
            self._preparer.enabled = False
            return self._get_events(event_filter, pagination)

    def _prepares(self):
        """Whether statements marked planned_once are prepared."""
        return self._preparer is not None and self._preparer.enabled

    def _get_events(self, event_filter, pagination):
        pagination = pagination or {}
        lookup = self._direct_lookup_args(event_filter, pagination)
        if lookup is not None:
            return self._direct_lookup(*lookup)
        sort = base.normalize_sort(pagination.get('sort'))
        limit = pagination.get('limit')
        driver = self._trait_driver(event_filter, sort)
        # The admin rule (own project OR no project) as an OR defeats the
        # (project_id, generated) index; with a limit it is run as two
        # index-ordered, limited halves instead (see below), unless a
        # trait index gives the order.
        split = bool(event_filter.admin_proj and limit and driver is None)
        conditions = self._filter_conditions(
            event_filter, visibility=not split, driver=driver)
        order = _ordered(EVENT.c, sort)
        # Without filters only values change from call to call: the
        # statements are built once per shape and kept, with the values
        # bound (see _kept).
        unfiltered = not conditions
        values = {'project': event_filter.admin_proj, 'limit': limit}
        with self._reading() as db:
            marker = pagination.get('marker')
            marker_row = None
            if marker:
                values['marker'] = marker
                if unfiltered and driver is None:
                    lookup = self._kept(('marker', split),
                                        self._marker_lookup, split, [])
                else:
                    lookup = self._marker_lookup(
                        split, [*conditions, *self._driven_by(driver)],
                        event_filter.admin_proj, marker)
                marker_row = db.execute(lookup, values).mappings().first()
                if marker_row is None:
                    raise storage.InvalidMarker(
                        'Marker %s not found.' % marker)
                if (marker_row['generated'] is None
                        and any(key == 'generated' for key, _ in sort)):
                    # Only an adopted Panko row can lack the time; the
                    # keyset conditions compare with it.
                    raise storage.InvalidMarker(
                        'Marker %s has no generated time to page after; '
                        'sort by message_id to page past it.' % marker)
            page_ids = rows = None
            if driver is not None:
                if marker_row is not None:
                    conditions.append(self._after_marker(sort, marker_row))
                page_ids = self._driven_page_ids(
                    db, event_filter, driver, sort, conditions,
                    marker_row, limit)
            elif limit:
                # The page's ids first, from the columns indexes hold;
                # then the full rows of those ids by primary key. As
                # one statement (a join to the limited subquery)
                # PostgreSQL may hash-join the page against a scan of
                # the whole table.
                after = marker_row is not None
                if unfiltered:
                    page_query = self._kept(
                        ('page', tuple(sort), split, after),
                        self._kept_page_query, sort, split, after)
                    if after:
                        values.update(('marker_' + key, marker_row[key])
                                      for key, _ in sort)
                else:
                    page_query = self._page_query(
                        sort, split, after, conditions,
                        event_filter.admin_proj, limit, marker_row)
                if split:
                    # The page's rows themselves (see _admin_page_rows).
                    rows = db.execute(page_query, values).all()
                else:
                    page_ids = list(
                        db.execute(page_query, values).scalars())
            elif marker_row is not None:
                conditions.append(self._after_marker(sort, marker_row))
            if page_ids is not None:
                rows = self._page_rows(db, page_ids)
            elif rows is None:
                query = EVENT_ROWS.where(*conditions).order_by(*order)
                if (event_filter.message_id is not None
                        and self._event_traits is not None):
                    return self._events_with_traits(db, query)
                rows = db.execute(query).all()
            traits = self._traits_of(db, [row[0] for row in rows])
        return [_event_of(row, traits) for row in rows]

    def _direct_lookup_args(self, event_filter, pagination):
        """(shape, values) of a lookup SQLite runs directly, or None.

        A lookup by message_id, with no other conditions than the API's
        visibility rules (``admin_proj``, and ``eq`` on the text traits
        ``event`` mirrors): what showing an event asks. Its shape is
        whether ``admin_proj`` applies and the mirrored names in order
        (at most MOST_MIRRORED_FILTERS of them, so shapes are few); its
        values are bound by name in the shape's statement.
        """
        if (self._direct_traits is None or event_filter.message_id is None
                or event_filter.event_type is not None
                or event_filter.start_timestamp is not None
                or event_filter.end_timestamp is not None
                or pagination.get('marker')):
            return None
        mirrored = []
        values = {'message_id': event_filter.message_id,
                  'project': event_filter.admin_proj}
        for trait_filter in event_filter.traits_filter or ():
            typed = self._trait_value(trait_filter)
            # A None value is left to the usual path, where SQLAlchemy
            # makes ``= NULL`` an ``IS NULL``.
            if (trait_filter['key'] not in MIRRORED_TRAITS
                    or (trait_filter.get('op') or 'eq') != 'eq'
                    or typed is None or typed[0] != Trait.TEXT_TYPE
                    or typed[1] is None):
                return None
            values['mirrored_%d' % len(mirrored)] = typed[1]
            mirrored.append(trait_filter['key'])
        if len(mirrored) > MOST_MIRRORED_FILTERS:
            return None
        return (bool(event_filter.admin_proj), tuple(mirrored)), values

    def _direct_lookup(self, shape, values):
        """The events of a lookup of ``shape``, in one read transaction."""
        statement = self._kept(('direct lookup', *shape),
                               self._direct_lookup_statement, *shape)
        trait_rows = []
        with direct_reads.cursor(self.engine, snapshot=True) as cursor:
            rows = statement.rows(cursor, values)
            for row in rows:
                trait_rows.extend(self._direct_traits.rows(
                    cursor, {'event_id': row[0]}, decode=False))
        trait_rows.sort(key=page_reads.EVENT_THEN_NAME)
        traits = _traits_by_event(trait_rows,
                                  self._direct_traits.processors[2:])
        return [_event_of(row, traits) for row in rows]

    def _direct_lookup_statement(self, admin, mirrored):
        """The statement of a lookup of shape ``(admin, mirrored)``."""
        conditions = [EVENT.c.message_id == sa.bindparam('message_id')]
        if admin:
            conditions.append(self._admin_visibility(
                sa.bindparam('project')))
        conditions.extend(EVENT.c[key] == sa.bindparam('mirrored_%d' % n)
                          for n, key in enumerate(mirrored))
        return direct_reads.DirectStatement(EVENT_ROWS.where(*conditions),
                                            self.engine.dialect)

    def _kept(self, shape, build, *args):
        """The statement ``build(*args)`` makes for ``shape``, kept.

        For unfiltered listings, whose statements differ only in the
        values bound to them (``project``, ``limit``, ``marker`` and the
        marker's ``marker_<key>``): building a statement and its cache
        key cost more CPU than running it. Shapes are few (sort orders
        times admin rule times marker, and SQLite's direct lookups), so
        nothing is ever evicted.
        """
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = build(*args)
        return statement

    def _kept_page_query(self, sort, split, after):
        """The page query of an unfiltered listing, values bound by name.

        Under the admin rule it is marked to be prepared with a generic
        plan (see GENERIC_PLAN), where statements are prepared.
        """
        query = self._page_query(sort, split, after, [])
        if split and self._preparer is not None:
            query = prepared.planned_once(query, GENERIC_PLAN + '; ')
        return query

    def _marker_lookup(self, split, conditions, project=None, marker=None):
        """SELECT of the marker's sort columns, among what may be listed.

        ``project`` and ``marker`` are bound by name when left out.
        """
        event = models.Event
        if marker is None:
            marker = sa.bindparam('marker')
        visible = []
        if split:
            visible.append(self._admin_visibility(
                sa.bindparam('project') if project is None else project))
        return (sa.select(event.generated, event.message_id)
                .where(event.message_id == marker, *conditions, *visible))

    def _page_query(self, sort, split, after, conditions, project=None,
                    limit=None, marker_row=None):
        """SELECT of a page in ``sort`` order, ``after`` a marker.

        Its ids; under the admin rule (``split``) its rows, as
        ``EVENT_ROWS`` has them (see _admin_page_rows).

        ``project``, ``limit`` and the marker's values (``marker_<key>``)
        are bound by name when left out.
        """
        if limit is None:
            limit = sa.bindparam('limit')
        conditions = list(conditions)
        if after:
            if marker_row is None:
                marker_row = {key: sa.bindparam('marker_' + key)
                              for key, _ in sort}
            conditions.append(self._after_marker(sort, marker_row))
        if split:
            return self._admin_page_rows(
                sa.bindparam('project') if project is None else project,
                conditions, sort, limit)
        return (sa.select(EVENT.c.id).where(*conditions)
                .order_by(*_ordered(EVENT.c, sort)).limit(limit))

    def _page_rows(self, db, ids):
        """The event rows of ``ids``, a page's in its order.

        One statement for every page, whatever its filters and order:
        the ids come in page order, so the rows are put in it here.
        """
        if self._direct_page_rows is not None:
            rows = direct_reads.rows_within(
                db, self._direct_page_rows,
                {'ids': page_reads.json_ids(ids)})
        else:
            rows = db.execute(self._page_rows_query, {'ids': ids}).all()
        position = {event_id: n for n, event_id in enumerate(ids)}
        rows.sort(key=lambda row: position[row[0]])
        return rows

    def _events_with_traits(self, db, query):
        """The events of ``query`` and their traits, in one statement.

        For a lookup by message_id on PostgreSQL, where a round trip
        counts: the event's row is joined to its traits (a LATERAL
        UNION ALL). With neither the pool's ping nor a transaction
        around reads there (see _reading), a lookup is one round trip;
        it used to be five (ping, BEGIN, the event, its traits,
        ROLLBACK).
        """
        traits = self._event_traits
        rows = db.execute(prepared.planned_once(
            query.add_columns(*traits.c)
            .outerjoin(traits, sa.true()))).all()
        events = {}
        trait_rows = []
        for row in rows:
            events.setdefault(row[0], row)
            # The event's columns, then key and one value per type.
            if row[5] is not None:
                trait_rows.append((row[0], *row[5:]))
        trait_rows.sort(key=page_reads.EVENT_THEN_NAME)
        by_event = _traits_by_event(trait_rows, (None,) * len(TRAIT_MODELS))
        return [_event_of(row, by_event) for row in events.values()]

    def _driven_page_ids(self, db, event_filter, driver, sort, conditions,
                         marker_row, limit):
        """Ids of the page, walking the ``driver`` trait's index.

        The walk is in ``generated`` order only: the tie-breaker
        (message_id) lives on ``event``. PostgreSQL sorts each run of
        ties as the walk reaches it (an incremental sort) and stops
        after the page, so there the page is one query. SQLite and
        MySQL would sort every match first; for them the walk stops a
        page deep in ``generated`` order alone, the rows tied with the
        page's last ``generated`` are looked up on the index, and
        ``_tie_broken`` puts the page in order. Time bounds (the
        filter's and the marker's) are repeated on the trait row so the
        walk starts where they do.
        """
        key, dtype, bounds = driver
        table = TRAIT_MODELS[dtype].__table__
        ascending = sort[0][1] == 'asc'
        walked = table.c.generated

        def not_before(value):
            return walked >= value if ascending else walked <= value

        trait_where, index = self._walk_plan(db, table, key, bounds)
        where = [*trait_where, *conditions]
        start = event_filter.start_timestamp
        end = event_filter.end_timestamp
        if start is not None:
            where.append(walked >= api_models.normalize_datetime(start))
        if end is not None:
            where.append(walked <= api_models.normalize_datetime(end))
        if marker_row is not None and marker_row['generated'] is not None:
            where.append(not_before(marker_row['generated']))
        walk = walked.asc() if ascending else walked.desc()
        joined = table.join(EVENT, EVENT.c.id == table.c.event_id)

        def select(*columns):
            query = sa.select(*columns).select_from(joined)
            if index is not None:
                query = query.with_hint(table, 'FORCE INDEX (%s)' % index,
                                        dialect_name='mysql')
            return query.where(*where)

        if limit and db.dialect.name != 'postgresql':
            keys = walked, EVENT.c.message_id, EVENT.c.id
            walk_rows = db.execute(
                select(*keys).order_by(walk).limit(limit)).all()
            edge = walk_rows[-1][0] if len(walk_rows) == limit else None
            if len(walk_rows) < limit or edge is not None:
                if edge is not None:
                    # Rows tied with the page's last one may sort
                    # before it by message_id: all of them compete.
                    where.append(walked == edge)
                    walk_rows = [row for row in walk_rows
                                 if row[0] != edge]
                    walk_rows.extend(db.execute(select(*keys)).all())
                return [row[2] for row in
                        _tie_broken(walk_rows, sort)[:limit]]
            # A page of NULL ``generated`` (adopted Panko rows): sorted
            # in SQL, as a whole.
        query = select(EVENT.c.id).order_by(
            walk, *_ordered(EVENT.c, sort[1:]))
        if limit:
            query = query.limit(limit)
        return list(db.execute(query).scalars())

    def _walk_plan(self, db, table, key, bounds):
        """(trait conditions, index to force on MySQL) of a driven walk.

        PostgreSQL's planner weighs the LIMIT and picks the index by
        itself. SQLite's and MySQL's do not: for a range they read every
        match on (key, value, generated) and sort them, 60 times slower
        than walking (key, generated, value) at 1M events. Walking is
        not always right either: for a range matching only a few rows
        it would read the whole key. So a range first counts its
        matches on the value index, up to ``RANGE_PROBE``: fewer, and
        they are read and sorted; as many, and the walk is taken, its
        value bounds written so SQLite cannot use them on an index.
        """
        conditions = self._trait_bounds(table, key, bounds)
        dialect = db.dialect.name
        if dialect == 'postgresql':
            return conditions, None
        by_value = 'ix_%s_key_value_generated' % table.name
        if (any(op == 'eq' for op, _ in bounds)
                or not self._many_matches(db, table, conditions)):
            return conditions, by_value
        unindexed = sa.type_coerce(sa.func.coalesce(table.c.value,
                                                    table.c.value),
                                   table.c.value.type)
        return (self._trait_bounds(table, key, bounds, unindexed),
                'ix_%s_key_generated_value' % table.name)

    @staticmethod
    def _many_matches(db, table, conditions):
        """Whether ``conditions`` match at least ``RANGE_PROBE`` rows."""
        some = (sa.select(table.c.event_id).where(*conditions)
                .limit(RANGE_PROBE).subquery())
        found = db.execute(sa.select(sa.func.count()).select_from(some))
        return found.scalar() >= RANGE_PROBE

    @staticmethod
    def _admin_page_rows(project, conditions, sort, limit):
        """The page's rows under the admin rule: a merge of two halves.

        Each half (project = P; project IS NULL) walks its own
        (project_id, generated, message_id) index range in page order,
        stops after ``limit`` rows and carries the event's columns, so
        the page is the first ``limit`` rows of their merge, with no
        lookup back into ``event`` by id (one round trip fewer; the
        heap rows were read anyway). Each half is ordered by project_id
        first, which names that index: PostgreSQL otherwise walked the
        ``generated`` index for the project-less events and filtered
        out the other 97 % on the way (0.77 against 0.07 ms). MariaDB
        would start from the event types rather than the page.

        ``project`` and ``limit`` may be bound parameters (see _kept).
        """
        lead = sa.asc if sort[0][1] == 'asc' else sa.desc
        halves = []
        for own in (EVENT.c.project_id == project,
                    EVENT.c.project_id.is_(None)):
            half = (sa.select(*(EVENT.c[name] for name in EVENT_ROW_COLUMNS),
                              EVENT.c.event_type_id)
                    .where(own, *conditions)
                    .order_by(lead(EVENT.c.project_id),
                              *_ordered(EVENT.c, sort))
                    .limit(limit).subquery())
            halves.append(sa.select(*half.c))
        page = sa.union_all(*halves).subquery('page')
        event_type = models.EventType.__table__
        return (sa.select(*(page.c[name] for name in EVENT_ROW_COLUMNS),
                          event_type.c.desc)
                .join(event_type, event_type.c.id == page.c.event_type_id)
                .prefix_with('STRAIGHT_JOIN', dialect='mysql')
                .order_by(*_ordered(page.c, sort)).limit(limit))

    def _traits_of(self, db, event_ids):
        """{event id: its traits by name}: one prebuilt UNION ALL.

        Each row holds its value in the column of its type (see
        ``page_reads.traits_query``); the rows are fetched at once, not
        one DBAPI call each, and come sorted by event and name.
        """
        if not event_ids:
            return {}
        if (len(event_ids) > 1 and db.dialect.name == 'postgresql'
                and not self._prepares()):
            # Prepared, the statement carries it.
            db.exec_driver_sql(SERIAL_PLANS)
        if self._direct_page_traits is not None:
            return self._direct_traits_of(db, event_ids)
        rows, processors = page_reads.fetch_traits(
            db, self._traits_query, list(event_ids),
            self._trait_value_types)
        return _traits_by_event(rows, processors)

    def _direct_traits_of(self, db, event_ids):
        """``_traits_of`` on SQLite: a statement per trait table.

        Each row becomes its table's type of Trait as it is read; the
        (event id, name, Trait) rows are then sorted by event and name,
        the order an event's traits are handed out in.
        """
        values = {'ids': page_reads.json_ids(event_ids)}
        rows = []
        for dtype, statement in self._direct_page_traits:
            process = statement.processors[2]
            found = direct_reads.rows_within(db, statement, values,
                                             decode=False)
            if process is None:
                rows.extend([(event_id, key, Trait(key, dtype, value))
                             for event_id, key, value in found])
            else:
                rows.extend([(event_id, key,
                              Trait(key, dtype, process(value)))
                             for event_id, key, value in found])
        rows.sort(key=page_reads.EVENT_THEN_NAME)
        traits = {}
        last = None
        for event_id, _, trait in rows:
            if event_id != last:
                last = event_id
                traits[event_id] = of_event = []
            of_event.append(trait)
        return traits

    @_reconnecting
    def get_event_types(self):
        # A Core connection and a statement built once: an ORM session
        # and a fresh select() cost more than the query itself (0.38
        # against 0.17 ms on SQLite); on SQLite, run on the DBAPI cursor.
        if self._direct_event_types is not None:
            with direct_reads.cursor(self.engine) as cursor:
                return [row[0] for row in
                        self._direct_event_types.rows(cursor, {})]
        with self._reading() as db:
            return list(db.execute(EVENT_TYPE_NAMES).scalars())

    def _type_id(self, session, event_type):
        return session.execute(
            sa.select(models.EventType.id)
            .where(models.EventType.desc == event_type)).scalar()

    @staticmethod
    def _has_trait(dialect_name, type_id, dtype, key):
        """Whether an event of ``type_id`` has trait ``key`` of ``dtype``.

        Elsewhere an EXISTS: the planner may start from either side and
        stops at the first match, so a common trait costs a few index
        probes. MariaDB runs such EXISTS, ORed for the four trait
        tables, as something costlier (0.6-0.7 s for a dozen names on
        a 1M store); asked instead for the first event of the type that
        has the trait, walked in that order, it answers in 3 ms.
        """
        table = TRAIT_MODELS[dtype].__table__
        if dialect_name == 'mysql':
            first = (sa.select(sa.literal(1))
                     .select_from(EVENT)
                     .join(table, table.c.event_id == EVENT.c.id)
                     .where(EVENT.c.event_type_id == type_id,
                            table.c.key == key)
                     .prefix_with('STRAIGHT_JOIN')
                     .limit(1))
            return first.scalar_subquery().is_not(None)
        return (sa.select(sa.literal(1))
                .select_from(table)
                .join(EVENT, EVENT.c.id == table.c.event_id)
                .where(table.c.key == key,
                       EVENT.c.event_type_id == type_id)
                .exists())

    @_reconnecting
    def get_trait_types(self, event_type):
        """From the summary table, each row confirmed by the trait tables.

        A summary row can outlive the last trait it stands for (events
        are deleted without touching the summary, which concurrent
        writers may be adding to), so each is checked with an EXISTS.
        """
        with self._sessions() as session:
            type_id = self._type_id(session, event_type)
            if type_id is None:
                return []
            confirmed = sa.or_(*[
                sa.and_(SUMMARY.c.dtype == dtype,
                        self._has_trait(self.engine.dialect.name, type_id,
                                        dtype, SUMMARY.c.key))
                for dtype in TRAIT_MODELS])
            rows = session.execute(
                sa.select(SUMMARY.c.key, SUMMARY.c.dtype)
                .where(SUMMARY.c.event_type_id == type_id, confirmed)
                .order_by(SUMMARY.c.dtype, SUMMARY.c.key)).all()
        return [{'name': key, 'data_type': dtype} for key, dtype in rows]

    @_reconnecting
    def get_traits(self, event_type, trait_type=None):
        """Every trait (of one name) on the events of a type.

        Events are walked in (generated, message_id) order on the event
        type's index, and each one's trait is a primary-key probe
        written as a correlated subquery: every planner runs that as a
        nested loop, where a join lets PostgreSQL hash the whole trait
        table. The summary table says which trait tables to ask, and
        only when several answer are their lists merged by event.
        """
        with self._reading() as db:
            type_id = self._type_id(db, event_type)
            if type_id is None:
                return []
            candidates = sa.select(SUMMARY.c.dtype).distinct().where(
                SUMMARY.c.event_type_id == type_id)
            if trait_type is not None:
                candidates = candidates.where(SUMMARY.c.key == trait_type)
            dtypes = sorted(db.execute(candidates).scalars())
            found = {}
            for dtype in dtypes:
                rows = [row for row in db.execute(
                    self._traits_in_event_order(type_id, dtype, trait_type))
                    if row[1] is not None]
                if len(dtypes) == 1:
                    return [Trait(key, dtype, value)
                            for _, key, value in rows]
                for event_id, key, value in rows:
                    found.setdefault(event_id, []).append(
                        (key, dtype, Trait(key, dtype, value)))
            if not found:
                return []
            ids = db.execute(
                sa.select(EVENT.c.id)
                .where(EVENT.c.event_type_id == type_id)
                .order_by(EVENT.c.generated, EVENT.c.message_id)
            ).scalars()
            traits = []
            for event_id in ids:
                of_event = found.get(event_id)
                if of_event:
                    of_event.sort(key=lambda item: item[:2])
                    traits.extend(item[2] for item in of_event)
        return traits

    @staticmethod
    def _traits_in_event_order(type_id, dtype, trait_type):
        """(event id, key, value) of one trait table, in event order."""
        table = TRAIT_MODELS[dtype].__table__
        in_order = (EVENT.c.event_type_id == type_id,)
        order = [EVENT.c.generated, EVENT.c.message_id]
        if trait_type is None:
            return (sa.select(EVENT.c.id, table.c.key, table.c.value)
                    .select_from(EVENT)
                    .join(table, table.c.event_id == EVENT.c.id)
                    .where(*in_order).order_by(*order, table.c.key))
        # Scalar subqueries, not EXISTS in the WHERE clause: PostgreSQL
        # turns that into a semi-join and may hash the trait table. The
        # key (never NULL where the trait exists) tells an absent trait.
        probe = (table.c.event_id == EVENT.c.id, table.c.key == trait_type)
        return (sa.select(
            EVENT.c.id,
            sa.select(table.c.key).where(*probe).scalar_subquery(),
            sa.select(table.c.value).where(*probe).scalar_subquery())
            .where(*in_order).order_by(*order))

    # -- deletes -----------------------------------------------------------

    @staticmethod
    def _delete_ids(db, ids):
        for table in TRAIT_MODELS.values():
            db.execute(sa.delete(table).where(table.event_id.in_(ids)))
        db.execute(sa.delete(models.Event).where(models.Event.id.in_(ids)))

    def _delete_where(self, conditions, max_count=None, order=None):
        """Delete matching events in short chunked transactions."""
        removed = 0
        while True:
            chunk = DELETE_CHUNK
            if max_count:
                chunk = min(chunk, max_count - removed)
                if chunk <= 0:
                    break
            ids = _retry_if_busy(self._delete_chunk, conditions, chunk,
                                 order)
            removed += len(ids)
            if len(ids) < chunk:
                break
        if removed:
            _retry_if_busy(self._delete_unused_event_types)
        return removed

    def _delete_chunk(self, conditions, chunk, order):
        """One short transaction deleting up to ``chunk`` events."""
        with self._writing() as db:
            query = sa.select(models.Event.id).where(*conditions)
            if order is not None:
                query = query.order_by(order)
            ids = list(db.execute(query.limit(chunk)).scalars())
            if ids:
                self._delete_ids(db, ids)
        return ids

    def _delete_unused_event_types(self):
        """Forget types whose last event is gone, as Panko did."""
        used = sa.select(models.Event.id).where(
            models.Event.event_type_id == models.EventType.id)
        try:
            with self._writing() as db:
                db.execute(sa.delete(models.EventType)
                           .where(~used.exists()))
                # Their trait-name summary goes with them.
                known = sa.select(models.EventType.id).where(
                    models.EventType.id == SUMMARY.c.event_type_id)
                db.execute(sa.delete(SUMMARY).where(~known.exists()))
        except (db_exc.DBReferenceError, db_exc.DBDeadlock):
            # A writer gave one of these types a new event meanwhile:
            # it is in use again, so keeping it is right.
            LOG.debug('event types in use again; not removed')

    @_reconnecting
    def clear_expired_data(self, ttl, max_count=None):
        cutoff = (datetime.datetime.now(datetime.timezone.utc)
                  .replace(tzinfo=None) - datetime.timedelta(seconds=ttl))
        removed = self._delete_where([models.Event.generated < cutoff],
                                     max_count=max_count,
                                     order=models.Event.generated)
        LOG.info('%d events are removed from database', removed)
        return removed

    @_reconnecting
    def delete_events(self, event_filter):
        return self._delete_where(self._filter_conditions(event_filter))

    # -- statistics --------------------------------------------------------

    @_reconnecting
    def get_event_statistics(self, event_filter, period=None, groupby=(),
                             aggregates=()):
        """Computed in the database; see sqlalchemy/statistics.py."""
        with self._sessions() as session:
            return statistics.event_statistics(
                session, self._filter_conditions(event_filter),
                event_filter, period, groupby, aggregates)
