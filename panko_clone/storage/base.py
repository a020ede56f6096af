"""The storage driver interface every back end implements.

Drivers know nothing of HTTP: the API layer turns requests into an
``EventFilter`` and a pagination dict and calls the methods below. A
driver that lacks an optional extension leaves the base method, which
raises ``NotImplementedError``, and says so in its capabilities; the API
answers 501 for it.
"""

import collections
import copy

Recorded = collections.namedtuple('Recorded', ['created', 'duplicates'])
Recorded.__doc__ = """What record_events did: message_ids stored by this
call, and message_ids that were already stored (and so left untouched)."""

SORT_KEYS = ('message_id', 'generated')
SORT_DIRS = ('asc', 'desc')
DEFAULT_SORT = [('generated', 'asc'), ('message_id', 'asc')]

AGGREGATES = ('count', 'min', 'max', 'avg', 'sum')

BASE_CAPABILITIES = {
    'events': {
        'query': {'simple': True},
        'create': False,
        'delete': False,
        'statistics': {
            'groupby': False,
            'aggregation': {
                'standard': False,
                'selectable': {name: False for name in AGGREGATES},
            },
        },
    },
}

# What a driver that implements get_event_statistics advertises.
STATISTICS_CAPABILITIES = {
    'groupby': True,
    'aggregation': {
        'standard': True,
        'selectable': {name: True for name in AGGREGATES},
    },
}

BASE_STORAGE_CAPABILITIES = {'storage': {'production_ready': False}}


def update_nested(original, updates):
    """A deep copy of ``original`` with ``updates`` merged in, recursively."""
    merged = copy.deepcopy(original)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = update_nested(merged[key], value)
        else:
            merged[key] = value
    return merged


def normalize_sort(sort):
    """Complete a requested sort into a total order.

    The result always ends with ``message_id`` so that a marker names a
    unique position; when the caller gave no sort the default
    ``generated asc, message_id asc`` applies.
    """
    keys = []
    for key, direction in sort or DEFAULT_SORT:
        if key not in [k for k, _ in keys]:
            keys.append((key, direction or 'asc'))
    if 'message_id' not in [k for k, _ in keys]:
        keys.append(('message_id', keys[0][1] if keys else 'asc'))
    return keys


class Connection:
    """Base class for storage drivers."""

    CAPABILITIES = BASE_CAPABILITIES
    STORAGE_CAPABILITIES = BASE_STORAGE_CAPABILITIES

    def __init__(self, url, conf):
        self.url = url
        self.conf = conf

    def get_capabilities(self):
        """The nested capability dict of this driver."""
        return copy.deepcopy(self.CAPABILITIES)

    def get_storage_capabilities(self):
        return copy.deepcopy(self.STORAGE_CAPABILITIES)

    def upgrade(self):
        """Create or migrate the schema; a no-op where there is none."""

    def clear(self):
        """Remove every event (and the schema, where there is one)."""
        raise NotImplementedError

    def record_events(self, events):
        """Store ``events`` (storage models); return a ``Recorded``.

        An event whose message_id is already stored is a duplicate: it is
        reported, never stored a second time.
        """
        raise NotImplementedError

    def get_events(self, event_filter, pagination=None):
        """Yield the events matching ``event_filter``, in page order.

        Each event's traits come sorted by name (code point order), then
        by type (``Trait.TEXT_TYPE`` first): the order the API shows.
        ``pagination`` is ``{'limit': int, 'marker': message_id or None,
        'sort': [(key, dir), ...]}``; an unknown marker raises
        ``InvalidMarker``.
        """
        raise NotImplementedError

    def get_event_types(self):
        """Yield the names of every stored event type, sorted."""
        raise NotImplementedError

    def get_trait_types(self, event_type):
        """Yield ``{'name', 'data_type'}`` for the traits of a type."""
        raise NotImplementedError

    def get_traits(self, event_type, trait_type=None):
        """Yield every ``Trait`` of events of a type (one name or all)."""
        raise NotImplementedError

    def clear_expired_data(self, ttl, max_count=None):
        """Delete events older than ``ttl`` seconds; return the count.

        ``max_count`` bounds how many events one call removes (None or 0:
        all of them), so a caller can expire in short transactions.
        """
        raise NotImplementedError

    def delete_events(self, event_filter):
        """Delete the events matching ``event_filter``; return the count."""
        raise NotImplementedError

    def get_event_statistics(self, event_filter, period=None, groupby=(),
                             aggregates=()):
        """Statistics over matching events (see the statistics module)."""
        raise NotImplementedError
