"""The event storage as an oslo.middleware healthcheck backend.

oslo.middleware's ``Healthcheck`` loads its backends by name, from the
``[healthcheck] backends`` option, through the
``oslo.middleware.healthcheck`` entry point group. This one is
registered there as ``panko_clone_storage`` (see ``setup.cfg``) and is
in the default list (``panko_clone.opts.set_defaults``), so the health
check fails when the database does; an operator who lists other
backends can keep it by naming it too.
"""

import threading

from oslo_log import log
from oslo_middleware.healthcheck import pluginbase

from panko_clone import storage

LOG = log.getLogger(__name__)

NAME = 'panko_clone_storage'


class StorageHealthcheck(pluginbase.HealthcheckBaseExtension):
    """Healthy while the configured event storage answers a query.

    Built by oslo.middleware from the service's ``ConfigOpts``. Each
    probe makes a single attempt, with no retries, so a load balancer
    learns at once that the database is gone; the connection is kept
    between probes and reopened when ``[database] connection`` changes.
    """

    PROBE_ID = 'panko-clone-healthcheck-probe'

    def __init__(self, oslo_conf, conf):
        super().__init__(oslo_conf, conf)
        self._lock = threading.Lock()
        self._conn = None
        self._url = None

    def _connection(self):
        url = self.oslo_conf.database.connection
        with self._lock:
            if self._conn is None or url != self._url:
                self._conn = storage.get_connection(url, self.oslo_conf)
                self._url = url
            return self._conn

    def healthcheck(self, server_port):
        try:
            conn = self._connection()
            list(conn.get_events(
                storage.EventFilter(message_id=self.PROBE_ID),
                {'limit': 1, 'marker': None, 'sort': []}))
        except Exception as err:
            LOG.warning('Healthcheck: event storage unreachable: %s', err)
            return pluginbase.HealthcheckResult(
                available=False, reason='Event storage unreachable',
                details=type(err).__name__)
        return pluginbase.HealthcheckResult(available=True,
                                            reason='Event storage OK')
