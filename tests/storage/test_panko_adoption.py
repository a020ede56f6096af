"""panko-clone-dbsync adopts a database that Panko 10.0.0 created.

The Panko schema is declared here from its documented layout (six
tables, DECIMAL epoch timestamps on MySQL), filled with rows the way
Panko's driver wrote them, then upgraded by the real command; every event
and trait must read back exactly, and the visibility rules must already
work on the adopted rows.
"""

import datetime
import decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from panko_clone.cmd import storage as storage_cmd
from panko_clone import storage
from panko_clone.storage import models
from tests import conftest

EPOCH = datetime.datetime(1970, 1, 1)


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    """Adoption concerns the SQL back ends only."""
    return conftest.sql_backend(request)


def panko_timestamp(dialect_name):
    if dialect_name == 'mysql':
        return mysql.DECIMAL(precision=20, scale=6, asdecimal=True)
    return sa.DateTime()


def to_panko(value, dialect_name):
    if dialect_name == 'mysql':
        delta = value - EPOCH
        return (decimal.Decimal(delta.days * 86400 + delta.seconds)
                + decimal.Decimal(delta.microseconds).scaleb(-6))
    return value


def panko_metadata(dialect_name, int_type):
    meta = sa.MetaData()
    args = {'mysql_charset': 'utf8', 'mysql_engine': 'InnoDB'}
    sa.Table('event_type', meta,
             sa.Column('id', sa.Integer, primary_key=True),
             sa.Column('desc', sa.String(255), unique=True), **args)
    sa.Table('event', meta,
             sa.Column('id', sa.Integer, primary_key=True),
             sa.Column('message_id', sa.String(50), unique=True),
             sa.Column('generated', panko_timestamp(dialect_name)),
             sa.Column('raw', sa.Text),
             sa.Column('event_type_id', sa.Integer,
                       sa.ForeignKey('event_type.id')),
             sa.Index('ix_event_message_id', 'message_id'),
             sa.Index('ix_event_type_id', 'event_type_id'),
             sa.Index('ix_event_generated', 'generated'), **args)
    for name, value_type in (('trait_text', sa.String(255)),
                             ('trait_int', int_type),
                             ('trait_float', sa.Float(53)),
                             ('trait_datetime',
                              panko_timestamp(dialect_name))):
        sa.Table(name, meta,
                 sa.Column('event_id', sa.Integer,
                           sa.ForeignKey('event.id'), primary_key=True),
                 sa.Column('key', sa.String(255), primary_key=True),
                 sa.Column('value', value_type),
                 sa.Index('ix_%s_event_id_key' % name, 'event_id', 'key'),
                 **args)
    return meta


def build_panko_database(url, stamp):
    """Create Panko's tables, fill them, optionally stamp c3955547bff2."""
    engine = sa.create_engine(url)
    name = engine.dialect.name
    # A database made before Panko's only revision had 32-bit ints.
    meta = panko_metadata(name, sa.BigInteger if stamp else sa.Integer)
    with engine.begin() as conn:
        meta.drop_all(conn)
        conn.execute(sa.text('DROP TABLE IF EXISTS alembic_version'))
        meta.create_all(conn)
        t = meta.tables
        conn.execute(t['event_type'].insert(), [
            {'id': 1, 'desc': 'compute.instance.create.end'},
            {'id': 2, 'desc': 'identity.user.created'}])
        conn.execute(t['event'].insert(), [
            {'id': 1, 'message_id': 'm-1', 'event_type_id': 1,
             'generated': to_panko(datetime.datetime(
                 2017, 3, 1, 10, 0, 0, 123456), name),
             'raw': '{"payload": {"state": "active"}}'},
            {'id': 2, 'message_id': 'm-2', 'event_type_id': 1,
             'generated': to_panko(datetime.datetime(2017, 3, 1, 11), name),
             'raw': None},
            {'id': 3, 'message_id': 'm-3', 'event_type_id': 2,
             'generated': to_panko(datetime.datetime(2017, 3, 2), name),
             'raw': '{}'}])
        conn.execute(t['trait_text'].insert(), [
            {'event_id': 1, 'key': 'project_id', 'value': 'p1'},
            {'event_id': 1, 'key': 'user_id', 'value': 'u1'},
            {'event_id': 1, 'key': 'state', 'value': 'actif \u00e9t\u00e9'},
            {'event_id': 2, 'key': 'project_id', 'value': 'p2'},
            {'event_id': 2, 'key': 'user_id', 'value': 'u2'}])
        conn.execute(t['trait_int'].insert(), [
            {'event_id': 1, 'key': 'memory_mb', 'value': 2048}])
        conn.execute(t['trait_float'].insert(), [
            {'event_id': 1, 'key': 'cpu_util', 'value': 12.345678}])
        conn.execute(t['trait_datetime'].insert(), [
            {'event_id': 1, 'key': 'launched_at',
             'value': to_panko(datetime.datetime(
                 2017, 3, 1, 9, 59, 59, 999999), name)}])
        if stamp:
            conn.execute(sa.text(
                'CREATE TABLE alembic_version '
                '(version_num VARCHAR(32) NOT NULL PRIMARY KEY)'))
            conn.execute(sa.text(
                "INSERT INTO alembic_version VALUES ('c3955547bff2')"))
    engine.dispose()


def dbsync(url, tmp_path):
    config = tmp_path / 'panko_clone.conf'
    config.write_text('[database]\nconnection = %s\n' % url)
    assert storage_cmd.dbsync(['--config-file', str(config)]) == 0


