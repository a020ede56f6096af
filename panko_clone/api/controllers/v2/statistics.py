"""``/v2/events/statistics``: counts and aggregates over matching events.

The request speaks Ceilometer v2's statistics dialect (``period``,
repeated ``groupby``, ``aggregate.func``/``aggregate.param`` pairs) over
the event listing's ``q`` grammar, and the answer has the shape of
Ceilometer's ``Statistics``, with event types and traits in the place of
meters. The numbers themselves come from the storage driver
(``get_event_statistics``); this layer only validates, checks what the
driver says it can do, and renders.
"""

import datetime

import pecan
from pecan import rest
import wsme
from wsme import exc as wsme_exc
from wsme.rest import args as wsme_args
from wsme.rest import json as wsme_json
from wsme import types as wtypes
import wsmeext.pecan as wsme_pecan

from panko_clone.api.controllers.v2 import base
from panko_clone.api.controllers.v2 import capabilities
from panko_clone.api.controllers.v2 import query
from panko_clone.api.controllers.v2 import rbac
from panko_clone.api.controllers.v2 import wsme_fast
from panko_clone import policy
from panko_clone.storage import statistics as storage_statistics

CAPABILITY = 'events:statistics:'
GROUPBY_CAPABILITY = CAPABILITY + 'groupby'
STANDARD_CAPABILITY = CAPABILITY + 'aggregation:standard'
SELECTABLE_CAPABILITY = CAPABILITY + 'aggregation:selectable:%s'

# A longer period cannot fit between the first and the last datetime
# Python (and so every driver) can represent.
MAX_PERIOD = int((datetime.datetime.max
                  - datetime.datetime.min).total_seconds())


class Statistics(wtypes.Base):
    """One bucket of matching events: a period and a group, if asked."""

    groupby = {wtypes.text: wtypes.text}
    "The group's value of each groupby field; null without groupby"

    count = int
    "How many events the bucket holds"

    period = int
    "The period length in seconds; 0 when no period was asked for"

    period_start = datetime.datetime
    "UTC start of the period (the query's start when there is no period)"

    period_end = datetime.datetime
    "UTC end of the period (the query's end when there is no period)"

    duration = float
    "Seconds between the first and the last event of the bucket"

    duration_start = datetime.datetime
    "UTC time of the bucket's first event"

    duration_end = datetime.datetime
    "UTC time of the bucket's last event"

    aggregate = {wtypes.text: float}
    "The selected aggregates: 'count' and 'func(trait)' keys"

    @classmethod
    def from_result(cls, result):
        """The bucket of a storage answer, built as WSME would build it.

        A histogram has up to a bucket a minute, and WSME's validating
        constructor and generic rendering cost some 40 us a bucket, most
        of a statistics request's CPU. The storage answer's values are
        of the declared types already but for the aggregates, which
        WSME promotes to float; so they are promoted here, and the rest
        go into the holder as they are (``wsme_fast``).
        """
        statistics, holder = wsme_fast.bare(cls)
        groupby = result['groupby']
        holder.groupby = None if groupby is None else dict(groupby)
        holder.count = result['count']
        holder.period = result['period']
        holder.period_start = result['period_start']
        holder.period_end = result['period_end']
        holder.duration = result['duration']
        holder.duration_start = result['duration_start']
        holder.duration_end = result['duration_end']
        holder.aggregate = {name: as_float(value) for name, value
                            in result['aggregate'].items()}
        return statistics

    @classmethod
    def sample(cls):
        return cls(groupby={'event_type': 'compute.instance.create.end'},
                   count=4,
                   period=3600,
                   period_start=datetime.datetime(2015, 1, 1, 12),
                   period_end=datetime.datetime(2015, 1, 1, 13),
                   duration=1800.0,
                   duration_start=datetime.datetime(2015, 1, 1, 12, 10),
                   duration_end=datetime.datetime(2015, 1, 1, 12, 40),
                   aggregate={'count': 4, 'avg(memory_mb)': 2048.0})


def as_float(value):
    """``value`` as WSME's validation makes a float attribute of it."""
    if value is None or isinstance(value, float):
        return value
    return float(value)


def statistics_json(statistics):
    """``statistics`` as JSON data; AttributeError if a value is unset.

    The keys in WSME's order (its attributes' declaration order).
    """
    holder = wsme_fast.held(statistics)
    isoformat = wsme_fast.isoformat
    return {'groupby': holder.groupby,
            'count': holder.count,
            'period': holder.period,
            'period_start': isoformat(holder.period_start),
            'period_end': isoformat(holder.period_end),
            'duration': holder.duration,
            'duration_start': isoformat(holder.duration_start),
            'duration_end': isoformat(holder.duration_end),
            'aggregate': holder.aggregate}


# XML, rarely asked for, keeps WSME's generic rendering.
wsme_fast.render_with(Statistics, statistics_json)


