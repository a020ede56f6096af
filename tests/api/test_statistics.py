"""GET /v2/events/statistics through the paste-deployed app.

Every test runs on sqlite, memory, postgresql and mysql (the ``app``
fixture of tests/api/conftest.py).
"""

import json

import pytest
import webtest

from panko_clone import storage
from panko_clone.storage import base as storage_base
from tests.api import test_rbac
from tests.conftest import close_connection
from tests.helpers import (ADMIN, CAPABILITY_KEYS, MEMBER, SYSTEM_READER,
                           assert_error, at, event, q_params)

URL = '/v2/events/statistics'

# No project_id traits: every unrestricted persona sees all of them.
#   id  type     generated  host  mem (int)  load (float)
#   m1  compute  T0         h1    1024       0.25
#   m2  compute  T0+10m     h1    2048       0.5
#   m3  compute  T0+20m     h2    4096       -
#   m4  volume   T0+70m     -     -          1.0
#   m5  compute  T0+130m    h2    512        2.0
T0 = '2014-01-01T05:00:00'


def _events():
    return [
        event('m1', 'compute', at(), {'host': 'h1', 'mem': 1024,
                                      'load': 0.25}),
        event('m2', 'compute', at(minutes=10), {'host': 'h1', 'mem': 2048,
                                                'load': 0.5}),
        event('m3', 'compute', at(minutes=20), {'host': 'h2',
                                                'mem': 4096}),
        event('m4', 'volume', at(minutes=70), {'load': 1.0}),
        event('m5', 'compute', at(minutes=130), {'host': 'h2', 'mem': 512,
                                                 'load': 2.0}),
    ]


@pytest.fixture
def data(conn):
    conn.record_events(_events())
    return conn


def iso(**delta):
    return at(**delta).isoformat()


def stats(app, params=(), headers=ADMIN, status=200):
    resp = app.get(URL, params=list(params), headers=headers,
                   status=status)
    if status == 200:
        assert resp.content_type == 'application/json'
    return resp


def brief(resp):
    """(period_start, groupby, count) of each bucket, in order."""
    return [(s['period_start'], s['groupby'], s['count'])
            for s in resp.json]


def aggregates(*pairs):
    """``aggregate.func``/``aggregate.param`` parameters, in order."""
    params = []
    for func, param in pairs:
        params.append(('aggregate.func', func))
        params.append(('aggregate.param', param or ''))
    return params


# ------------------------------------------------------------------ shape


def test_one_bucket_over_everything(app, data):
    assert stats(app).json == [{
        'groupby': None,
        'count': 5,
        'period': 0,
        'period_start': T0,
        'period_end': iso(minutes=130),
        'duration': 7800.0,
        'duration_start': T0,
        'duration_end': iso(minutes=130),
        'aggregate': {},
    }]


def test_trailing_slash(app, data):
    assert stats(app).json == app.get(URL + '/', headers=ADMIN).json


def test_empty_store(app, conn):
    assert stats(app, [('period', '60'), ('groupby', 'event_type')]
                 + aggregates(('avg', 'mem'))).json == []


def test_no_match(app, data):
    params = q_params({'field': 'event_type', 'value': 'nope'})
    assert stats(app, params).json == []
    # An impossible query is answered without asking the driver.
    params = q_params({'field': 'event_type', 'value': 'compute'},
                      {'field': 'event_type', 'value': 'volume'})
    assert stats(app, params).json == []


# --------------------------------------------------------------- period


def test_period_histogram(app, data):
    resp = stats(app, [('period', '3600')])
    assert resp.json == [
        {'groupby': None, 'count': 3, 'period': 3600,
         'period_start': T0, 'period_end': iso(hours=1),
         'duration': 1200.0, 'duration_start': T0,
         'duration_end': iso(minutes=20), 'aggregate': {}},
        {'groupby': None, 'count': 1, 'period': 3600,
         'period_start': iso(hours=1), 'period_end': iso(hours=2),
         'duration': 0.0, 'duration_start': iso(minutes=70),
         'duration_end': iso(minutes=70), 'aggregate': {}},
        {'groupby': None, 'count': 1, 'period': 3600,
         'period_start': iso(hours=2), 'period_end': iso(hours=3),
         'duration': 0.0, 'duration_start': iso(minutes=130),
         'duration_end': iso(minutes=130), 'aggregate': {}},
    ]


