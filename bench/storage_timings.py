"""The storage calls the API makes, and timing them.

Each query draws its parameters (a project, a user, a day, ...) from a
seeded random generator and from what the store holds at the time, so
a run is repeatable and every lookup hits something that exists. The
same parameter list is handed to the SQL floor (``bench.sql_floor``),
so both sides answer exactly the same questions.
"""

import collections
import datetime
import math
import random
import statistics as pystats
import time

from panko_clone import storage

from bench import dataset

Query = collections.namedtuple('Query', 'key label params call events',
                               defaults=(None,))

DAY = datetime.timedelta(days=1)


def _page(limit=100, marker=None):
    return {'limit': limit, 'marker': marker, 'sort': None}


def _listing(conn, event_filter, marker=None):
    return conn.get_events(event_filter, _page(marker=marker))


def _owner(rng, gen):
    """A (project, user) pair that owns events: a random event's."""
    while True:
        _, _, project, user = rng.choice(gen.made)
        if project is not None:
            return project, user


def _p_none(rng, gen):
    return {}


def _p_restricted(rng, gen):
    project, user = _owner(rng, gen)
    return {'project': project, 'user': user}


def _p_project(rng, gen):
    return {'project': rng.choice(dataset.PROJECTS)}


def _p_type_window(rng, gen):
    day = dataset.some_day(rng, gen)
    return {'event_type': rng.choice(dataset.EVENT_TYPES), 'start': day,
            'end': day + DAY}


def _p_host(rng, gen):
    return {'host': rng.choice(dataset.HOSTS)}


def _p_int_range(rng, gen):
    low = dataset.MEMORY_STEP * rng.randint(
        1, dataset.MEMORY_STEPS - dataset.MEMORY_WINDOW)
    return {'low': low,
            'high': low + dataset.MEMORY_STEP * dataset.MEMORY_WINDOW}


def _p_by_id(rng, gen):
    return {'message_id': rng.choice(gen.made)[1]}


def _p_marker(rng, gen):
    return {'marker': gen.middle_marker}


def _p_event_type(rng, gen):
    return {'event_type': rng.choice(dataset.EVENT_TYPES)}


def _p_day(rng, gen):
    day = dataset.some_day(rng, gen)
    return {'start': day, 'end': day + DAY}


def build_queries():
    """Every measured call, in report order."""
    EventFilter = storage.EventFilter

    def default(conn, p):
        return _listing(conn, EventFilter())

    def restricted(conn, p):
        return _listing(conn, EventFilter(traits_filter=[
            {'key': 'project_id', 'op': 'eq', 'string': p['project']},
            {'key': 'user_id', 'op': 'eq', 'string': p['user']}]))

    def unrestricted(conn, p):
        return _listing(conn, EventFilter(admin_proj=p['project']))

    def type_window(conn, p):
        return _listing(conn, EventFilter(
            event_type=p['event_type'], start_timestamp=p['start'],
            end_timestamp=p['end']))

    def host_eq(conn, p):
        return _listing(conn, EventFilter(traits_filter=[
            {'key': 'host', 'op': 'eq', 'string': p['host']}]))

    def int_range(conn, p):
        return _listing(conn, EventFilter(traits_filter=[
            {'key': 'memory_mb', 'op': 'ge', 'integer': p['low']},
            {'key': 'memory_mb', 'op': 'le', 'integer': p['high']}]))

    def by_id(conn, p):
        return conn.get_events(EventFilter(message_id=p['message_id']))

    def marker_page(conn, p):
        return _listing(conn, EventFilter(), marker=p['marker'])

    def event_types(conn, p):
        return conn.get_event_types()

    def trait_types(conn, p):
        return conn.get_trait_types(p['event_type'])

    def trait_values(conn, p):
        return conn.get_traits(p['event_type'], 'host')

    def histogram_day(conn, p):
        return conn.get_event_statistics(
            EventFilter(start_timestamp=p['start'],
                        end_timestamp=p['end']),
            period=60, aggregates=[('count', None)])

    def histogram_all(conn, p):
        return conn.get_event_statistics(
            EventFilter(), period=3600, aggregates=[('count', None)])

    def aggregated(answer):
        """Events a statistics answer counts: its work, not its rows."""
        return sum(bucket['count'] for bucket in answer)

    def groupby_type(conn, p):
        return conn.get_event_statistics(
            EventFilter(), groupby=['event_type'],
            aggregates=[('count', None)])

    return [
        Query('default', 'default listing (100, all)', _p_none, default),
        Query('restricted', 'restricted member (project+user)',
              _p_restricted, restricted),
        Query('unrestricted', 'unrestricted, one project',
              _p_project, unrestricted),
        Query('type_window', 'event_type + 1-day window',
              _p_type_window, type_window),
        Query('host_eq', 'trait eq (host)', _p_host, host_eq),
        Query('int_range', 'int range (memory_mb ge/le)', _p_int_range,
              int_range),
        Query('by_id', 'get by message_id', _p_by_id, by_id),
        Query('marker_page', 'page after mid-store marker', _p_marker,
              marker_page),
        Query('event_types', 'event types', _p_none, event_types),
        Query('trait_types', 'trait descriptions (one type)',
              _p_event_type, trait_types),
        Query('trait_values', 'trait values (type, host)', _p_event_type,
              trait_values),
        Query('histogram_day', 'stats: 1-min histogram, 1 day', _p_day,
              histogram_day, aggregated),
        Query('histogram_all', 'stats: 1-hour histogram, all', _p_none,
              histogram_all, aggregated),
        Query('groupby_type', 'stats: count by event_type, all', _p_none,
              groupby_type, aggregated),
    ]


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


