"""Where a benchmark's store lives, and opening it.

A server URL (PostgreSQL, MySQL/MariaDB) names only the server: the
benchmark creates its own database there, by default ``pc_bench_full``
(``bench.queries`` uses ``pc_bench``, so both can run side by side),
and drops it afterwards unless told to keep it.
"""

import contextlib
import logging
import os
import shutil
import tempfile

import sqlalchemy as sa

from panko_clone import service
from panko_clone import storage

DEFAULT_DATABASE = 'pc_bench_full'


def server_database(url, name=DEFAULT_DATABASE):
    """(URL of database ``name`` on the server of ``url``, admin URL).

    None for a URL that is not a database server's (SQLite, memory).
    """
    if url.startswith('memory:'):
        return None
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    # Bare schemes mean the drivers the storage layer uses for them.
    bare = {'postgresql': 'postgresql+psycopg2', 'mysql': 'mysql+pymysql'}
    if parsed.drivername in bare:
        parsed = parsed.set(drivername=bare[parsed.drivername])
    if backend == 'postgresql':
        admin = parsed.set(database='postgres')
    elif backend == 'mysql':
        admin = parsed.set(database=None)
    else:
        return None
    return parsed.set(database=name), admin


def fresh_database(url, name=DEFAULT_DATABASE):
    """(URL to work on, admin URL or None), database ``name`` made anew.

    On a server URL database ``name`` is (re)created, and its URL comes
    back with the admin URL :func:`drop_database` takes. Any other URL
    (an SQLite file, memory://) comes back as it is, with None.
    """
    server = server_database(url, name)
    if server is None:
        return url, None
    bench_url, admin = server
    recreate_database(admin, name)
    return bench_url.render_as_string(hide_password=False), admin


def add_scratch_arguments(parser, name):
    """``--url`` and ``--database-name`` of a command's throwaway store."""
    parser.add_argument('--url', help='database URL (default: a '
                        'throwaway SQLite file in a temporary directory)')
    parser.add_argument('--database-name', default=name,
                        help='database created on a server URL '
                        '(default %(default)s)')


@contextlib.contextmanager
def scratch_store(url, name, prefix):
    """The URL of a throwaway store, gone again at exit.

    ``url`` None: an SQLite file in a temporary directory named from
    ``prefix``; a server URL: database ``name`` there, made anew.
    """
    tmpdir = tempfile.mkdtemp(prefix=prefix)
    admin = None
    try:
        work_url, admin = fresh_database(
            url or 'sqlite:///' + os.path.join(tmpdir, 'bench.db'), name)
        yield work_url
    finally:
        drop_database(admin, name)
        shutil.rmtree(tmpdir, ignore_errors=True)


def drop_database(admin_url, name=DEFAULT_DATABASE):
    """Drop what :func:`fresh_database` made; nothing without a server."""
    if admin_url is not None:
        recreate_database(admin_url, name, drop_only=True)


def recreate_database(admin_url, name=DEFAULT_DATABASE, drop_only=False):
    """Drop database ``name`` (closing its sessions) and create it anew."""
    engine = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    try:
        with engine.connect() as conn:
            if engine.dialect.name == 'postgresql':
                # Other sessions (a previous run's pool) must not block.
                conn.execute(sa.text(
                    'SELECT pg_terminate_backend(pid) FROM '
                    'pg_stat_activity WHERE datname = :db '
                    'AND pid <> pg_backend_pid()'), {'db': name})
                quoted = '"%s"' % name
            else:
                quoted = '`%s`' % name
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s' % quoted))
            if not drop_only:
                extra = (' CHARACTER SET utf8mb4'
                         if engine.dialect.name == 'mysql' else '')
                conn.execute(sa.text('CREATE DATABASE %s%s'
                                     % (quoted, extra)))
    finally:
        engine.dispose()


def analyze(conn):
    """Refresh the planner's statistics, as autovacuum would.

    PostgreSQL is vacuumed too: a fill of a million events leaves
    autovacuum a few minutes of work on the trait tables, which would
    otherwise run while the queries are timed. For the same reason it
    is then checkpointed: the fill leaves gigabytes of dirty buffers
    that the checkpointer would otherwise write out, spread over the
    next minutes, beside the timed queries.
    """
    engine = getattr(conn, 'engine', None)
    if engine is None:
        return
    if engine.dialect.name == 'postgresql':
        # On a connection of its own: one of the store's pool, once run
        # at the AUTOCOMMIT isolation level, would cost every timed read
        # on it a round trip more (see the driver's _autocommitting).
        own = sa.create_engine(engine.url, isolation_level='AUTOCOMMIT',
                               poolclass=sa.pool.NullPool)
        try:
            with own.connect() as db:
                db.execute(sa.text('VACUUM ANALYZE'))
                db.execute(sa.text('CHECKPOINT'))
        finally:
            own.dispose()
        return
    with engine.begin() as db:
        if engine.dialect.name == 'mysql':
            for table in sa.inspect(engine).get_table_names():
                db.execute(sa.text('ANALYZE TABLE `%s`' % table))
        else:
            db.execute(sa.text('ANALYZE'))


def connect(url):
    """A storage connection to the store at ``url``, as it is."""
    conf = service.prepare_service([], [])
    conf.set_override('connection', url, 'database')
    # Migration chatter would bury the figures.
    logging.getLogger('alembic').setLevel(logging.WARNING)
    return storage.get_connection_from_config(conf)


def open_store(url):
    """A storage connection to ``url``, schema created, emptied."""
    conn = connect(url)
    conn.upgrade()
    conn.clear()
    return conn


def close_store(conn):
    engine = getattr(conn, 'engine', None)
    if engine is not None:
        engine.dispose()
