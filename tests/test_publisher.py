"""The ``ceilometer.event.publisher`` entry point, loaded as Ceilometer
loads it: by URL scheme through stevedore, built as
``Publisher(ceilometer_conf, parsed_url)``, fed Ceilometer-shaped events.
Every back end.
"""

import datetime
import logging
import urllib.parse

import pytest
from stevedore import driver

from panko_clone.publisher import database
from panko_clone import storage
from tests import ceilometer_standins as ceilo
from tests.helpers import Trait, fetch, ids

NAMESPACE = 'ceilometer.event.publisher'


def ceilometer_event(message_id, **overrides):
    values = dict(
        message_id=message_id, event_type='volume.create.end',
        generated=datetime.datetime(2017, 3, 4, 5, 6, 7, 890123),
        traits=[ceilo.Trait('project_id', ceilo.Trait.TEXT_TYPE, 'p1'),
                ceilo.Trait('size', ceilo.Trait.INT_TYPE, 10),
                ceilo.Trait('ratio', ceilo.Trait.FLOAT_TYPE, 0.75),
                ceilo.Trait('created_at', ceilo.Trait.DATETIME_TYPE,
                            datetime.datetime(2017, 3, 4, 5, 0)),
                ceilo.Trait('status', ceilo.Trait.TEXT_TYPE, 'x' * 300)],
        raw={'payload': {'volume_id': message_id}})
    values.update(overrides)
    return ceilo.Event(**values)


@pytest.fixture
def config_file(conf, store, backend, conn, tmp_path, monkeypatch):
    """panko_clone's configuration on the module's database, as a file."""
    if backend == 'memory':
        # The publisher opens its own connection; an in-memory store is
        # private to one, so it is handed the module's.
        monkeypatch.setattr(storage, 'get_connection',
                            lambda url, conf_: store)
    path = tmp_path / 'panko_clone.conf'
    path.write_text('[database]\nconnection = %s\n[storage]\n'
                    'max_retries = 0\n' % conf.database.connection)
    return path


def load_publisher(url):
    """What ``ceilometer.publisher.get_publisher`` does with a URL."""
    parsed = urllib.parse.urlsplit(url)
    manager = driver.DriverManager(NAMESPACE, parsed.scheme)
    ceilometer_conf = object()  # its own conf; ours is not in it
    return manager.driver(ceilometer_conf, parsed)


@pytest.fixture
def publisher(config_file):
    return load_publisher('panko-clone://?config_file=%s' % config_file)


def test_entry_point_names_the_publisher():
    manager = driver.DriverManager(NAMESPACE, 'panko-clone')
    assert manager.driver is database.DatabasePublisher


def test_events_are_stored_as_the_api_stores_them(publisher, conn):
    publisher.publish_events([ceilometer_event('v-1'),
                              ceilometer_event('v-2')])
    assert ids(fetch(conn)) == ['v-1', 'v-2']
    [got] = fetch(conn, message_id='v-1')
    assert (got.event_type, got.generated, got.raw) == (
        'volume.create.end', datetime.datetime(2017, 3, 4, 5, 6, 7, 890123),
        {'payload': {'volume_id': 'v-1'}})
    assert sorted((t.name, t.dtype, t.value) for t in got.traits) == [
        ('created_at', Trait.DATETIME_TYPE,
         datetime.datetime(2017, 3, 4, 5, 0)),
        ('project_id', Trait.TEXT_TYPE, 'p1'),
        ('ratio', Trait.FLOAT_TYPE, 0.75),
        ('size', Trait.INT_TYPE, 10),
        ('status', Trait.TEXT_TYPE, 'x' * 255)]


def test_serialized_events_are_accepted_too(publisher, conn):
    publisher.publish_events([ceilometer_event('s-1').serialize()])
    [got] = fetch(conn)
    assert got.message_id == 's-1'
    assert got.generated == datetime.datetime(2017, 3, 4, 5, 6, 7, 890123)


def test_aware_generated_is_stored_as_naive_utc(publisher, conn):
    tz = datetime.timezone(datetime.timedelta(hours=2))
    publisher.publish_events([ceilometer_event(
        'tz', generated=datetime.datetime(2017, 1, 1, 2, 0, tzinfo=tz))])
    [got] = fetch(conn)
    assert got.generated == datetime.datetime(2017, 1, 1, 0, 0)


def test_invalid_events_are_logged_and_dropped(publisher, conn, caplog):
    caplog.set_level(logging.INFO, logger=database.__name__)
    publisher.publish_events([
        ceilometer_event('good-1'),
        ceilometer_event('wide', traits=[
            ceilo.Trait('n', ceilo.Trait.INT_TYPE, 2 ** 64)]),
        ceilometer_event('x' * 51),
        ceilometer_event('good-2')])
    assert ids(fetch(conn)) == ['good-1', 'good-2']
    errors = [r.getMessage() for r in caplog.records
              if r.levelno == logging.ERROR]
    assert errors == [
        'Dropping event wide: traits[0] (n) value 18446744073709551616 '
        'is outside the 64-bit integer range',
        'Dropping event %s: message_id is longer than 50 characters'
        % ('x' * 51)]


def test_duplicates_are_stored_once_and_logged(publisher, conn, caplog):
    caplog.set_level(logging.INFO, logger=database.__name__)
    publisher.publish_events([ceilometer_event('d-1')])
    publisher.publish_events([ceilometer_event('d-1', event_type='other'),
                              ceilometer_event('d-2')])
    assert ids(fetch(conn)) == ['d-1', 'd-2']
    assert [e.event_type for e in fetch(conn)] == ['volume.create.end'] * 2
    assert ('Events already stored, not stored again: d-1'
            in [r.getMessage() for r in caplog.records])


def test_nothing_to_store(publisher, conn):
    publisher.publish_events([])
    assert fetch(conn) == []


def test_samples_are_not_for_this_publisher(publisher):
    with pytest.raises(NotImplementedError):
        publisher.publish_samples([object()])


def test_unknown_url_parameter_is_refused(config_file):
    with pytest.raises(ValueError, match='unknown parameter'):
        load_publisher('panko-clone://?config_file=%s&bogus=1'
                       % config_file)


def test_ceilometer_logging_is_left_alone(config_file, conn):
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    publisher = load_publisher('panko-clone://?config_file=%s'
                               % config_file)
    publisher.publish_events([ceilometer_event('quiet')])
    assert (list(root.handlers), root.level) == before
    assert ids(fetch(conn)) == ['quiet']


def test_storage_is_opened_on_first_use_only(tmp_path):
    # A URL to a server that is not there: building the publisher (at
    # agent start) must not fail or wait.
    path = tmp_path / 'panko_clone.conf'
    path.write_text('[database]\nconnection = postgresql+psycopg2://'
                    'nobody@127.0.0.1:1/none\n[storage]\nmax_retries = 0\n')
    publisher = load_publisher('panko-clone://?config_file=%s' % path)
    with pytest.raises(storage.StorageUnavailable):
        publisher.publish_events([ceilometer_event('lost')])
