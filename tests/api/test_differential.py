"""Every back end answers as the in-memory one does, request for request.

The memory driver's reads are plain Python over every event; the SQL
drivers choose between index walks, split halves, probes and prepared
plans, and each dialect sorts, compares and sums in its own way. Here a
seeded run of a few hundred valid requests (listings with filters,
sorts and pages, shows, statistics, event types and traits, under four
identities) goes to the module's back end and to a fresh in-memory
store holding the same events, and both must give the same status and
the same body. A wider fuzz of this kind, bad input included, found an
empty marker refused only by the memory driver, a marker outside a
walked trait filter accepted only by the SQL drivers, and sums that
overflowed on three back ends; the first two are drawn here too.
"""

import datetime
import random
import urllib.parse

import pytest

from panko_clone import storage
from tests import conftest
from tests.api import apps
from tests.helpers import ADMIN, MEMBER, SYSTEM_READER, event, make_conf

SEED = 20261124
REQUESTS = 300
T0 = datetime.datetime(2014, 1, 1, 5)

IDENTITIES = (ADMIN, ADMIN, MEMBER, SYSTEM_READER)

# (field, type, values, operators) of the filters a listing draws from;
# the times are event times, so they hit ties and bounds. Text in two
# cases and with an accent sorts one way by code point and another by
# a linguistic collation. Floats are sums of powers of two, so every
# back end sums them exactly.
FILTERS = (
    ('host', 'string', ('h1', 'H2', 'é3', 'h'), 'eq ne lt ge'),
    ('vcpus', 'integer', ('1', '2', '4', '3'), 'eq ne lt le gt ge'),
    ('load', 'float', ('0.25', '0.5', '1.5', '1'), 'eq ne lt le gt ge'),
    ('launched_at', 'datetime', ('2014-01-01T05:00:10',
                                 '2014-01-01T05:00:20.000500'),
     'eq lt le gt ge'),
    ('start_timestamp', 'string', ('2014-01-01T05:00:10',
                                   '2014-01-01T05:00:30'), 'ge'),
    ('end_timestamp', 'string', ('2014-01-01T05:00:20.000500',
                                 '2014-01-01T05:00:40'), 'le'),
    ('event_type', 'string', ('compute.start', 'Compute.end', 'volume'),
     'eq'),
    ('project_id', 'string', ('proj-a', 'proj-b'), 'eq'),
    ('user_id', 'string', ('user-a', 'user-b'), 'eq'),
    ('all_tenants', 'string', ('True',), 'eq'),
)
SORTS = ('generated', 'generated:desc', 'message_id', 'message_id:desc')


