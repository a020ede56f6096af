"""Turning ``q``, ``limit``, ``sort`` and ``marker`` into storage terms.

The messages for bad input are part of the API (clients and tests
match them), so they are spelled exactly as Panko spelled them.
"""

import json
import math

from oslo_utils import strutils
from oslo_utils import timeutils
import wsme
from wsme import exc as wsme_exc
from wsme.rest import args as wsme_args
from wsme.rest import json as wsme_json
from wsme import types as wtypes

from panko_clone.api.controllers.v2 import base
from panko_clone import storage
from panko_clone.storage import base as storage_base

OPERATORS = ('lt', 'le', 'eq', 'ne', 'ge', 'gt')
DATA_TYPES = ['integer', 'float', 'string', 'datetime']
DEFAULT_DIR = 'asc'

# Fields of the event itself, and the one operator each accepts; any
# other field names a trait.
EVENT_FIELDS = {
    'event_type': 'eq',
    'message_id': 'eq',
    'start_timestamp': 'ge',
    'end_timestamp': 'le',
}
ALL_TENANTS = 'all_tenants'

# Trait integers are stored in 64-bit columns; anything wider can match
# nothing and would only make the database driver fail.
INT_MIN, INT_MAX = -2 ** 63, 2 ** 63 - 1


class ScalarText(wtypes.UserType):
    """Text that also takes a JSON number or boolean, as its string.

    A query given as a JSON body may reasonably say ``"value": 5``; the
    value is compared as the query's ``type`` says either way.
    """

    basetype = wtypes.text
    name = 'scalar'

    def validate(self, value):
        if isinstance(value, bool):
            return 'true' if value else 'false'
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return value
        raise ValueError('expected a string, a number or a boolean')

    def frombasetype(self, value):
        return None if value is None else self.validate(value)


class EventQuery(wtypes.Base):
    """One ``q`` filter: ``field`` ``op`` ``value``, typed by ``type``."""

    field = wtypes.text
    "An event field (event_type, message_id, ...) or a trait name"

    op = wtypes.text
    "lt, le, eq, ne, ge or gt; eq when omitted"

    type = wtypes.text
    "integer, float, string or datetime; string when omitted"

    value = ScalarText()
    "The value to compare with"

    def __repr__(self):
        return '<EventQuery %r %s %r %s>' % (
            self.field, self.op, self.value, self.type)

    @classmethod
    def sample(cls):
        return cls(field='event_type', op='eq', type='string',
                   value='compute.instance.create.end')


class QueryList(wtypes.UserType):
    """The ``q`` argument: a list of ``EventQuery``.

    A user type rather than ``[EventQuery]`` so that both ways of
    sending it are parsed here: WSME's own list-of-objects parsing pairs
    repeated ``q.field``/``q.value`` parameters badly (a 500 when their
    counts differ) and calls ``.keys()`` on whatever a JSON body holds.
    """

    basetype = wtypes.text
    name = 'eventquerylist'
    ATTRIBUTES = ('field', 'op', 'type', 'value')

    def validate(self, value):
        return value


QUERY_LIST = QueryList()


@wsme_args.from_params.when_type(QueryList)
def _query_list_from_params(datatype, params, path, hit_paths):
    """``q.field=..&q.op=..&q.type=..&q.value=..``, matched by position.

    The i-th query takes the i-th value of each attribute; an attribute
    given fewer times is missing from the last queries, which validation
    then reports. Any other ``q...`` parameter stays unconsumed, so WSME
    rejects it as an unknown argument.
    """
    return objects_from_params(EventQuery, QueryList.ATTRIBUTES, params,
                               path, hit_paths)


def objects_from_params(factory, attributes, params, path, hit_paths):
    """Objects built from repeated ``<path>.<attr>`` parameters.

    The i-th object takes the i-th value of each attribute, so an
    attribute given fewer times than another is left unset on the last
    objects. ``wsme.Unset`` when no such parameter was given.
    """
    columns = {}
    for attr in attributes:
        key = '%s.%s' % (path, attr)
        if key in params:
            hit_paths.add(key)
            columns[attr] = params.getall(key)
    if not columns:
        return wsme.Unset
    count = max(len(values) for values in columns.values())
    objects = [factory() for _ in range(count)]
    for attr, values in columns.items():
        for obj, value in zip(objects, values):
            setattr(obj, attr, value)
    return objects


@wsme_json.fromjson.when_type(QueryList)
def _query_list_fromjson(datatype, value):
    """``{"q": [{"field": .., "op": .., "type": .., "value": ..}]}``.

    A ValueError here is WSME's cue for a 400 naming the argument.
    """
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError('q must be a list of query objects')
    queries = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError('each query must be a JSON object, got %s'
                             % json.dumps(item))
        queries.append(wsme_json.fromjson(EventQuery, item))
    return queries


def _given(value):
    return value is not None and value is not wsme.Unset


def storable(value):
    """Whether a database can hold ``value``: no lone surrogates, no NUL.

    JSON escapes and percent-encoding can produce both; passed on, they
    make the database driver fail (a 500) instead of matching nothing.
    """
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return '\x00' not in value


def check_text(value, name):
    """400 for text that is not ``storable``."""
    if isinstance(value, str) and not storable(value):
        raise base.ClientSideError(
            'Invalid input for field/attribute %s: the text is not valid '
            'Unicode or contains a NUL character.' % name)


def _unsupported_operator(op):
    return base.ClientSideError(
        'Operator %s is not supported. The supported operators are: %s'
        % (op, OPERATORS))


def _only_operator(op, allowed, field):
    return base.ClientSideError(
        "Operator %s is not supported. Only `%s' operator is available "
        "for field %s" % (op, allowed, field))


