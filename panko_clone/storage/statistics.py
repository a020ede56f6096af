"""What every driver shares for event statistics.

A driver turns the matching events into partial buckets, each keyed by
``(k, groupby values)`` (``k`` the period index, None without a period),
and hands them to :func:`shape`; the SQL driver builds them from GROUP BY
rows, the memory driver from the events themselves. Validating the
request, rendering group values, combining numbers and the final shape
live here, so that the two drivers cannot drift apart.

The answer is a list of dicts shaped like Ceilometer v2 statistics::

    {'groupby': {'event_type': 'Foo', 'trait.host': 'h1'} or None,
     'count': 3, 'period': 3600 (0 without a period),
     'period_start': datetime, 'period_end': datetime,
     'duration': 120.5, 'duration_start': datetime,
     'duration_end': datetime,
     'aggregate': {'count': 3, 'avg(memory_mb)': 2048.0, ...}}

ordered by ``period_start``, then by the group values (None last).
"""

import datetime

from panko_clone.storage import base
from panko_clone.storage import models

EVENT_TYPE = 'event_type'
TRAIT_PREFIX = 'trait.'
NUMERIC_FUNCS = ('min', 'max', 'avg', 'sum')

# When an event carries traits of one name in several types, its group
# value is the first of these that it has (the same rule in every driver).
GROUP_DTYPES = (models.Trait.TEXT_TYPE, models.Trait.INT_TYPE,
                models.Trait.FLOAT_TYPE, models.Trait.DATETIME_TYPE)

_EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)


class Request:
    """A validated statistics request.

    ``groupby`` the requested fields, deduplicated, in order; ``traits``
    the trait name of each field (None for ``event_type``);
    ``aggregates`` ``(func, param)`` pairs (param None for count);
    ``params`` the distinct trait names the numeric aggregates need.
    """

    def __init__(self, period, groupby, aggregates):
        self.period = period
        self.groupby = groupby
        self.traits = [None if f == EVENT_TYPE else f[len(TRAIT_PREFIX):]
                       for f in groupby]
        self.aggregates = aggregates
        self.params = []
        for func, param in aggregates:
            if param is not None and param not in self.params:
                self.params.append(param)


def _parse_period(period):
    if period is None:
        return None
    if isinstance(period, bool) or not isinstance(period, (int, float)):
        raise ValueError('period must be a positive integer number of '
                         'seconds, not %r' % (period,))
    if isinstance(period, float):
        if not period.is_integer():
            raise ValueError('period must be a whole number of seconds, '
                             'not %r' % (period,))
        period = int(period)
    if period <= 0:
        raise ValueError('period must be a positive integer, not %r'
                         % (period,))
    return period


def _parse_groupby(groupby):
    fields = []
    for field in groupby or ():
        if not isinstance(field, str) or not (
                field == EVENT_TYPE or (field.startswith(TRAIT_PREFIX)
                                        and len(field) > len(TRAIT_PREFIX))):
            raise ValueError('Invalid groupby field %r: use event_type or '
                             'trait.<name>' % (field,))
        if field not in fields:
            fields.append(field)
    return fields


def _parse_aggregate(aggregate):
    if isinstance(aggregate, dict):
        func, param = aggregate.get('func'), aggregate.get('param')
    elif isinstance(aggregate, str):
        func, param = aggregate, None
    else:
        try:
            func, param = aggregate
        except (TypeError, ValueError):
            raise ValueError('Invalid aggregate %r: expected (func, param)'
                             % (aggregate,)) from None
    if func not in base.AGGREGATES:
        raise ValueError('Invalid aggregation function: %s; the supported '
                         'functions are: %s'
                         % (func, ', '.join(base.AGGREGATES)))
    if func == 'count':
        # count counts events; a param changes nothing.
        return func, None
    if param is None or not isinstance(param, str) or not param:
        raise ValueError('Aggregation function %s needs a param: the name '
                         'of an integer or float trait' % func)
    return func, param


def parse(period=None, groupby=(), aggregates=()):
    """Validate a request; ``ValueError`` for anything malformed."""
    fields = _parse_groupby(groupby)
    pairs = []
    for aggregate in aggregates or ():
        pair = _parse_aggregate(aggregate)
        if pair not in pairs:
            pairs.append(pair)
    return Request(_parse_period(period), fields, pairs)


def bounds(event_filter):
    """The filter's (start, end) as naive UTC datetimes, or None."""
    start = end = None
    if event_filter is not None:
        if event_filter.start_timestamp is not None:
            start = models.normalize_datetime(event_filter.start_timestamp)
        if event_filter.end_timestamp is not None:
            end = models.normalize_datetime(event_filter.end_timestamp)
    return start, end


def epoch_microseconds(when):
    """A naive UTC datetime as integer microseconds since the epoch."""
    return (when - _EPOCH) // _MICROSECOND


