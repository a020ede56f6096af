"""Shared fixtures: one storage suite, four back ends.

Every test that asks for ``conn`` (or anything built on ``conf``) runs
once per back end: ``sqlite``, ``memory``, ``postgresql`` and ``mysql``.
Each test module gets its own database per back end, created when the
module's first test for that back end starts and dropped when its last
one ends; every test then starts from an empty store.

The PostgreSQL and MySQL/MariaDB servers are expected on 127.0.0.1
(5432, user ``postgres`` with trust auth; 3306, user ``root`` with an
empty password). When one is unreachable its tests are skipped, unless
``PANKO_CLONE_REQUIRE_DATABASES=1`` is set, in which case they fail.
"""

import contextlib
import functools
import gc
import hashlib
import os
import re
import warnings

import pytest

from panko_clone import storage
from tests.helpers import make_conf

BACKENDS = ('sqlite', 'memory', 'postgresql', 'mysql')
# Modules about SQL itself override ``backend`` with these.
SQL_BACKENDS = ('sqlite', 'postgresql', 'mysql')

PG_HOST, PG_PORT, PG_USER = '127.0.0.1', 5432, 'postgres'
MY_HOST, MY_PORT, MY_USER = '127.0.0.1', 3306, 'root'

# PostgreSQL identifiers stop at 63 bytes, MySQL database names at 64.
MAX_DB_NAME = 63


def databases_required():
    return os.environ.get('PANKO_CLONE_REQUIRE_DATABASES') == '1'


def worker_id():
    return os.environ.get('PYTEST_XDIST_WORKER', 'main')


def database_name(module_name):
    """``pc_test_<worker>_<module-slug>``, short enough for every server."""
    slug = re.sub(r'[^a-z0-9]+', '_', module_name.lower()).strip('_')
    if slug.startswith('tests_'):
        slug = slug[len('tests_'):]
    # PANKO_CLONE_TEST_RUN keeps two suites run side by side on one
    # machine (two work trees, say) out of each other's databases.
    run = os.environ.get('PANKO_CLONE_TEST_RUN', '') + worker_id()
    worker = re.sub(r'[^a-z0-9]+', '_', run.lower())
    name = 'pc_test_%s_%s' % (worker, slug)
    if len(name) > MAX_DB_NAME:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = name[:MAX_DB_NAME - 9] + '_' + digest
    return name


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER,
                            dbname='postgres', connect_timeout=5)
    conn.autocommit = True
    return conn


def _mysql_admin():
    import pymysql

    return pymysql.connect(host=MY_HOST, port=MY_PORT, user=MY_USER,
                           password='', connect_timeout=5, autocommit=True)


@functools.lru_cache(maxsize=None)
def server_problem(backend):
    """None when the back end's server answers, else why it does not."""
    try:
        if backend == 'postgresql':
            _pg_admin().close()
        elif backend == 'mysql':
            _mysql_admin().close()
    except Exception as err:  # any driver error means "not reachable"
        where = {'postgresql': 'PostgreSQL not reachable at %s:%s' % (
                     PG_HOST, PG_PORT),
                 'mysql': 'MySQL/MariaDB not reachable at %s:%s' % (
                     MY_HOST, MY_PORT)}[backend]
        return '%s: %s' % (where, str(err).strip() or type(err).__name__)
    return None


def require_server(backend):
    problem = server_problem(backend)
    if problem is None:
        return
    if databases_required():
        pytest.fail(problem + ' (PANKO_CLONE_REQUIRE_DATABASES=1)',
                    pytrace=False)
    pytest.skip(problem)