def _events(rnd):
    """150 events over a minute, a third of them tied on their time."""
    events = []
    for i in range(150):
        when = T0 + datetime.timedelta(
            seconds=i // 3 * 0.8, microseconds=rnd.choice((0, 0, 500)))
        traits = {'host': rnd.choice(('h1', 'H2', 'é3')),
                  'vcpus': rnd.choice((1, 2, 4)),
                  'load': rnd.choice((0.25, 0.5, 1.5)),
                  'launched_at': when,
                  'project_id': rnd.choice(('proj-a', 'proj-b',
                                            'proj-admin')),
                  'user_id': rnd.choice(('user-a', 'user-b'))}
        if i % 10 == 0:
            del traits['project_id']
        if i % 7 == 0:
            del traits['load']
        events.append(event('ev-%03d' % rnd.randrange(1000) + '-%d' % i,
                            rnd.choice(('compute.start', 'Compute.end',
                                        'volume')),
                            when, traits, raw={'n': i}))
    return events


def _q(rnd):
    params = []
    for _ in range(rnd.choice((0, 1, 1, 2, 3))):
        field, type_, values, ops = rnd.choice(FILTERS)
        params += [('q.field', field), ('q.op', rnd.choice(ops.split())),
                   ('q.type', type_), ('q.value', rnd.choice(values))]
    return params


def _statistics_params(rnd):
    params = _q(rnd)
    if rnd.random() < 0.6:
        params.append(('period', rnd.choice(('10', '60', '7'))))
    for field in rnd.sample(('event_type', 'trait.host', 'trait.vcpus'),
                            rnd.choice((0, 1, 2))):
        params.append(('groupby', field))
    for func, param in rnd.sample((('count', ''), ('avg', 'vcpus'),
                                   ('sum', 'load'), ('max', 'load'),
                                   ('min', 'vcpus')), rnd.choice((1, 2))):
        params += [('aggregate.func', func), ('aggregate.param', param)]
    return params


def _requests(rnd, ids, types):
    """(headers, path, follow_pages) of each request, all drawn first."""
    drawn = []
    for _ in range(REQUESTS):
        headers = rnd.choice(IDENTITIES)
        kind = rnd.choice(('list', 'list', 'list', 'show', 'statistics',
                           'types'))
        follow = False
        if kind == 'list':
            params = _q(rnd)
            params += [('sort', s) for s in rnd.sample(
                SORTS, rnd.choice((0, 1, 1, 2)))]
            params.append(('limit', rnd.choice(('1', '4', '25'))))
            if rnd.random() < 0.2:
                # Any event, or none: outside the filter it is refused.
                params.append(('marker', rnd.choice(ids + [''])))
            path = '/v2/events?' + urllib.parse.urlencode(params)
            follow = True
        elif kind == 'show':
            path = '/v2/events/' + rnd.choice(ids)
        elif kind == 'statistics':
            path = '/v2/events/statistics?' + urllib.parse.urlencode(
                _statistics_params(rnd))
        else:
            path = rnd.choice((
                '/v2/event_types',
                '/v2/event_types/%s/traits' % rnd.choice(types),
                '/v2/event_types/%s/traits/%s' % (
                    rnd.choice(types),
                    rnd.choice(('host', 'vcpus', 'load', 'launched_at'))),
            ))
        drawn.append((headers, path, follow))
    return drawn


def _answers(client, requests):
    """Status and body of each request; a listing's next two pages."""
    answers = []
    for headers, path, follow in requests:
        resp = client.get(path, headers=headers, expect_errors=True)
        answers.append((path, resp.status_int, resp.body))
        for _ in range(2 if follow else 0):
            if resp.status_int != 200 or not resp.json:
                break
            marker = urllib.parse.urlencode(
                [('marker', resp.json[-1]['message_id'])])
            resp = client.get(path + '&' + marker, headers=headers,
                              expect_errors=True)
            answers.append((path + '&' + marker, resp.status_int,
                            resp.body))
    return answers


@pytest.fixture(scope='module', params=conftest.SQL_BACKENDS)
def backend(request):
    """The SQL back ends; memory:// is the reference they answer to."""
    return conftest.sql_backend(request)


@pytest.fixture
def reference():
    """A client of a fresh in-memory store, apart from the module's."""
    conf = make_conf('memory://')
    store = storage.get_connection_from_config(conf)
    with apps.client_for(conf, 'noauth', store, 'memory') as client:
        yield store, client
    conftest.close_connection(store)
    conf.reset()


def test_every_answer_is_the_memory_drivers(app, conn, reference):
    ref_store, ref_client = reference
    rnd = random.Random(SEED)
    events = _events(rnd)
    conn.record_events(events)
    ref_store.record_events(events)
    requests = _requests(rnd, [e.message_id for e in events],
                         sorted({e.event_type for e in events}))
    expected = _answers(ref_client, requests)
    got = _answers(app, requests)
    statuses = {status for _, status, _ in expected}
    assert statuses >= {200, 400, 401, 403, 404}, statuses
    for (path, status, body), (_, ref_status, ref_body) in zip(
            got, expected):
        assert (status, body) == (ref_status, ref_body), path
    assert len(got) == len(expected)