def test_period_starts_at_the_query_start(app, data):
    params = q_params({'field': 'start_timestamp', 'op': 'ge',
                       'value': iso(minutes=-45)}, period='3600')
    assert brief(stats(app, params)) == [
        (iso(minutes=-45), None, 2),
        (iso(minutes=15), None, 2),
        (iso(minutes=75), None, 1),
    ]


def test_empty_periods_are_omitted(app, data):
    resp = stats(app, [('period', '600')])
    assert brief(resp) == [
        (T0, None, 1), (iso(minutes=10), None, 1),
        (iso(minutes=20), None, 1), (iso(minutes=70), None, 1),
        (iso(minutes=130), None, 1)]
    assert [s['period_end'] for s in resp.json] == [
        iso(minutes=10), iso(minutes=20), iso(minutes=30),
        iso(minutes=80), iso(minutes=140)]


def test_no_period_reports_the_query_bounds(app, data):
    params = q_params(
        {'field': 'start_timestamp', 'op': 'ge', 'value': iso(hours=-1)},
        {'field': 'end_timestamp', 'op': 'le', 'value': iso(hours=1)})
    [result] = stats(app, params).json
    assert result['count'] == 3
    assert result['period_start'] == iso(hours=-1)
    assert result['period_end'] == iso(hours=1)
    assert result['duration_start'] == T0
    assert result['duration_end'] == iso(minutes=20)
    assert result['duration'] == 1200.0


# -------------------------------------------------------------- groupby


def test_groupby_event_type(app, data):
    assert brief(stats(app, [('groupby', 'event_type')])) == [
        (T0, {'event_type': 'compute'}, 4),
        (iso(minutes=70), {'event_type': 'volume'}, 1),
    ]


def test_groupby_trait(app, data):
    assert brief(stats(app, [('groupby', 'trait.host')])) == [
        (T0, {'trait.host': 'h1'}, 2),
        (iso(minutes=20), {'trait.host': 'h2'}, 2),
        (iso(minutes=70), {'trait.host': None}, 1),
    ]


def test_groupby_numeric_trait_renders_as_text(app, data):
    params = q_params({'field': 'event_type', 'value': 'compute'},
                      groupby='trait.mem')
    assert [s['groupby'] for s in stats(app, params).json] == [
        {'trait.mem': '1024'}, {'trait.mem': '2048'},
        {'trait.mem': '4096'}, {'trait.mem': '512'}]


def test_groupby_several_fields_with_period(app, data):
    params = [('period', '3600'), ('groupby', 'event_type'),
              ('groupby', 'trait.host'), ('groupby', 'event_type')]
    assert brief(stats(app, params)) == [
        (T0, {'event_type': 'compute', 'trait.host': 'h1'}, 2),
        (T0, {'event_type': 'compute', 'trait.host': 'h2'}, 1),
        (iso(hours=1), {'event_type': 'volume', 'trait.host': None}, 1),
        (iso(hours=2), {'event_type': 'compute', 'trait.host': 'h2'}, 1),
    ]


# ------------------------------------------------------------ aggregates


def test_every_aggregate(app, data):
    params = aggregates(('min', 'mem'), ('max', 'mem'), ('avg', 'mem'),
                        ('sum', 'mem'), ('min', 'load'), ('max', 'load'),
                        ('avg', 'load'), ('sum', 'load'), ('count', None))
    [result] = stats(app, params).json
    assert result['aggregate'] == {
        'count': 5.0,
        'min(mem)': 512.0, 'max(mem)': 4096.0, 'avg(mem)': 1920.0,
        'sum(mem)': 7680.0,
        'min(load)': 0.25, 'max(load)': 2.0, 'avg(load)': 0.9375,
        'sum(load)': 3.75,
    }
    assert result['count'] == 5


@pytest.mark.parametrize('func, expected', [
    ('count', {'count': 5.0}),
    ('min', {'min(mem)': 512.0}),
    ('max', {'max(mem)': 4096.0}),
    ('avg', {'avg(mem)': 1920.0}),
    ('sum', {'sum(mem)': 7680.0}),
])
def test_each_aggregate_alone(app, data, func, expected):
    params = [('aggregate.func', func), ('aggregate.param', 'mem')]
    [result] = stats(app, params).json
    assert result['aggregate'] == expected


def test_count_needs_no_param_when_last(app, data):
    params = [('aggregate.func', 'sum'), ('aggregate.func', 'count'),
              ('aggregate.param', 'mem')]
    [result] = stats(app, params).json
    assert result['aggregate'] == {'sum(mem)': 7680.0, 'count': 5.0}


