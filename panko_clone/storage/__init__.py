"""Storage: the event filter, driver lookup and connection set-up."""

import time
import urllib.parse

from oslo_log import log
from stevedore import driver

from panko_clone.storage.base import Recorded  # noqa: F401

LOG = log.getLogger(__name__)

DRIVER_NAMESPACE = 'panko_clone.storage'


class StorageUnknownWriteError(Exception):
    """Error raised when an unknown error occurs while recording."""


class StorageBadVersion(Exception):
    """Error raised when the storage backend version is not good enough."""


class StorageUnavailable(Exception):
    """The database could not be reached, or stayed locked; retry later."""


class InvalidMarker(Exception):
    """Raised for a pagination marker that names no visible event."""


class EventFilter:
    """Properties for building an event query.

    :param start_timestamp: earliest ``generated`` (inclusive)
    :param end_timestamp: latest ``generated`` (inclusive)
    :param event_type: the event type to match
    :param message_id: the message_id to match
    :param traits_filter: list of dicts ``{'key': name, 'op': op,
        <type>: value}``, ``<type>`` one of string, integer, float,
        datetime; all of them must match
    :param admin_proj: when set, only events whose ``project_id`` trait
        equals it or that have no ``project_id`` trait
    """

    def __init__(self, start_timestamp=None, end_timestamp=None,
                 event_type=None, message_id=None, traits_filter=None,
                 admin_proj=None):
        self.start_timestamp = start_timestamp
        self.end_timestamp = end_timestamp
        self.event_type = event_type
        self.message_id = message_id
        self.traits_filter = traits_filter or []
        self.admin_proj = admin_proj

    def __repr__(self):
        return ('<EventFilter(start_timestamp: %s, end_timestamp: %s, '
                'event_type: %s, message_id: %s, traits_filter: %s, '
                'admin_proj: %s)>' % (
                    self.start_timestamp, self.end_timestamp,
                    self.event_type, self.message_id, self.traits_filter,
                    self.admin_proj))


def driver_name(url):
    """The entry point name for a database URL: its scheme."""
    return urllib.parse.urlparse(url).scheme


def get_connection(url, conf):
    """Open the driver registered for ``url``'s scheme."""
    name = driver_name(url)
    LOG.debug('looking for %(name)r driver in %(namespace)r',
              {'name': name, 'namespace': DRIVER_NAMESPACE})
    mgr = driver.DriverManager(DRIVER_NAMESPACE, name)
    return mgr.driver(url, conf)


def get_connection_from_config(conf):
    """Open the configured driver, retrying as ``[storage]`` says.

    A scheme with no driver fails at once; a database that is not up yet
    is retried ``max_retries`` times (-1: forever), ``retry_interval``
    seconds apart.
    """
    url = conf.database.connection
    retries = conf.storage.max_retries
    interval = conf.storage.retry_interval
    attempt = 0
    while True:
        try:
            return get_connection(url, conf)
        except StorageUnavailable as err:
            attempt += 1
            if 0 <= retries < attempt:
                raise
            LOG.warning('Unable to connect to the database (attempt '
                        '%(attempt)d): %(err)s; retrying in %(interval)ss',
                        {'attempt': attempt, 'err': err,
                         'interval': interval})
            time.sleep(interval)