def render(value):
    """A group value as the API shows trait values: text, or None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def first_present(values):
    """The first value that is not None (the GROUP_DTYPES rule)."""
    for value in values:
        if value is not None:
            return value
    return None


def not_numeric_error(param):
    return ValueError('Aggregation over %s needs an integer or float '
                      'trait; %s is not one' % (param, param))


# Floats of this magnitude and above are summed apart, scaled down by
# it, so that no partial sum overflows (a database may fail on that, or
# answer 0): only the final figure can be infinite, and an average of
# huge values stays finite.
BIG = 2.0 ** 512


class Numbers:
    """Min, max, sum and count of one trait, integers and floats apart.

    Kept apart so that integers stay exact (and stay ints) until a float
    joins them. ``fsum`` sums the floats under BIG, ``fbig`` the others
    divided by BIG.
    """

    __slots__ = ('imin', 'imax', 'isum', 'icount',
                 'fmin', 'fmax', 'fsum', 'fbig', 'fcount')

    def __init__(self, imin=None, imax=None, isum=None, icount=0,
                 fmin=None, fmax=None, fsum=None, fcount=0, fbig=None):
        icount, fcount = int(icount or 0), int(fcount or 0)
        self.icount, self.fcount = icount, fcount
        self.imin = int(imin) if icount else None
        self.imax = int(imax) if icount else None
        self.isum = int(isum) if icount else 0
        self.fmin = float(fmin) if fcount else None
        self.fmax = float(fmax) if fcount else None
        self.fsum = float(fsum or 0.0) if fcount else 0.0
        self.fbig = float(fbig or 0.0) if fcount else 0.0

    def add(self, value):
        """Count one event's value: an int or a float."""
        if isinstance(value, int):
            self.merge(Numbers(value, value, value, 1))
        elif abs(value) >= BIG:
            self.merge(Numbers(fmin=value, fmax=value, fbig=value / BIG,
                               fcount=1))
        else:
            self.merge(Numbers(fmin=value, fmax=value, fsum=value,
                               fcount=1))

    def merge(self, other):
        if other.icount:
            if self.icount:
                self.imin = min(self.imin, other.imin)
                self.imax = max(self.imax, other.imax)
            else:
                self.imin, self.imax = other.imin, other.imax
            self.isum += other.isum
            self.icount += other.icount
        if other.fcount:
            if self.fcount:
                self.fmin = min(self.fmin, other.fmin)
                self.fmax = max(self.fmax, other.fmax)
            else:
                self.fmin, self.fmax = other.fmin, other.fmax
            self.fsum += other.fsum
            self.fbig += other.fbig
            self.fcount += other.fcount

    @property
    def count(self):
        return self.icount + self.fcount

    def result(self, func):
        """The value of ``func``; None when no event had the trait.

        A float sum beyond the largest float is infinite.
        """
        if not self.count:
            return None
        if func == 'avg':
            if not self.fcount:
                return self.isum / self.icount
            return ((self.isum + self.fsum) / self.count
                    + self.fbig / self.count * BIG)
        if func == 'sum':
            if not self.fcount:
                return self.isum
            return float(self.isum + self.fsum) + self.fbig * BIG
        pick = min if func == 'min' else max
        found = [v for v in (getattr(self, 'i' + func),
                             getattr(self, 'f' + func)) if v is not None]
        value = pick(found)
        return float(value) if self.fcount else value


class Bucket:
    """A partial bucket: events counted, first and last, numbers."""

    __slots__ = ('count', 'first', 'last', 'numbers')

    def __init__(self, count, first, last, numbers):
        self.count = count
        self.first = first
        self.last = last
        self.numbers = numbers

    def merge(self, other):
        self.count += other.count
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        for param, numbers in other.numbers.items():
            self.numbers[param].merge(numbers)


def collect(buckets, key, bucket):
    """Put ``bucket`` into ``buckets`` under ``key``, merging."""
    if key in buckets:
        buckets[key].merge(bucket)
    else:
        buckets[key] = bucket


def shape(request, buckets, origin, start, end):
    """The answer: one dict per non-empty bucket, in order."""
    period = request.period
    results = []
    for (index, values), bucket in buckets.items():
        if period:
            period_start = origin + datetime.timedelta(
                seconds=index * period)
            period_end = period_start + datetime.timedelta(seconds=period)
        else:
            period_start = start if start is not None else bucket.first
            period_end = end if end is not None else bucket.last
        aggregate = {}
        for func, param in request.aggregates:
            if func == 'count':
                aggregate['count'] = bucket.count
            else:
                aggregate['%s(%s)' % (func, param)] = (
                    bucket.numbers[param].result(func))
        groupby = None
        if request.groupby:
            groupby = dict(zip(request.groupby, values))
        results.append({
            'groupby': groupby,
            'count': bucket.count,
            'period': period or 0,
            'period_start': period_start,
            'period_end': period_end,
            'duration': (bucket.last - bucket.first).total_seconds(),
            'duration_start': bucket.first,
            'duration_end': bucket.last,
            'aggregate': aggregate,
        })
    results.sort(key=lambda r: (
        r['period_start'],
        [(v is None, v or '') for v in (r['groupby'] or {}).values()]))
    return results


def numeric_totals(request, buckets):
    """How many events had each param as a number, over all buckets."""
    totals = dict.fromkeys(request.params, 0)
    for bucket in buckets.values():
        for param, numbers in bucket.numbers.items():
            totals[param] += numbers.count
    return totals