def test_aggregates_per_group_and_period(app, data):
    params = [('period', '3600'), ('groupby', 'event_type')] + aggregates(
        ('avg', 'mem'), ('max', 'load'), ('count', None))
    assert [(s['period_start'], s['groupby'], s['aggregate'])
            for s in stats(app, params).json] == [
        (T0, {'event_type': 'compute'},
         {'avg(mem)': 7168 / 3, 'max(load)': 0.5, 'count': 3.0}),
        (iso(hours=1), {'event_type': 'volume'},
         {'avg(mem)': None, 'max(load)': 1.0, 'count': 1.0}),
        (iso(hours=2), {'event_type': 'compute'},
         {'avg(mem)': 512.0, 'max(load)': 2.0, 'count': 1.0}),
    ]


def test_aggregate_over_an_absent_trait_is_null(app, data):
    [result] = stats(app, aggregates(('sum', 'nothing'))).json
    assert result['aggregate'] == {'sum(nothing)': None}


def test_sums_past_every_limit_are_answered(app, conn):
    # An integer sum past 64 bits, a float sum past the largest float:
    # the second is infinite, which JSON has no number for: null.
    conn.record_events([
        event('o%d' % i, generated=at(seconds=i),
              traits={'n': 2 ** 62, 'x': 1.5e308}) for i in range(4)])
    resp = stats(app, aggregates(('sum', 'n'), ('sum', 'x'), ('avg', 'x')))
    assert resp.json[0]['aggregate'] == {
        'sum(n)': float(2 ** 64), 'sum(x)': None, 'avg(x)': 1.5e308}


def test_aggregates_from_a_json_body(app, data):
    body = {'q': [{'field': 'event_type', 'value': 'compute'}],
            'period': 3600, 'groupby': ['trait.host'],
            'aggregate': [{'func': 'sum', 'param': 'mem'},
                          {'func': 'count'}]}
    resp = app.request(URL, method='GET', body=json.dumps(body).encode(),
                       headers=dict(ADMIN, **{
                           'Content-Type': 'application/json'}))
    assert [(s['groupby'], s['aggregate']) for s in resp.json] == [
        ({'trait.host': 'h1'}, {'sum(mem)': 3072.0, 'count': 2.0}),
        ({'trait.host': 'h2'}, {'sum(mem)': 4096.0, 'count': 1.0}),
        ({'trait.host': 'h2'}, {'sum(mem)': 512.0, 'count': 1.0}),
    ]


# ------------------------------------------------------------- q filters


def test_combined_filters(app, data):
    params = q_params(
        {'field': 'event_type', 'op': 'eq', 'value': 'compute'},
        {'field': 'host', 'op': 'eq', 'value': 'h2'},
        {'field': 'start_timestamp', 'op': 'ge', 'value': iso(minutes=5)},
        {'field': 'end_timestamp', 'op': 'le', 'value': iso(hours=3)},
        groupby='trait.host')
    params += aggregates(('sum', 'mem'), ('count', None))
    assert stats(app, params).json == [{
        'groupby': {'trait.host': 'h2'},
        'count': 2,
        'period': 0,
        'period_start': iso(minutes=5),
        'period_end': iso(hours=3),
        'duration': 6600.0,
        'duration_start': iso(minutes=20),
        'duration_end': iso(minutes=130),
        'aggregate': {'sum(mem)': 4608.0, 'count': 2.0},
    }]


def test_typed_trait_filters(app, data):
    params = q_params({'field': 'mem', 'op': 'ge', 'type': 'integer',
                       'value': '2048'},
                      {'field': 'load', 'op': 'lt', 'type': 'float',
                       'value': '1.0'})
    params += aggregates(('sum', 'mem'))
    [result] = stats(app, params).json
    assert (result['count'], result['aggregate']) == (
        1, {'sum(mem)': 2048.0})


def test_q_errors_are_the_listing_errors(app, data):
    params = q_params({'field': 'event_type', 'op': 'ne', 'value': 'x'})
    assert_error(stats(app, params, status=400), 400,
                 "Operator ne is not supported. Only `eq' operator is "
                 "available for field event_type")
    params = q_params({'field': 'mem', 'type': 'integer', 'value': 'abc'})
    assert_error(stats(app, params, status=400), 400,
                 'Unable to convert the value abc to the expected data '
                 'type integer.')


# ----------------------------------------------------------------- 400s


