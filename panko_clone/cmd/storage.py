"""``panko-clone-dbsync`` and ``panko-clone-expirer``."""

import sys

from oslo_log import log

from panko_clone import service
from panko_clone import storage

LOG = log.getLogger(__name__)


def dbsync(argv=None):
    """Create or upgrade the schema (idempotent; adopts Panko 10 data)."""
    conf = service.prepare_service(
        sys.argv[1:] if argv is None else argv)
    storage.get_connection_from_config(conf).upgrade()
    return 0


def expirer(argv=None):
    """Delete events older than ``[database] event_time_to_live``.

    Works in batches of ``events_delete_batch_size`` (each logged), the
    oldest events first, until a batch comes back short. The SQL driver
    deletes at most 1000 events per transaction whatever the batch size
    and never locks a table, so the API keeps serving reads and writes;
    an event written meanwhile is never lost, however old its
    ``generated``: at worst it is expired by this same run.
    """
    conf = service.prepare_service(
        sys.argv[1:] if argv is None else argv)
    ttl = conf.database.event_time_to_live
    if ttl <= 0:
        LOG.info('Nothing to clean, database event time to live is '
                 'disabled')
        return 0
    conn = storage.get_connection_from_config(conf)
    batch = conf.database.events_delete_batch_size
    total = batches = 0
    while True:
        removed = conn.clear_expired_data(ttl, batch or None)
        total += removed
        batches += 1
        if batch:
            LOG.info('Expirer batch %d: removed %d events (batch size '
                     '%d)', batches, removed, batch)
        if not batch or removed < batch:
            break
    LOG.info('Expirer removed %d events older than %d seconds',
             total, ttl)
    return 0
