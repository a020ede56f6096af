"""The in-memory storage driver (URL ``memory://``).

It exists for tests, demos and development: nothing survives the process,
and nothing is shared between two connections, so two apps built in one
process from two configurations never see each other's events. Its query
semantics copy the SQL driver's (which copies Panko's), so that a test
passing against memory says something about the real back end.

Every public method takes the connection's lock for its whole critical
section and hands out copies, never the stored objects: a caller that
mutates what it got back, or a request running in another thread, cannot
corrupt the store.
"""

import copy
import datetime
import operator
import threading

from panko_clone import storage
from panko_clone.storage import base, memory_statistics, models

# The comparison a trait filter's ``op`` names; the same six Panko's API
# accepts.
OPERATORS = {
    'lt': operator.lt,
    'le': operator.le,
    'eq': operator.eq,
    'ne': operator.ne,
    'ge': operator.ge,
    'gt': operator.gt,
}

# A trait filter names its value by type; a trait only matches a filter of
# its own type, as in the SQL driver where each type has its own table.
FILTER_TYPES = {
    'string': models.Trait.TEXT_TYPE,
    'integer': models.Trait.INT_TYPE,
    'float': models.Trait.FLOAT_TYPE,
    'datetime': models.Trait.DATETIME_TYPE,
}