Timing = collections.namedtuple('Timing', 'median p95 rows runs events',
                                defaults=(None,))


def parameter_lists(queries, gen, seed, repeat):
    """``repeat`` parameter dicts per query, the same for both sides."""
    lists = {}
    for query in queries:
        rng = random.Random('%s-%s-%d' % (seed, query.key, gen.count))
        lists[query.key] = [query.params(rng, gen)
                            for _ in range(repeat + 1)]
    return lists


def time_in_blocks(calls, params, budget, counters=()):
    """A ``Timing`` for each of ``calls``, all over the same ``params``.

    ``params[0]`` warms every call up. The rest are split in two halves;
    over each half every call runs in a block of its own (all of the
    half's parameters), the calls' order reversed for the second half,
    so that on a store larger than the caches no call always reads the
    cold pages the other then finds cached.

    Blocks rather than single calls taking turns: a call timed right
    after a long one runs with the CPU caches that one left it. On the
    1M SQLite store, the trait descriptions took 0.78 ms in a row but
    1.76 ms each right after its 376 ms floor (and 2.05 ms after 0.3 s
    of a Python loop), so the floor's cost leaked into the call's and
    into its 1M/10k ratio.

    A call stops once it has spent ``budget`` seconds (after three runs
    at least), so a slow query at a large size cannot eat the run. Each
    ``Timing`` is in milliseconds, with the rows of the call's last run
    and, where ``counters`` gives the call a function of its answer,
    what that function makes of the last answer (``events``).
    """
    for call in calls:
        call(params[0])
    rest = params[1:]
    halves = (rest[:len(rest) // 2], rest[len(rest) // 2:])
    timings = [[] for _ in calls]
    spent = [0.0] * len(calls)
    answers = [()] * len(calls)
    for turn, half in enumerate(halves):
        order = list(range(len(calls)))
        if turn % 2:
            order.reverse()
        for k in order:
            for p in half:
                if len(timings[k]) >= 3 and spent[k] > budget:
                    break
                start = time.perf_counter()
                answers[k] = list(calls[k](p))
                elapsed = time.perf_counter() - start
                spent[k] += elapsed
                timings[k].append(elapsed * 1000)
    counters = list(counters) + [None] * (len(calls) - len(counters))
    return [Timing(pystats.median(t), p95(t), len(a), len(t),
                   count(a) if count else None)
            for t, a, count in zip(timings, answers, counters)]


def measure(conn, queries, params, budget, floor=None):
    """({key: Timing} of each storage call, {key: Timing} of its floor).

    ``floor`` (a ``sql_floor.Floor`` or None) gives each query's
    hand-written SQL, timed beside the storage call (see
    :func:`time_in_blocks`).
    """
    storage, floors = {}, {}
    for query in queries:
        calls = [lambda p, q=query: q.call(conn, p)]
        if floor is not None:
            calls.append(floor.caller(query.key))
        timings = time_in_blocks(calls, params[query.key], budget,
                                 [query.events])
        storage[query.key] = timings[0]
        if floor is not None:
            floors[query.key] = timings[1]
    return storage, floors
