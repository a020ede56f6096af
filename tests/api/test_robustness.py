"""No input yields a 500: odd, hostile and malformed requests.

Every request here is answered with a success or a client error in the
documented JSON shape, never a server error or a traceback, on every back
end (each SQL dialect fails on different things: integer overflow, NUL
bytes, invalid UTF-8, out-of-range dates).
"""

import datetime

import pytest

from tests.helpers import ADMIN, assert_error, event

LONG = 'x' * 5000

QUERY_STRINGS = {
    'int-overflow': 'q.field=vcpus&q.type=integer'
                    '&q.value=99999999999999999999999',
    'int-underflow': 'q.field=vcpus&q.type=integer&q.op=lt'
                     '&q.value=-99999999999999999999999',
    'int-64bit-edge': 'q.field=vcpus&q.type=integer&q.op=le'
                      '&q.value=9223372036854775808',
    'float-nan': 'q.field=load&q.type=float&q.value=nan',
    'float-inf': 'q.field=load&q.type=float&q.op=lt&q.value=inf',
    'float-minus-inf': 'q.field=load&q.type=float&q.op=gt&q.value=-inf',
    'float-huge': 'q.field=load&q.type=float&q.value=1e400',
    'float-tiny': 'q.field=load&q.type=float&q.op=gt&q.value=1e-400',
    'datetime-max': 'q.field=launched_at&q.type=datetime&q.op=lt'
                    '&q.value=9999-12-31T23:59:59.999999',
    'datetime-min': 'q.field=launched_at&q.type=datetime&q.op=gt'
                    '&q.value=0001-01-01T00:00:00',
    'datetime-tz': 'q.field=launched_at&q.type=datetime&q.op=ge'
                   '&q.value=2014-01-01T00:00:00%2B14:00',
    'datetime-date-only': 'q.field=launched_at&q.type=datetime'
                          '&q.value=2014-01-01',
    'datetime-empty': 'q.field=launched_at&q.type=datetime&q.value=',
    'nul-value': 'q.field=host&q.value=%00',
    'nul-inside-value': 'q.field=host&q.value=a%00b',
    'nul-field': 'q.field=%00&q.value=x',
    'nul-op': 'q.field=host&q.op=%00&q.value=x',
    'nul-type': 'q.field=host&q.type=%00&q.value=x',
    'value-over-255': 'q.field=host&q.value=' + 'y' * 300,
    'value-5000': 'q.field=host&q.op=lt&q.value=' + LONG,
    'field-5000': 'q.field=' + LONG + '&q.value=x',
    'unicode': 'q.field=h%C3%B6st&q.value=%F0%9F%98%80',
    'invalid-utf8-value': 'q.field=host&q.value=%FF%FE',
    'invalid-utf8-field': 'q.field=%C3%28&q.value=x',
    'no-field': 'q.value=x',
    'no-value': 'q.field=host',
    'empty-field': 'q.field=&q.value=x',
    'mismatched': 'q.field=host&q.field=vcpus&q.value=x',
    'two-values': 'q.field=host&q.value=x&q.value=y',
    'start-garbage': 'q.field=start_timestamp&q.op=ge&q.value=garbage',
    'start-year-99999': 'q.field=start_timestamp&q.op=ge'
                        '&q.value=99999-01-01T00:00:00',
    'start-empty': 'q.field=start_timestamp&q.op=ge&q.value=',
    'end-nul': 'q.field=end_timestamp&q.op=le&q.value=%00',
    'end-max': 'q.field=end_timestamp&q.op=le'
               '&q.value=9999-12-31T23:59:59.999999',
    'start-tz': 'q.field=start_timestamp&q.op=ge'
                '&q.value=2014-01-01T00:00:00Z',
    'all-tenants-maybe': 'q.field=all_tenants&q.value=maybe',
    'all-tenants-empty': 'q.field=all_tenants&q.value=',
    'message-id-nul': 'q.field=message_id&q.value=%00',
    'message-id-long': 'q.field=message_id&q.value=' + LONG,
    'event-type-invalid-utf8': 'q.field=event_type&q.value=%FF',
    'event-type-long': 'q.field=event_type&q.value=' + LONG,
    'limit-huge': 'limit=99999999999999999999',
    'limit-exp': 'limit=1e3',
    'limit-nul': 'limit=%00',
    'limit-empty': 'limit=',
    'limit-twice': 'limit=1&limit=2',
    'marker-nul': 'marker=%00',
    'marker-long': 'marker=' + LONG,
    'marker-invalid-utf8': 'marker=%FF',
    'marker-twice': 'marker=a&marker=b',
    'sort-colon': 'sort=:',
    'sort-no-dir': 'sort=generated:',
    'sort-three-parts': 'sort=generated:asc:extra',
    'sort-nul': 'sort=%00',
    'sort-empty': 'sort=',
    'sort-many': '&'.join(['sort=generated:desc'] * 50),
    'q-bare': 'q=x',
    'q-json-in-query': 'q=%5B%7B%22field%22%3A%22host%22%7D%5D',
    'q-index-syntax': 'q[0].field=host&q[0].value=x',
    'many-filters': '&'.join(
        'q.field=host&q.op=ne&q.type=string&q.value=v%d' % i
        for i in range(60)),
    'query-garbage': '%%%&&&===',
}