def _utcnow():
    """Now as a naive UTC datetime, like every stored ``generated``."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _store_trait(trait):
    """A stored copy of ``trait``, its value cut the way SQL would cut it.

    The SQL driver keeps text in a 255-character column and datetimes as
    naive UTC; doing the same here keeps the two drivers answering alike.
    """
    trait = models.Trait(trait.name, trait.dtype, trait.value)
    if trait.value is not None:
        # The same conversion (and the same refusals: integers beyond 64
        # bits, non-finite floats) as the SQL driver's.
        trait.value = models.Trait.convert_value(trait.dtype, trait.value)
    return trait


def _store_event(event):
    """A stored copy of ``event``: normalized, traits sorted by name.

    Sorting once on the way in means every read returns traits in the
    order the API promises without sorting again.
    """
    # One trait per (name, type), the last one given winning, and none of
    # no storable type: what the SQL driver's per-type tables keep.
    by_key = {(t.name, t.dtype): _store_trait(t)
              for t in event.traits or ()
              if t.dtype in models.Trait.type_names and t.dtype}
    traits = sorted(by_key.values(), key=lambda t: (t.name, t.dtype))
    return models.Event(
        message_id=event.message_id,
        event_type=event.event_type,
        generated=models.normalize_datetime(event.generated),
        traits=traits,
        raw=copy.deepcopy(event.raw) if event.raw is not None else {},
    )


def _copy_event(event):
    """A copy of a stored event that a caller may change freely."""
    return models.Event(
        message_id=event.message_id,
        event_type=event.event_type,
        generated=event.generated,
        traits=[models.Trait(t.name, t.dtype, t.value)
                for t in event.traits],
        raw=copy.deepcopy(event.raw),
    )


def _compile_trait_filter(trait_filter):
    """Turn one ``traits_filter`` dict into a predicate on a trait.

    The dict is read, never changed (Panko's driver popped keys off it,
    which broke a filter reused for a second query). A malformed filter is
    a programming error in the caller, so it raises ``ValueError`` rather
    than silently matching everything or nothing.
    """
    name = trait_filter.get('key')
    op_name = trait_filter.get('op') or 'eq'
    if op_name not in OPERATORS:
        raise ValueError(f'unsupported operator {op_name!r} in trait '
                         f'filter {trait_filter!r}')
    typed = [k for k in FILTER_TYPES if k in trait_filter]
    if len(typed) != 1:
        raise ValueError(f'trait filter {trait_filter!r} needs exactly '
                         f'one of {", ".join(FILTER_TYPES)}')
    dtype = FILTER_TYPES[typed[0]]
    value = trait_filter[typed[0]]
    if dtype == models.Trait.TEXT_TYPE:
        # Not cut to 255: SQL compares the whole string with the stored
        # (cut) value, so a longer filter value never equals it.
        value = str(value)
    else:
        value = models.Trait.convert_value(dtype, value)
    compare = OPERATORS[op_name]

    def matches(trait):
        return (trait.name == name and trait.dtype == dtype
                and trait.value is not None and compare(trait.value, value))

    return matches


def _compile_filter(event_filter):
    """Turn an ``EventFilter`` into a predicate on a stored event.

    Timestamps and trait values are converted once here rather than for
    every event scanned. All conditions are ANDed; a trait filter holds
    when at least one trait of the event satisfies it, so two filters on
    the same trait name may be satisfied by the same trait or by two.
    """
    if event_filter is None:
        return lambda event: True
    start = end = None
    if event_filter.start_timestamp is not None:
        start = models.normalize_datetime(event_filter.start_timestamp)
    if event_filter.end_timestamp is not None:
        end = models.normalize_datetime(event_filter.end_timestamp)
    event_type = event_filter.event_type
    message_id = event_filter.message_id
    admin_proj = event_filter.admin_proj
    trait_tests = [_compile_trait_filter(f)
                   for f in event_filter.traits_filter or ()]

    def matches(event):
        if start is not None and event.generated < start:
            return False
        if end is not None and event.generated > end:
            return False
        if event_type is not None and event.event_type != event_type:
            return False
        if message_id is not None and event.message_id != message_id:
            return False
        for test in trait_tests:
            if not any(test(t) for t in event.traits):
                return False
        if admin_proj is not None:
            projects = [t for t in event.traits if t.name == 'project_id']
            # Visible to the admin's project, or to nobody in particular.
            if projects and not any(
                    t.dtype == models.Trait.TEXT_TYPE
                    and t.value == admin_proj for t in projects):
                return False
        return True

    return matches


def _sort_events(events, sort):
    """Sort ``events`` in place in the total order ``sort`` names.

    Directions may differ per key, so this sorts once per key from the
    least significant up, relying on sort stability, instead of building
    a composite key that cannot reverse only some of its parts.
    """
    for key, direction in reversed(sort):
        if key not in base.SORT_KEYS:
            raise ValueError(f'unsupported sort key {key!r}')
        if direction not in base.SORT_DIRS:
            raise ValueError(f'unsupported sort direction {direction!r}')
        events.sort(key=operator.attrgetter(key),
                    reverse=(direction == 'desc'))


class Connection(base.Connection):
    """Events kept in a dict in this process, one store per instance.

    The store maps message_id to the stored event; message_ids are unique
    by contract, so that dict is also the duplicate check. Insertion order
    carries no meaning: every read sorts.
    """

    CAPABILITIES = base.update_nested(base.BASE_CAPABILITIES, {
        'events': {
            'query': {'simple': True},
            'create': True,
            'delete': True,
            'statistics': base.STATISTICS_CAPABILITIES,
        },
    })
    STORAGE_CAPABILITIES = base.update_nested(
        base.BASE_STORAGE_CAPABILITIES,
        {'storage': {'production_ready': False}})

    def __init__(self, url, conf):
        super().__init__(url, conf)
        # Reentrant so that one public method may call another.
        self._lock = threading.RLock()
        self._events = {}

    def upgrade(self):
        """Nothing to create: the store is a dict made in ``__init__``."""

    def clear(self):
        """Forget every event."""
        with self._lock:
            self._events.clear()

    def record_events(self, events):
        """Store copies of ``events``; report created and duplicate ids.

        Every event is copied and normalized before the store is touched,
        so an event that cannot be normalized (a bad timestamp) raises
        with nothing from the call stored. A message_id stored earlier, or
        seen earlier in this same call, is a duplicate: the first copy
        wins and is never overwritten.
        """
        prepared = [_store_event(event) for event in events]
        created = []
        duplicates = []
        with self._lock:
            for event in prepared:
                if event.message_id in self._events:
                    duplicates.append(event.message_id)
                else:
                    self._events[event.message_id] = event
                    created.append(event.message_id)
        return base.Recorded(created=created, duplicates=duplicates)

    def _matching(self, event_filter):
        """The stored events matching ``event_filter``; caller holds lock."""
        matches = _compile_filter(event_filter)
        return [e for e in self._events.values() if matches(e)]

    def get_events(self, event_filter, pagination=None):
        """A page of the events matching ``event_filter``, as a list.

        The marker must name an event that this same filter lets through:
        otherwise a caller could probe for, or page relative to, events it
        is not allowed to see. The page starts strictly after the marker
        in the requested order, which ``normalize_sort`` makes total by
        ending it with message_id.
        """
        pagination = pagination or {}
        limit = pagination.get('limit')
        marker = pagination.get('marker')
        sort = base.normalize_sort(pagination.get('sort'))
        if limit is not None and limit < 0:
            raise ValueError(f'limit must not be negative: {limit!r}')
        with self._lock:
            events = self._matching(event_filter)
            _sort_events(events, sort)
            if marker:
                positions = [i for i, e in enumerate(events)
                             if e.message_id == marker]
                if not positions:
                    raise storage.InvalidMarker(f'Marker {marker} not found.')
                events = events[positions[0] + 1:]
            if limit is not None:
                events = events[:limit]
            return [_copy_event(e) for e in events]

    def get_event_types(self):
        """Iterate over the distinct event type names, sorted."""
        with self._lock:
            names = {e.event_type for e in self._events.values()}
        return iter(sorted(names))

    def get_trait_types(self, event_type):
        """Iterate over ``{'name', 'data_type'}`` for a type's traits.

        One entry per distinct (name, dtype): the same name stored with
        two types is two trait types. Ordered by dtype then name, as the
        API lists them. The result is a snapshot taken now, not a
        generator that would read the store after the lock is released.
        """
        with self._lock:
            pairs = {(t.dtype, t.name)
                     for e in self._events.values()
                     if e.event_type == event_type
                     for t in e.traits}
        return iter([{'name': name, 'data_type': dtype}
                     for dtype, name in sorted(pairs)])

    def get_traits(self, event_type, trait_type=None):
        """Iterate over copies of the traits of events of ``event_type``.

        Only traits named ``trait_type`` when it is given. Events come in
        (generated, message_id) order and each event's traits by name, so
        the listing is stable from one call to the next.
        """
        with self._lock:
            events = [e for e in self._events.values()
                      if e.event_type == event_type]
            events.sort(key=lambda e: (e.generated, e.message_id))
            traits = [models.Trait(t.name, t.dtype, t.value)
                      for e in events
                      for t in e.traits
                      if trait_type is None or t.name == trait_type]
        return iter(traits)

    def clear_expired_data(self, ttl, max_count=None):
        """Delete events generated more than ``ttl`` seconds ago.

        The cut-off is taken in naive UTC, the form ``generated`` is
        stored in. With ``max_count`` set, the oldest go first, so that
        repeated bounded calls make steady progress towards the cut-off.
        """
        cutoff = _utcnow() - datetime.timedelta(seconds=ttl)
        with self._lock:
            expired = [e for e in self._events.values()
                       if e.generated < cutoff]
            if max_count:
                expired.sort(key=lambda e: (e.generated, e.message_id))
                expired = expired[:max_count]
            for event in expired:
                del self._events[event.message_id]
            return len(expired)

    def delete_events(self, event_filter):
        """Delete the events matching ``event_filter``; return how many.

        The filter is applied exactly as ``get_events`` applies it, so a
        caller deletes precisely what it could list.
        """
        with self._lock:
            doomed = self._matching(event_filter)
            for event in doomed:
                del self._events[event.message_id]
            return len(doomed)

    def get_event_statistics(self, event_filter, period=None, groupby=(),
                             aggregates=()):
        """Statistics over what ``get_events`` would list (no paging)."""
        with self._lock:
            events = self._matching(event_filter)
        return memory_statistics.event_statistics(
            events, event_filter, period, groupby, aggregates)
