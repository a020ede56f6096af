"""A Ceilometer event publisher that writes straight to the event store.

Ceilometer picks an event publisher by its URL scheme from the
``ceilometer.event.publisher`` entry points and builds it as
``Publisher(ceilometer_conf, parsed_url)``; this one is registered as
``panko-clone`` (a URL scheme cannot contain ``_``). In
``event_pipeline.yaml``::

    publishers:
        - panko-clone://
        - panko-clone://?config_file=/etc/panko_clone/panko_clone.conf

The first form reads panko_clone's configuration from its usual places
(``/etc/panko_clone/panko_clone.conf``, ...); ``config_file`` (which may
be repeated) names the files instead. Only ``[database]`` and
``[storage]`` matter here.

Ceilometer itself is not imported: its events are taken by shape
(``message_id``, ``event_type``, ``generated``, ``traits`` of
``name``/``dtype``/``value``, ``raw``), or as the dicts its
``serialize()`` makes. They are checked exactly as ``POST /v2/events``
checks them; as there is nobody to answer, an event that would be
refused is logged and dropped, and the others are stored.
"""

import threading
import urllib.parse

from oslo_config import cfg
from oslo_log import log

from panko_clone.api.controllers.v2 import ingest
from panko_clone import opts
from panko_clone import service
from panko_clone import storage

LOG = log.getLogger(__name__)

URL_PARAMETERS = ('config_file',)


def load_config(config_files=None):
    """panko_clone's configuration, without touching Ceilometer's logging.

    ``service.prepare_service`` would set up oslo.log for panko_clone,
    replacing the handlers of the Ceilometer process this runs in.
    """
    conf = cfg.ConfigOpts()
    opts.register_opts(conf)
    conf([], project=service.PROJECT, validate_default_values=True,
         default_config_files=config_files or None)
    return conf


def to_storage_event(event):
    """A storage event from a Ceilometer event (or its serialized dict).

    Raises ``ingest.InvalidEvent`` for an event the API would refuse.
    """
    if isinstance(event, dict):
        return ingest.event_from_object(event)
    return ingest.build_event(event.message_id, event.event_type,
                              event.generated, event.traits, event.raw)


class DatabasePublisher:
    """Records Ceilometer's events in panko_clone's storage."""

    def __init__(self, conf, parsed_url):
        params = urllib.parse.parse_qs(parsed_url.query,
                                       keep_blank_values=True)
        unknown = sorted(set(params) - set(URL_PARAMETERS))
        if unknown:
            raise ValueError('unknown parameter(s) %s in publisher URL; '
                             'the only one is config_file'
                             % ', '.join(unknown))
        self.conf = load_config(params.get('config_file'))
        self._conn = None
        self._lock = threading.Lock()

    @property
    def conn(self):
        """The storage connection, opened on first use.

        Not in ``__init__``: Ceilometer builds its publishers when the
        agent starts, which must not wait on the database's retries.
        """
        with self._lock:
            if self._conn is None:
                self._conn = storage.get_connection_from_config(self.conf)
            return self._conn

    def publish_samples(self, samples):
        raise NotImplementedError('panko_clone stores events, not samples')

    def publish_events(self, events):
        """Store ``events``; refused ones are logged and skipped."""
        ready = []
        for event in events:
            try:
                ready.append(to_storage_event(event))
            except ingest.InvalidEvent as err:
                LOG.error('Dropping event %s: %s',
                          getattr(event, 'message_id', None)
                          or (event.get('message_id')
                              if isinstance(event, dict) else None),
                          err)
        if not ready:
            return
        result = self.conn.record_events(ready)
        if result.duplicates:
            LOG.info('Events already stored, not stored again: %s',
                     ', '.join(result.duplicates))