@pytest.mark.parametrize('stamp', [False, True],
                         ids=['unstamped', 'stamped-c3955547bff2'])
def test_dbsync_adopts_panko_database(db_url, tmp_path, stamp):
    build_panko_database(db_url, stamp)
    dbsync(db_url, tmp_path)
    dbsync(db_url, tmp_path)  # idempotent

    conn = storage.get_connection_from_config(conftest.make_conf(db_url))
    events = list(conn.get_events(storage.EventFilter()))
    assert [e.message_id for e in events] == ['m-1', 'm-2', 'm-3']
    first = events[0]
    assert first.event_type == 'compute.instance.create.end'
    assert first.generated == datetime.datetime(2017, 3, 1, 10, 0, 0,
                                                123456)
    assert first.raw == {'payload': {'state': 'active'}}
    T = models.Trait
    assert first.traits == [
        T('cpu_util', T.FLOAT_TYPE, 12.345678),
        T('launched_at', T.DATETIME_TYPE,
          datetime.datetime(2017, 3, 1, 9, 59, 59, 999999)),
        T('memory_mb', T.INT_TYPE, 2048),
        T('project_id', T.TEXT_TYPE, 'p1'),
        T('state', T.TEXT_TYPE, 'actif \u00e9t\u00e9'),
        T('user_id', T.TEXT_TYPE, 'u1'),
    ]
    assert events[1].raw == {} and events[1].traits == [
        T('project_id', T.TEXT_TYPE, 'p2'), T('user_id', T.TEXT_TYPE, 'u2')]

    # Visibility reads the backfilled copies of project_id / user_id.
    admin_view = conn.get_events(storage.EventFilter(admin_proj='p1'))
    assert [e.message_id for e in admin_view] == ['m-1', 'm-3']
    member_view = conn.get_events(storage.EventFilter(traits_filter=[
        {'key': 'project_id', 'op': 'eq', 'string': 'p2'},
        {'key': 'user_id', 'op': 'eq', 'string': 'u2'}]))
    assert [e.message_id for e in member_view] == ['m-2']

    # Trait filters walk the trait rows' backfilled copy of generated.
    for traits_filter in (
            [{'key': 'state', 'op': 'eq', 'string': 'actif \u00e9t\u00e9'}],
            [{'key': 'memory_mb', 'op': 'ge', 'integer': 1024}],
            [{'key': 'launched_at', 'op': 'lt',
              'datetime': datetime.datetime(2017, 3, 2)}]):
        found = conn.get_events(storage.EventFilter(
            start_timestamp=datetime.datetime(2017, 1, 1),
            traits_filter=traits_filter), {'limit': 10})
        assert [e.message_id for e in found] == ['m-1']

    # The adopted store keeps taking events, with 64-bit integers.
    conn.record_events([models.Event(
        'm-4', 'identity.user.created', datetime.datetime(2018, 1, 1),
        [T('big', T.INT_TYPE, 2 ** 62)], {})])
    got = conn.get_events(storage.EventFilter(message_id='m-4'))
    assert got[0].traits == [T('big', T.INT_TYPE, 2 ** 62)]


def generic_type(column_type):
    """A reflected type as its generic SQLAlchemy type.

    Every size of unbounded text is one: converting MySQL tables to
    utf8mb4 made Panko's TEXT a MEDIUMTEXT, which changes no limit the
    API enforces.
    """
    if isinstance(column_type, (sa.Text, mysql.MEDIUMTEXT, mysql.LONGTEXT)):
        return 'Text'
    return repr(column_type.as_generic())


def schema_of(url):
    """Tables as dbsync left them: columns, keys, indexes, options."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        schema = {}
        for table in sorted(inspector.get_table_names()):
            schema[table] = {
                'columns': [(c['name'], c['nullable'],
                             generic_type(c['type']))
                            for c in inspector.get_columns(table)],
                'primary key': inspector.get_pk_constraint(
                    table)['constrained_columns'],
                'foreign keys': sorted(
                    (tuple(fk['constrained_columns']), fk['referred_table'],
                     tuple(fk['referred_columns']))
                    for fk in inspector.get_foreign_keys(table)),
                'indexes': sorted(
                    (ix['name'], tuple(ix['column_names']),
                     bool(ix['unique']))
                    for ix in inspector.get_indexes(table)),
                'options': {k: v for k, v in
                            inspector.get_table_options(table).items()
                            if k.startswith('sqlite_')},
            }
        return schema
    finally:
        engine.dispose()


@pytest.mark.parametrize('stamp', [False, True],
                         ids=['unstamped', 'stamped-c3955547bff2'])
def test_adopted_schema_is_a_fresh_stores(db_url, tmp_path, stamp):
    """Every revision leaves an adopted database as it makes a new one.

    Readers and writers are written against the fresh schema; a
    revision that rebuilt or re-indexed only one of the two (say
    SQLite's trait tables without rowid) would leave adopted stores
    slower or different.
    """
    build_panko_database(db_url, stamp)
    dbsync(db_url, tmp_path)
    adopted = schema_of(db_url)

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        everything = sa.MetaData()
        everything.reflect(conn)
        everything.drop_all(conn)
    engine.dispose()
    dbsync(db_url, tmp_path)
    fresh = schema_of(db_url)

    assert adopted == fresh
    if db_url.startswith('sqlite'):
        for name in ('trait_text', 'trait_int', 'trait_float',
                     'trait_datetime'):
            assert fresh[name]['options'] == {'sqlite_with_rowid': False}