@pytest.mark.parametrize('params, faultstring', [
    ([('aggregate.func', 'median'), ('aggregate.param', 'mem')],
     'Invalid aggregation function: median; the supported functions '
     'are: count, min, max, avg, sum'),
    ([('aggregate.func', '')],
     'Invalid aggregation function: ; the supported functions are: '
     'count, min, max, avg, sum'),
    ([('aggregate.func', 'avg')],
     'Aggregation function avg needs a param: the name of an integer or '
     'float trait'),
    ([('aggregate.func', 'sum'), ('aggregate.param', '')],
     'Aggregation function sum needs a param: the name of an integer or '
     'float trait'),
    # Paired by position: count takes mem, so max has none.
    ([('aggregate.func', 'count'), ('aggregate.func', 'max'),
      ('aggregate.param', 'mem')],
     'Aggregation function max needs a param: the name of an integer or '
     'float trait'),
    ([('aggregate.param', 'mem')],
     'Every aggregate needs a func: aggregate.param mem was given '
     'without one.'),
    ([('aggregate.func', 'min'), ('aggregate.param', 'host')],
     'Aggregation over host needs an integer or float trait; host is '
     'not one'),
    ([('groupby', 'project')],
     "Invalid groupby field 'project': use event_type or trait.<name>"),
    ([('groupby', 'trait.')],
     "Invalid groupby field 'trait.': use event_type or trait.<name>"),
    ([('groupby', '')],
     "Invalid groupby field '': use event_type or trait.<name>"),
    ([('bogus', '1')], 'Unknown argument: "bogus"'),
    ([('aggregate.function', 'avg')],
     'Unknown argument: "aggregate.function"'),
], ids=['unknown-func', 'empty-func', 'missing-param', 'empty-param',
        'positional-pairing', 'param-without-func', 'text-param',
        'bad-groupby', 'empty-trait-groupby', 'empty-groupby',
        'unknown-argument', 'unknown-aggregate-attribute'])
def test_bad_parameters(app, data, params, faultstring):
    assert_error(stats(app, params, status=400), 400, faultstring)


@pytest.mark.parametrize('period', [
    '0', '-5', '1.5', 'abc', '', '3600s', ' ', '1e3',
    '99999999999999999999999'])
def test_bad_period(app, data, period):
    resp = stats(app, [('period', period)], status=400)
    faultstring = assert_error(resp, 400)
    assert faultstring.startswith(
        "Invalid input for field/attribute period. Value: '%s'. the "
        "period should be a positive integer number of seconds" % period)


def test_longest_period_is_not_a_500(app, data):
    from panko_clone.api.controllers.v2 import statistics

    longest = str(statistics.MAX_PERIOD)
    resp = stats(app, [('period', longest)], status=400)
    assert_error(resp, 400, 'Invalid period %s: the periods would end '
                            'after the last representable date.' % longest)
    stats(app, [('period', str(statistics.MAX_PERIOD + 1))], status=400)


def test_long_period_that_fits(app, data):
    ten_years = str(10 * 366 * 86400)
    assert brief(stats(app, [('period', ten_years)])) == [(T0, None, 5)]


def test_bad_text_is_400(app, data):
    resp = stats(app, [('groupby', 'trait.a\x00b')], status=400)
    assert_error(resp, 400)
    resp = stats(app, aggregates(('sum', 'a\x00b')), status=400)
    assert_error(resp, 400)


# ------------------------------------------------------------------ RBAC


@pytest.fixture
def owned(conn):
    conn.record_events(test_rbac._events())
    return conn


def counted(app, headers, params=()):
    """The count per event type that a caller's statistics report."""
    resp = stats(app, list(params) + [('groupby', 'event_type')],
                 headers=headers)
    return {s['groupby']['event_type']: s['count'] for s in resp.json}


def types_of(ids):
    found = {}
    for ev in test_rbac._events():
        if ev.message_id in ids:
            found[ev.event_type] = found.get(ev.event_type, 0) + 1
    return found


@pytest.mark.parametrize('headers, seen', [
    (ADMIN, test_rbac.ADMIN_SEES),
    (MEMBER, test_rbac.MEMBER_SEES),
    (dict(MEMBER, **{'X-Roles': 'reader'}), test_rbac.MEMBER_SEES),
    (SYSTEM_READER, test_rbac.EVERYTHING),
], ids=['admin', 'member', 'project-reader', 'system-reader'])
def test_statistics_see_what_the_listing_sees(app, owned, headers, seen):
    listed = sorted(e['message_id'] for e in app.get(
        '/v2/events', headers=headers).json)
    assert listed == sorted(seen)
    assert counted(app, headers) == types_of(seen)


