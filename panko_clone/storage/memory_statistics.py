"""Event statistics for the memory driver, in plain Python.

The rules are the SQL driver's (see ``panko_clone.storage.statistics``):
one trait per (name, type) and the last one wins, as the SQL tables keep
it; a group value is the event's trait of that name in the first type of
text, integer, float, datetime that it has; a numeric aggregate reads the
integer trait of its name, else the float one.
"""

import datetime

from panko_clone.storage import models
from panko_clone.storage import statistics

Trait = models.Trait
NUMERIC_DTYPES = (Trait.INT_TYPE, Trait.FLOAT_TYPE)


def _typed_traits(event):
    """``{(name, dtype): value}``, one per pair, the last one winning."""
    found = {}
    for trait in event.traits or ():
        if trait.dtype in statistics.GROUP_DTYPES and trait.value is not None:
            found[(trait.name, trait.dtype)] = trait.value
    return found


def _group_value(traits, name):
    return statistics.render(statistics.first_present(
        traits.get((name, dtype)) for dtype in statistics.GROUP_DTYPES))


def _number(traits, name):
    if (name, Trait.INT_TYPE) in traits:
        return int(traits[(name, Trait.INT_TYPE)])
    if (name, Trait.FLOAT_TYPE) in traits:
        return float(traits[(name, Trait.FLOAT_TYPE)])
    return None


def event_statistics(events, event_filter, period=None, groupby=(),
                     aggregates=()):
    """Statistics over ``events``, the events the filter matched.

    ``event_filter`` supplies only the bounds (its conditions are already
    applied); the answer is the list ``statistics.shape`` describes.
    """
    request = statistics.parse(period, groupby, aggregates)
    start, end = statistics.bounds(event_filter)
    events = list(events)
    if not events:
        return []
    origin = start
    if request.period and origin is None:
        origin = min(e.generated for e in events)
    step = datetime.timedelta(seconds=request.period or 1)
    buckets = {}
    other_types = dict.fromkeys(request.params, False)
    for event in events:
        traits = _typed_traits(event)
        index = None
        if request.period:
            index = (event.generated - origin) // step
        values = tuple(event.event_type if name is None
                       else _group_value(traits, name)
                       for name in request.traits)
        numbers = {}
        for param in request.params:
            numbers[param] = statistics.Numbers()
            value = _number(traits, param)
            if value is not None:
                numbers[param].add(value)
            elif any(name == param for name, _ in traits):
                other_types[param] = True
        statistics.collect(buckets, (index, values), statistics.Bucket(
            1, event.generated, event.generated, numbers))
    totals = statistics.numeric_totals(request, buckets)
    for param in request.params:
        if not totals[param] and other_types[param]:
            raise statistics.not_numeric_error(param)
    return statistics.shape(request, buckets, origin, start, end)