PATHS = {
    'event-nul': '/v2/events/%00',
    'event-invalid-utf8': '/v2/events/%FF',
    'event-long': '/v2/events/' + LONG,
    'event-dots': '/v2/events/..',
    'event-encoded-slash': '/v2/events/a%2Fb',
    'event-json-suffix': '/v2/events/ev-1.json',
    'event-xml-suffix': '/v2/events/ev-1.xml',
    'type-nul': '/v2/event_types/%00/traits',
    'type-invalid-utf8': '/v2/event_types/%FF/traits/%FE',
    'trait-nul': '/v2/event_types/Foo/traits/%00',
    'type-long': '/v2/event_types/' + LONG + '/traits',
    'types-json-suffix': '/v2/event_types.json',
    'double-slash': '/v2//events',
    'capabilities-nul': '/v2/capabilities/%00',
    'root-garbage': '/%FF%FE',
}

JSON_BODIES = {
    'truncated': b'{"q": [',
    'null': b'null',
    'string': b'"q"',
    'number': b'42',
    'empty-object': b'{}',
    'empty-list': b'[]',
    'q-null': b'{"q": null}',
    'q-string': b'{"q": "notalist"}',
    'q-object': b'{"q": {"field": "host", "value": "x"}}',
    'q-numbers': b'{"q": [1, 2]}',
    'q-nulls': b'{"q": [{"field": null, "value": null}]}',
    'q-no-value': b'{"q": [{"field": "host"}]}',
    'q-value-number': b'{"q": [{"field": "host", "value": 5}]}',
    'q-value-object': b'{"q": [{"field": "host", "value": {"a": 1}}]}',
    'q-value-list': b'{"q": [{"field": "host", "value": ["x"]}]}',
    'q-value-bool': b'{"q": [{"field": "all_tenants", "value": true}]}',
    'q-extra-key': b'{"q": [{"field": "host", "value": "x", "bad": 1}]}',
    'q-int-overflow': b'{"q": [{"field": "vcpus", "type": "integer", '
                      b'"value": "99999999999999999999999"}]}',
    'q-float-huge': b'{"q": [{"field": "load", "type": "float", '
                    b'"value": 1e400}]}',
    'q-nul': b'{"q": [{"field": "host", "value": "\\u0000"}]}',
    'q-lone-surrogate': b'{"q": [{"field": "host", "value": "\\ud800"}]}',
    'other-keys': b'{"limit": -1, "sort": 5}',
    'invalid-utf8': b'{"q": [{"field": "host", "value": "\xff"}]}',
    'deep-nesting': b'{"q": ' + b'[' * 5000 + b']' * 5000 + b'}',
    'empty-body': b'',
}

HEADERS = {
    'accept-garbage': {'Accept': 'garbage/;;;'},
    'accept-xml-ok': {'Accept': 'application/xml'},
    'roles-commas': {'X-Roles': ',,,'},
    'roles-spaces': {'X-Roles': ' admin , member '},
    'system-scope-bogus': {'OpenStack-System-Scope': 'bogus'},
    'project-long': {'X-Project-Id': LONG},
    'user-long': {'X-User-Id': LONG},
    'content-type-garbage': {'Content-Type': ';;;'},
    'forwarded-garbage': {'X-Forwarded-Proto': 'gopher',
                          'X-Forwarded-Host': '%%%',
                          'X-Forwarded-Prefix': 'no-slash'},
}


@pytest.fixture
def data(conn):
    when = datetime.datetime(2014, 1, 1, 5)
    conn.record_events([
        event('ev-1', 'Foo', when, {'host': 'node-1', 'vcpus': 2,
                                    'load': 0.5, 'launched_at': when}),
        event('ev-2', 'Foo', when, {'host': 'node-2', 'vcpus': 4,
                                    'load': 1.5, 'launched_at': when}),
    ])
    return conn


def check(resp):
    """A success, or a client error in the documented shape."""
    assert resp.status_int < 500, (resp.status, resp.text[:2000])
    assert 'Traceback' not in resp.text
    if resp.status_int >= 400:
        if resp.content_type == 'application/xml':
            assert resp.text.lstrip().startswith('<error_message')
        else:
            assert_error(resp, resp.status_int)


@pytest.mark.parametrize('query', list(QUERY_STRINGS.values()),
                         ids=list(QUERY_STRINGS))
def test_query_string(app, data, query):
    check(app.get('/v2/events?' + query, headers=ADMIN,
                  expect_errors=True))


@pytest.mark.parametrize('path', list(PATHS.values()), ids=list(PATHS))
def test_path(app, data, path):
    check(app.get(path, headers=ADMIN, expect_errors=True))


@pytest.mark.parametrize('body', list(JSON_BODIES.values()),
                         ids=list(JSON_BODIES))
def test_json_body(app, data, body):
    check(app.request('/v2/events', method='GET', body=body,
                      headers=dict(ADMIN, **{
                          'Content-Type': 'application/json'}),
                      expect_errors=True))


@pytest.mark.parametrize('headers', list(HEADERS.values()),
                         ids=list(HEADERS))
@pytest.mark.parametrize('path', ['/', '/v2/events', '/v2/event_types',
                                  '/v2/events/nope'])
def test_headers(app, data, headers, path):
    check(app.get(path, headers=dict(ADMIN, **headers), expect_errors=True))


def test_query_on_traits_endpoints_is_not_a_500(app, data):
    for path in ('/v2/event_types?x=1', '/v2/event_types/Foo/traits?q=1',
                 '/v2/event_types/Foo/traits/host?limit=-1',
                 '/v2/capabilities?x=%00', '/v2/events/ev-1?x=%FF'):
        check(app.get(path, headers=ADMIN, expect_errors=True))