def test_admin_all_tenants(app, owned):
    assert counted(app, ADMIN, test_rbac.all_tenants()) == types_of(
        test_rbac.EVERYTHING)
    assert counted(app, ADMIN, test_rbac.all_tenants('False')) == (
        types_of(test_rbac.ADMIN_SEES))


def test_member_all_tenants_is_forbidden(app, owned):
    resp = stats(app, test_rbac.all_tenants(), headers=MEMBER, status=403)
    assert_error(resp, 403, test_rbac.RBAC_FAILED)


def test_member_filters_cannot_widen_the_view(app, owned):
    params = q_params({'field': 'project_id', 'value': 'proj-b'})
    assert stats(app, params, headers=MEMBER).json == []


def test_member_aggregates_only_its_own_events(app, owned):
    # n is the row number in test_rbac's table; m-own is row 2.
    params = aggregates(('sum', 'n'), ('count', None))
    [result] = stats(app, params, headers=MEMBER).json
    assert result['aggregate'] == {'sum(n)': 2.0, 'count': 1.0}


@pytest.mark.parametrize('headers', [
    {}, {'X-Roles': 'admin', 'X-Project-Id': 'proj-admin'},
    {'X-Roles': 'reader', 'OpenStack-System-Scope': 'all'}],
    ids=['nothing', 'no-user', 'system-no-user'])
def test_missing_identity_is_403(app, owned, headers):
    # Even with bad parameters: an anonymous caller learns nothing.
    resp = stats(app, [('period', '0')], headers=headers, status=403)
    assert_error(resp, 403, test_rbac.RBAC_FAILED)


def _client(conf, connection, policy_file=None):
    """An app of its own whose storage driver is ``connection``."""
    from panko_clone.api import app as api_app
    from tests.helpers import make_conf

    own_conf = make_conf(conf.database.connection)
    if policy_file is not None:
        own_conf.set_override('policy_file', str(policy_file),
                              'oslo_policy')
    patch = pytest.MonkeyPatch()
    patch.setattr(storage, 'get_connection', lambda url, c: connection)
    return webtest.TestApp(api_app.load_app(own_conf, 'panko+noauth')), (
        patch, own_conf)


def _release(handles):
    patch, own_conf = handles
    patch.undo()
    own_conf.reset()


def test_statistics_follow_the_index_rule(tmp_path, conf, data):
    policy = tmp_path / 'policy.yaml'
    policy.write_text('"telemetry:events:index": "role:nobody"\n')
    client, handles = _client(conf, data, policy)
    try:
        resp = client.get(URL, headers=ADMIN, status=403)
        assert_error(resp, 403, test_rbac.RBAC_FAILED)
        # show is a different rule: it still works
        client.get('/v2/events/m1', headers=ADMIN, status=200)
    finally:
        _release(handles)


# ---------------------------------------------- capabilities and 501s


def test_capabilities_show_the_statistics_keys(app, store):
    api = app.get('/v2/capabilities').json['api']
    assert CAPABILITY_KEYS <= set(api)
    for key in CAPABILITY_KEYS:
        if key.startswith('events:statistics:'):
            assert api[key] is True, key


NO_STATISTICS = storage_base.update_nested(
    storage_base.BASE_CAPABILITIES, {'events': {'statistics': {}}})
ONLY_COUNT = storage_base.update_nested(storage_base.BASE_CAPABILITIES, {
    'events': {'statistics': {'aggregation': {
        'standard': True, 'selectable': {'count': True}}}}})


def _limited_driver(store, capabilities, statistics_method=None):
    """A test-only driver: the module's driver, claiming less."""
    members = {'CAPABILITIES': capabilities}
    if statistics_method is not None:
        members['get_event_statistics'] = statistics_method
    cls = type('Limited' + type(store).__name__, (type(store),), members)
    connection = cls(store.conf.database.connection, store.conf)
    connection.upgrade()
    return connection


@pytest.fixture
def limited(conf, conn):
    """A client over a driver without statistics, holding the events."""
    connection = _limited_driver(
        conn, NO_STATISTICS,
        storage_base.Connection.get_event_statistics)
    connection.record_events(_events())
    client, handles = _client(conf, connection)
    yield client
    _release(handles)
    close_connection(connection)


NOT_SUPPORTED = ('Event statistics are not supported by the configured '
                 'storage driver.')


@pytest.mark.parametrize('params', [
    [], [('period', '60')], [('groupby', 'event_type')],
    aggregates(('count', None))], ids=['plain', 'period', 'groupby',
                                       'count'])