def _unconvertible(value, data_type):
    return base.ClientSideError(
        'Unable to convert the value %s to the expected data type %s.'
        % (value, data_type))


def parse_datetime(value):
    """A naive UTC datetime from ISO 8601 text (400 when it is not)."""
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value))
    except (ValueError, TypeError, OverflowError):
        raise _unconvertible(value, 'datetime') from None


def convert_value(value, data_type):
    """``value`` as ``data_type`` says, or the API's 400."""
    if data_type not in DATA_TYPES:
        raise base.ClientSideError(
            'The data type %s is not supported. The supported data type '
            'list is: %s' % (data_type, DATA_TYPES))
    if data_type == 'string':
        return value
    if data_type == 'datetime':
        return parse_datetime(value)
    try:
        if data_type == 'integer':
            converted = int(value)
            if not INT_MIN <= converted <= INT_MAX:
                raise ValueError(value)
        else:
            converted = float(value)
            if not math.isfinite(converted):
                raise ValueError(value)
    except (ValueError, TypeError):
        raise _unconvertible(value, data_type) from None
    return converted


def _all_tenants(query, op):
    if op != 'eq':
        raise _only_operator(op, 'eq', ALL_TENANTS)
    try:
        return strutils.bool_from_string(query.value, strict=True)
    except ValueError:
        raise _unconvertible(query.value, 'boolean') from None


class _Bounds:
    """The event-field part of a query, with repeated filters ANDed."""

    def __init__(self):
        self.values = {}
        self.impossible = False

    def add(self, field, value):
        if field not in self.values:
            self.values[field] = value
        elif field == 'start_timestamp':
            self.values[field] = max(self.values[field], value)
        elif field == 'end_timestamp':
            self.values[field] = min(self.values[field], value)
        elif self.values[field] != value:
            # event_type=a AND event_type=b
            self.impossible = True


def to_event_filter(queries, visibility):
    """An ``EventFilter`` for ``queries`` as seen by ``visibility``.

    Returns None when the query can match nothing (the caller then skips
    the storage round trip). Every query is validated first, so bad
    input is reported even then.
    """
    bounds = _Bounds()
    traits = []
    all_tenants = False
    for query in queries or ():
        for attr in ('field', 'op', 'type', 'value'):
            check_text(getattr(query, attr), 'q.' + attr)
        if not _given(query.field) or not query.field:
            raise base.ClientSideError('Every query needs a field.')
        op = query.op if _given(query.op) and query.op else 'eq'
        if op not in OPERATORS:
            raise _unsupported_operator(op)
        if not _given(query.value):
            raise base.ClientSideError(
                'Query on field %s has no value.' % query.field)
        field = query.field
        if field in EVENT_FIELDS:
            if op != EVENT_FIELDS[field]:
                raise _only_operator(op, EVENT_FIELDS[field], field)
            value = query.value
            if field.endswith('_timestamp'):
                value = parse_datetime(value)
            bounds.add(field, value)
        elif field == ALL_TENANTS:
            all_tenants = _all_tenants(query, op) or all_tenants
        else:
            data_type = (query.type if _given(query.type) and query.type
                         else 'string')
            traits.append({'key': field, 'op': op,
                           data_type: convert_value(query.value,
                                                    data_type)})
    scope = visibility.filter_args(all_tenants=all_tenants)
    if bounds.impossible or visibility.sees_nothing:
        return None
    start = bounds.values.get('start_timestamp')
    end = bounds.values.get('end_timestamp')
    if start is not None and end is not None and start > end:
        return None
    return storage.EventFilter(
        start_timestamp=start,
        end_timestamp=end,
        event_type=bounds.values.get('event_type'),
        message_id=bounds.values.get('message_id'),
        traits_filter=scope['traits_filter'] + traits,
        admin_proj=scope['admin_proj'],
    )


def _sort_error(fieldname, value, what, supported):
    return wsme_exc.InvalidInput(
        fieldname, value,
        "the sort parameter should be a pair of sort key and sort dir "
        "combined with ':', or only sort key specified and sort dir will "
        "be default '%s', the supported sort %s are: %s"
        % (DEFAULT_DIR, what, supported))


def parse_limit(limit, conf):
    """A positive int; the configured default when not given."""
    if not _given(limit):
        return conf.api.default_api_return_limit
    try:
        value = int(str(limit))
    except ValueError:
        value = 0
    if value <= 0:
        raise wsme_exc.InvalidInput(
            'limit', limit, 'the limit should be a positive integer.')
    # Past this, "all of them" is what is meant; databases refuse wider.
    return min(value, INT_MAX)


def parse_sort(sort):
    """``[(key, dir)]`` from ``key[:dir]`` strings."""
    pairs = []
    for item in sort or ():
        check_text(item, 'sort')
        if not isinstance(item, str):
            raise _sort_error('sort', item, 'keys',
                              storage_base.SORT_KEYS)
        key, _sep, direction = item.partition(':')
        if key not in storage_base.SORT_KEYS:
            raise _sort_error('sort', item, 'keys',
                              storage_base.SORT_KEYS)
        if direction and direction not in storage_base.SORT_DIRS:
            raise _sort_error('sort direction', item, 'directions',
                              storage_base.SORT_DIRS)
        pairs.append((key, direction or DEFAULT_DIR))
    return pairs


def pagination(limit, sort, marker, conf):
    """The storage ``pagination`` dict for one listing."""
    check_text(marker, 'marker')
    return {
        'limit': parse_limit(limit, conf),
        'marker': str(marker) if _given(marker) else None,
        'sort': parse_sort(sort),
    }