# Production databases are often created with a linguistic collation,
# under which PostgreSQL sorts 'a.b' before 'Bar' unless told otherwise;
# the tests' databases take ICU's en-US where the server has ICU, so
# every ordering and comparison test shows that the store is not swayed
# by it (revision e5c1a7d3f920).
PG_LINGUISTIC = ("LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                 "LOCALE 'C.UTF-8'")


def _create_pg(name):
    admin = _pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
            cur.execute("SELECT count(*) FROM pg_collation "
                        "WHERE collprovider = 'i'")
            locale = PG_LINGUISTIC if cur.fetchone()[0] else ''
            cur.execute('CREATE DATABASE "%s" ENCODING \'UTF8\' '
                        'TEMPLATE template0 %s' % (name, locale))
    finally:
        admin.close()
    return 'postgresql+psycopg2://%s@%s:%s/%s' % (PG_USER, PG_HOST,
                                                   PG_PORT, name)


def _drop_pg(name):
    admin = _pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    finally:
        admin.close()


def _pg_terminate(cur, name):
    """Terminate every session of PostgreSQL database ``name``; how many."""
    cur.execute('SELECT count(pg_terminate_backend(pid)) '
                'FROM pg_stat_activity WHERE datname = %s', (name,))
    return cur.fetchone()[0]


def pg_kill_sessions(name):
    """Kill the sessions of database ``name`` (as a restart would); how
    many there were."""
    admin = _pg_admin()
    try:
        with admin.cursor() as cur:
            return _pg_terminate(cur, name)
    finally:
        admin.close()


@contextlib.contextmanager
def pg_refusing_connections(name):
    """PostgreSQL database ``name`` down for the block's duration.

    Its sessions are killed and new ones refused (as during a server
    restart or an outage); on leaving, connections are allowed again.
    """
    admin = _pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute('ALTER DATABASE "%s" ALLOW_CONNECTIONS false'
                        % name)
            _pg_terminate(cur, name)
        yield
    finally:
        with admin.cursor() as cur:
            cur.execute('ALTER DATABASE "%s" ALLOW_CONNECTIONS true'
                        % name)
        admin.close()


def _create_mysql(name):
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS `%s`' % name)
            cur.execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4' % name)
    finally:
        admin.close()
    return 'mysql+pymysql://%s@%s:%s/%s?charset=utf8mb4' % (
        MY_USER, MY_HOST, MY_PORT, name)


def _drop_mysql(name):
    admin = _mysql_admin()
    try:
        with admin.cursor() as cur:
            cur.execute('SET SESSION lock_wait_timeout = 20')
            cur.execute('DROP DATABASE IF EXISTS `%s`' % name)
    finally:
        admin.close()


def sql_backend(request):
    """A module's ``backend`` fixture body for SQL_BACKENDS params."""
    if request.param != 'sqlite':
        require_server(request.param)
    return request.param


@pytest.fixture(scope='module', params=BACKENDS)
def backend(request):
    """The name of the storage back end this module run is using."""
    if request.param in ('postgresql', 'mysql'):
        require_server(request.param)
    return request.param


@pytest.fixture(scope='module')
def db_url(backend, request, tmp_path_factory):
    """A fresh, empty database for this module on ``backend``."""
    name = database_name(request.module.__name__)
    if backend == 'memory':
        yield 'memory://'
        return
    if backend == 'sqlite':
        path = tmp_path_factory.mktemp(name) / 'panko.sqlite'
        yield 'sqlite:///%s' % path
        return
    create, drop = {'postgresql': (_create_pg, _drop_pg),
                    'mysql': (_create_mysql, _drop_mysql)}[backend]
    try:
        url = create(name)
    except Exception as err:
        message = 'could not create %s database %s: %s' % (backend, name,
                                                          err)
        if databases_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield url
    gc.collect()  # let go of pooled connections held by dead apps
    try:
        drop(name)
    except Exception as err:
        warnings.warn('could not drop %s database %s: %s' % (backend, name,
                                                             err))


@pytest.fixture(scope='module')
def conf(db_url):
    conf = make_conf(db_url)
    yield conf
    conf.reset()


def close_connection(connection):
    """Best effort: release whatever a driver holds (pools, files)."""
    for name in ('close', 'dispose'):
        method = getattr(connection, name, None)
        if callable(method):
            try:
                method()
            except Exception as err:
                warnings.warn('closing %r failed: %s' % (connection, err))


@pytest.fixture(scope='module')
def store(conf):
    """The module's storage connection, schema in place."""
    connection = storage.get_connection_from_config(conf)
    connection.upgrade()
    yield connection
    close_connection(connection)


@pytest.fixture
def conn(store):
    """The module's connection, emptied for this test."""
    store.clear()
    store.upgrade()
    return store