def test_driver_without_statistics_is_501(limited, params):
    resp = limited.get(URL, params=params, headers=ADMIN, status=501)
    assert_error(resp, 501, NOT_SUPPORTED, faultcode='Server')


def test_driver_without_statistics_still_lists(limited):
    ids = [e['message_id'] for e in limited.get(
        '/v2/events', headers=ADMIN).json]
    assert ids == ['m1', 'm2', 'm3', 'm4', 'm5']


def test_driver_without_statistics_capabilities(limited):
    api = limited.get('/v2/capabilities').json['api']
    assert CAPABILITY_KEYS <= set(api)
    for key in CAPABILITY_KEYS:
        if key.startswith('events:statistics:'):
            assert api[key] is False, key


def test_driver_raising_not_implemented_is_501(conf, conn):
    connection = _limited_driver(
        conn, type(conn).CAPABILITIES,
        storage_base.Connection.get_event_statistics)
    client, handles = _client(conf, connection)
    try:
        resp = client.get(URL, headers=ADMIN, status=501)
        assert_error(resp, 501, NOT_SUPPORTED, faultcode='Server')
    finally:
        _release(handles)
        close_connection(connection)


def test_driver_with_only_count(conf, conn):
    connection = _limited_driver(conn, ONLY_COUNT)
    connection.record_events(_events())
    client, handles = _client(conf, connection)
    try:
        resp = client.get(URL, params=[('period', '3600')]
                          + aggregates(('count', None)), headers=ADMIN)
        assert [s['aggregate'] for s in resp.json] == [
            {'count': 3.0}, {'count': 1.0}, {'count': 1.0}]
        resp = client.get(URL, params=aggregates(('avg', 'mem')),
                          headers=ADMIN, status=501)
        assert_error(resp, 501, 'The aggregation function avg is not '
                     'supported by the configured storage driver.',
                     faultcode='Server')
        resp = client.get(URL, params=[('groupby', 'event_type')],
                          headers=ADMIN, status=501)
        assert_error(resp, 501, 'Grouping event statistics is not '
                     'supported by the configured storage driver.',
                     faultcode='Server')
        # unknown functions stay a client error
        resp = client.get(URL, params=aggregates(('median', 'mem')),
                          headers=ADMIN, status=400)
        assert_error(resp, 400)
        api = client.get('/v2/capabilities').json['api']
        assert api['events:statistics:aggregation:selectable:count']
        assert not api['events:statistics:aggregation:selectable:avg']
        assert not api['events:statistics:groupby']
    finally:
        _release(handles)
        close_connection(connection)


# ---------------------------------------------------------- routing


def test_event_named_statistics(app, conn):
    """The documented corner: /v2/events/statistics is the statistics.

    An event whose message_id is literally "statistics" is reached
    through the listing's message_id filter instead.
    """
    conn.record_events([event('statistics', 'compute', at())])
    resp = app.get(URL, headers=ADMIN)
    assert isinstance(resp.json, list)
    assert resp.json[0]['count'] == 1
    resp = app.get('/v2/events', params=q_params(
        {'field': 'message_id', 'value': 'statistics'}), headers=ADMIN)
    assert [e['message_id'] for e in resp.json] == ['statistics']


def test_other_events_are_still_shown(app, data):
    assert app.get('/v2/events/m1', headers=ADMIN).json[
        'message_id'] == 'm1'
    assert app.get('/v2/events/statisticsx', headers=ADMIN,
                   status=404).status_int == 404


@pytest.mark.parametrize('method', ['post', 'put', 'delete'])
def test_statistics_is_read_only(app, conn, method):
    """No method reaches the event named "statistics" by its path."""
    conn.record_events([event('statistics', 'compute', at())])
    resp = getattr(app, method)(URL, headers=ADMIN, status=405)
    assert_error(resp, 405)
    resp = app.get('/v2/events', params=q_params(
        {'field': 'message_id', 'value': 'statistics'}), headers=ADMIN)
    assert [e['message_id'] for e in resp.json] == ['statistics']


def test_xml_when_preferred(app, data):
    headers = dict(ADMIN, Accept='application/xml')
    resp = app.get(URL, params=[('groupby', 'event_type')],
                   headers=headers)
    assert resp.content_type == 'application/xml'
    assert resp.text.count('<item><groupby>') == 2
    resp = app.get(URL, params=[('period', '0')], headers=headers,
                   status=400)
    assert resp.content_type == 'application/xml'
    assert '<faultstring>Invalid input for field/attribute period.' in (
        resp.text)