class Aggregate(wtypes.Base):
    """One selected aggregate: ``func`` over the trait named ``param``."""

    func = wtypes.text
    "count, min, max, avg or sum"

    param = wtypes.text
    "The integer or float trait (not needed for count)"

    @classmethod
    def sample(cls):
        return cls(func='avg', param='memory_mb')


class AggregateList(wtypes.UserType):
    """The ``aggregate`` argument: a list of ``Aggregate``.

    Parsed here rather than by WSME's list-of-objects code, which fails
    with a 500 when ``aggregate.func`` and ``aggregate.param`` are given
    a different number of times.
    """

    basetype = wtypes.text
    name = 'aggregatelist'

    def validate(self, value):
        return value


AGGREGATE_LIST = AggregateList()


@wsme_args.from_params.when_type(AggregateList)
def _aggregates_from_params(datatype, params, path, hit_paths):
    """The i-th ``aggregate.func`` goes with the i-th ``aggregate.param``.

    That is how Ceilometer paired them. A func without a param (count)
    is best placed last, or given an empty ``aggregate.param=``.
    """
    return query.objects_from_params(Aggregate, ('func', 'param'), params,
                                     path, hit_paths)


@wsme_json.fromjson.when_type(AggregateList)
def _aggregates_fromjson(datatype, value):
    """``{"aggregate": [{"func": "avg", "param": "memory_mb"}, ...]}``."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError('aggregate must be a list of {"func", "param"} '
                         'objects')
    aggregates = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError('each aggregate must be a JSON object')
        aggregates.append(wsme_json.fromjson(Aggregate, item))
    return aggregates


def _given(value):
    return value is not None and value is not wsme.Unset


def parse_period(period):
    """Whole seconds, positive; None when not given."""
    if not _given(period):
        return None
    text = str(period).strip()
    if text.isdigit() and text.isascii() and 0 < int(text) <= MAX_PERIOD:
        return int(text)
    raise wsme_exc.InvalidInput(
        'period', period, 'the period should be a positive integer '
        'number of seconds, at most %d.' % MAX_PERIOD)


def parse_aggregates(aggregates):
    """``(func, param)`` pairs; 400 for one with no func."""
    pairs = []
    for aggregate in aggregates or ():
        if not _given(aggregate.func):
            raise base.ClientSideError(
                'Every aggregate needs a func: aggregate.param %s was '
                'given without one.' % aggregate.param)
        param = aggregate.param if _given(aggregate.param) else None
        pairs.append((aggregate.func, param or None))
    return pairs


def _not_supported(what):
    return base.ClientSideError(
        '%s not supported by the configured storage driver.' % what,
        status_code=501)


def check_capabilities(flat, request):
    """501 for what the driver says it cannot do."""
    if request.groupby and not flat.get(GROUPBY_CAPABILITY):
        raise _not_supported('Grouping event statistics is')
    for func, _param in request.aggregates:
        if not flat.get(SELECTABLE_CAPABILITY % func):
            raise _not_supported('The aggregation function %s is' % func)


class StatisticsController(rest.RestController):
    """Statistics over events; allowed to whoever may list them."""

    @rbac.protected(policy.EVENTS_INDEX)
    @wsme_pecan.wsexpose([Statistics], query.QUERY_LIST,
                         query.ScalarText(), [wtypes.text], AGGREGATE_LIST)
    def get_all(self, q=None, period=None, groupby=None, aggregate=None):
        """Buckets of the events matching ``q``, in time order.

        :param q: filters, as for listing events (same visibility)
        :param period: bucket length in seconds (default: one bucket
            over the whole matched range)
        :param groupby: ``event_type`` or ``trait.<name>``, repeatable
        :param aggregate: ``aggregate.func``/``aggregate.param`` pairs:
            count, or min/max/avg/sum over a numeric trait
        """
        conn = pecan.request.conn
        flat = capabilities.flatten(conn.get_capabilities())
        if not flat.get(STANDARD_CAPABILITY):
            raise _not_supported('Event statistics are')
        for item in groupby or ():
            query.check_text(item, 'groupby')
        for item in aggregate or ():
            query.check_text(item.func, 'aggregate.func')
            query.check_text(item.param, 'aggregate.param')
        try:
            request = storage_statistics.parse(
                parse_period(period), groupby or (),
                parse_aggregates(aggregate))
        except ValueError as err:
            raise base.ClientSideError(str(err)) from None
        check_capabilities(flat, request)

        event_filter = query.to_event_filter(q, rbac.visibility())
        if event_filter is None:
            return []
        try:
            results = conn.get_event_statistics(
                event_filter, period=request.period,
                groupby=request.groupby, aggregates=request.aggregates)
        except NotImplementedError:
            raise _not_supported('Event statistics are') from None
        except ValueError as err:
            raise base.ClientSideError(str(err)) from None
        except OverflowError:
            raise base.ClientSideError(
                'Invalid period %s: the periods would end after the last '
                'representable date.' % request.period) from None
        return [Statistics.from_result(r) for r in results]
