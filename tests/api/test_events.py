"""GET /v2/events and /v2/events/<id>: parameters, errors and shape."""

import ast
import datetime
import json
import xml.etree.ElementTree as ElementTree

import pytest

from tests.helpers import (ADMIN, api_event, assert_error, event,
                           q_params)

START = 'compute.instance.create.start'
END = 'compute.instance.create.end'
DELETE = 'compute.instance.delete.start'

# No project_id traits: the admin persona sees every one of these.
#   id    type    generated                   host   vcpus load  launched
#   ev-1  START   2014-01-01T05:00:00         node-1 1     0.25  01 04:00
#   ev-2  END     2014-01-02T05:00:00.123456  node-2 2     200.1 02 04:00.5
#   ev-3  DELETE  2014-01-03T05:00:00         node-1 4     2.5   03 04:00
#   ev-4  START   2014-01-04T05:00:00         node-3 8     4.75  04 04:00
ORDER = ['ev-1', 'ev-2', 'ev-3', 'ev-4']


def _events():
    def day(n, **kw):
        return datetime.datetime(2014, 1, n, 5, 0, 0, **kw)

    def launched(n, **kw):
        return datetime.datetime(2014, 1, n, 4, 0, 0, **kw)

    return [
        event('ev-1', START, day(1),
              {'host': 'node-1', 'vcpus': 1, 'load': 0.25,
               'launched_at': launched(1)},
              raw={'payload': {'state': 'building', 'n': [1, 2]}}),
        event('ev-2', END, day(2, microsecond=123456),
              {'host': 'node-2', 'vcpus': 2, 'load': 200.123456,
               'launched_at': launched(2, microsecond=500000)},
              raw=None),
        event('ev-3', DELETE, day(3),
              {'host': 'node-1', 'vcpus': 4, 'load': 2.5,
               'launched_at': launched(3)},
              raw={'payload': {'state': 'deleting'}}),
        event('ev-4', START, day(4),
              {'host': 'node-3', 'vcpus': 8, 'load': 4.75,
               'launched_at': launched(4)},
              raw={'unicode': 'caf\u00e9 \U0001f600'}),
    ]


EXPECTED = {
    'ev-1': api_event('ev-1', START, '2014-01-01T05:00:00', [
        ('host', 'string', 'node-1'), ('vcpus', 'integer', '1'),
        ('load', 'float', '0.25'),
        ('launched_at', 'datetime', '2014-01-01T04:00:00')],
        {'payload': {'state': 'building', 'n': [1, 2]}}),
    'ev-2': api_event('ev-2', END, '2014-01-02T05:00:00.123456', [
        ('host', 'string', 'node-2'), ('vcpus', 'integer', '2'),
        ('load', 'float', '200.123456'),
        ('launched_at', 'datetime', '2014-01-02T04:00:00.500000')], {}),
    'ev-3': api_event('ev-3', DELETE, '2014-01-03T05:00:00', [
        ('host', 'string', 'node-1'), ('vcpus', 'integer', '4'),
        ('load', 'float', '2.5'),
        ('launched_at', 'datetime', '2014-01-03T04:00:00')],
        {'payload': {'state': 'deleting'}}),
    'ev-4': api_event('ev-4', START, '2014-01-04T05:00:00', [
        ('host', 'string', 'node-3'), ('vcpus', 'integer', '8'),
        ('load', 'float', '4.75'),
        ('launched_at', 'datetime', '2014-01-04T04:00:00')],
        {'unicode': 'caf\u00e9 \U0001f600'}),
}

SORT_KEY_MESSAGE = (
    "Invalid input for field/attribute sort. Value: '%s'. the sort "
    "parameter should be a pair of sort key and sort dir combined with "
    "':', or only sort key specified and sort dir will be default 'asc', "
    "the supported sort keys are: ('message_id', 'generated')")
SORT_DIR_MESSAGE = (
    "Invalid input for field/attribute sort direction. Value: '%s'. the "
    "sort parameter should be a pair of sort key and sort dir combined "
    "with ':', or only sort key specified and sort dir will be default "
    "'asc', the supported sort directions are: ('asc', 'desc')")
OP_MESSAGE = ("Operator %s is not supported. The supported operators are: "
              "('lt', 'le', 'eq', 'ne', 'ge', 'gt')")
TYPE_MESSAGE = ("The data type %s is not supported. The supported data "
                "type list is: ['integer', 'float', 'string', 'datetime']")
CONVERT_MESSAGE = ('Unable to convert the value %s to the expected data '
                   'type %s.')
FIELD_OP_MESSAGE = ("Operator %s is not supported. Only `%s' operator is "
                    "available for field %s")
LIMIT_MESSAGE = ("Invalid input for field/attribute limit. Value: '%s'. "
                 "the limit should be a positive integer.")


@pytest.fixture
def data(conn):
    conn.record_events(_events())
    return conn


def listing(app, params=(), status=200, headers=ADMIN):
    resp = app.get('/v2/events', params=list(params), headers=headers,
                   status=status)
    return resp


def listed_ids(app, params=()):
    resp = listing(app, params)
    assert resp.content_type == 'application/json'
    return [e['message_id'] for e in resp.json]


def get_with_body(app, body, content_type='application/json',
                  headers=ADMIN, status=200, path='/v2/events'):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode('utf-8')
    return app.request(path, method='GET', body=body,
                       headers=dict(headers, **{
                           'Content-Type': content_type}),
                       status=status)


# ------------------------------------------------------------- the shape


def test_list_everything_in_default_order(app, data):
    resp = listing(app)
    assert resp.content_type == 'application/json'
    assert resp.json == [EXPECTED[i] for i in ORDER]


def test_list_empty_store(app, conn):
    assert listing(app).json == []


def test_get_one(app, data):
    for message_id in ORDER:
        resp = app.get('/v2/events/' + message_id, headers=ADMIN)
        assert resp.content_type == 'application/json'
        assert resp.json == EXPECTED[message_id]


def _from_xml(item):
    """An event of an XML document, shaped as its JSON counterpart.

    ``raw`` is XML text holding the Python literal of the object (as
    WSME writes any value of a text type), read back here.
    """
    def text(tag, parent=item):
        return parent.find(tag).text or ''

    return {'message_id': text('message_id'),
            'event_type': text('event_type'),
            'generated': text('generated'),
            'traits': [{key: text(key, trait)
                        for key in ('name', 'value', 'type')}
                       for trait in item.find('traits')],
            'raw': ast.literal_eval(text('raw'))}


@pytest.mark.parametrize('accept', ['application/xml', 'text/xml'])
def test_xml_carries_what_json_does(app, data, accept):
    headers = dict(ADMIN, Accept=accept)
    resp = app.get('/v2/events', headers=headers)
    assert resp.content_type == accept
    root = ElementTree.fromstring(resp.body)
    assert root.tag == 'result'
    assert [_from_xml(item) for item in root] == listing(app).json
    for message_id in ORDER:
        resp = app.get('/v2/events/' + message_id, headers=headers)
        assert resp.content_type == accept
        assert _from_xml(ElementTree.fromstring(resp.body)) == (
            EXPECTED[message_id])


def test_get_one_not_found(app, data):
    resp = app.get('/v2/events/no-such-id', headers=ADMIN, status=404)
    assert_error(resp, 404, 'Event no-such-id Not Found')


def test_get_one_with_awkward_id(app, conn):
    conn.record_events([event('id with spaces:and\u00e9', 'Odd')])
    resp = app.get('/v2/events/id%20with%20spaces%3Aand%C3%A9',
                   headers=ADMIN)
    assert resp.json['message_id'] == 'id with spaces:and\u00e9'


def test_trait_values_are_strings(app, conn):
    conn.record_events([event('big', 'Big', traits={
        'max': 2 ** 63 - 1, 'neg': -5, 'zero': 0, 'f': 1.5,
        'when': datetime.datetime(2020, 1, 2, 3, 4, 5, 6)})])
    got = app.get('/v2/events/big', headers=ADMIN).json
    assert got['traits'] == [
        {'name': 'f', 'type': 'float', 'value': '1.5'},
        {'name': 'max', 'type': 'integer', 'value': str(2 ** 63 - 1)},
        {'name': 'neg', 'type': 'integer', 'value': '-5'},
        {'name': 'when', 'type': 'datetime',
         'value': '2020-01-02T03:04:05.000006'},
        {'name': 'zero', 'type': 'integer', 'value': '0'},
    ]


def test_event_without_traits(app, conn):
    conn.record_events([event('bare', 'Bare', traits=None, raw=None)])
    assert app.get('/v2/events/bare', headers=ADMIN).json == {
        'message_id': 'bare', 'event_type': 'Bare',
        'generated': '2014-01-01T05:00:00', 'traits': [], 'raw': {}}


# ----------------------------------------------------------- q filtering


@pytest.mark.parametrize('filters,expected', [
    ([{'field': 'event_type', 'value': START}], ['ev-1', 'ev-4']),
    ([{'field': 'event_type', 'op': 'eq', 'value': END}], ['ev-2']),
    ([{'field': 'message_id', 'value': 'ev-3'}], ['ev-3']),
    ([{'field': 'start_timestamp', 'op': 'ge',
       'value': '2014-01-03T05:00:00'}], ['ev-3', 'ev-4']),
    ([{'field': 'end_timestamp', 'op': 'le',
       'value': '2014-01-02T05:00:00.123456'}], ['ev-1', 'ev-2']),
    ([{'field': 'end_timestamp', 'op': 'le',
       'value': '2014-01-02T05:00:00'}], ['ev-1']),
    ([{'field': 'start_timestamp', 'op': 'ge',
       'value': '2014-01-02T00:00:00'},
      {'field': 'end_timestamp', 'op': 'le',
       'value': '2014-01-03T05:00:00'}], ['ev-2', 'ev-3']),
    ([{'field': 'host', 'value': 'node-1'}], ['ev-1', 'ev-3']),
    ([{'field': 'host', 'value': 'node-1', 'type': ''}], ['ev-1', 'ev-3']),
    ([{'field': 'host', 'value': 'node-1', 'type': 'string'}],
     ['ev-1', 'ev-3']),
    ([{'field': 'host', 'op': 'ne', 'value': 'node-1'}], ['ev-2', 'ev-4']),
    ([{'field': 'host', 'op': 'gt', 'value': 'node-1'}], ['ev-2', 'ev-4']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'lt', 'value': '4'}],
     ['ev-1', 'ev-2']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'le', 'value': '4'}],
     ['ev-1', 'ev-2', 'ev-3']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'eq', 'value': '8'}],
     ['ev-4']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'ne', 'value': '8'}],
     ['ev-1', 'ev-2', 'ev-3']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'ge', 'value': '4'}],
     ['ev-3', 'ev-4']),
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'gt', 'value': '4'}],
     ['ev-4']),
    ([{'field': 'load', 'type': 'float', 'op': 'gt', 'value': '2.5'}],
     ['ev-2', 'ev-4']),
    ([{'field': 'load', 'type': 'float', 'op': 'eq', 'value': '0.25'}],
     ['ev-1']),
    ([{'field': 'load', 'type': 'float', 'op': 'le', 'value': '2.5'}],
     ['ev-1', 'ev-3']),
    ([{'field': 'launched_at', 'type': 'datetime', 'op': 'ge',
       'value': '2014-01-02T04:00:00'}], ['ev-2', 'ev-3', 'ev-4']),
    ([{'field': 'launched_at', 'type': 'datetime', 'op': 'eq',
       'value': '2014-01-02T04:00:00.500000'}], ['ev-2']),
    ([{'field': 'launched_at', 'type': 'datetime', 'op': 'lt',
       'value': '2014-01-02T04:00:00.500000'}], ['ev-1']),
    # several filters are ANDed, also on the same trait
    ([{'field': 'vcpus', 'type': 'integer', 'op': 'gt', 'value': '1'},
      {'field': 'vcpus', 'type': 'integer', 'op': 'lt', 'value': '8'}],
     ['ev-2', 'ev-3']),
    ([{'field': 'host', 'type': 'string', 'op': 'eq', 'value': 'node-1'},
      {'field': 'vcpus', 'type': 'integer', 'op': 'gt', 'value': '1'}],
     ['ev-3']),
    ([{'field': 'event_type', 'type': 'string', 'op': 'eq',
       'value': START},
      {'field': 'host', 'type': 'string', 'op': 'eq', 'value': 'node-3'}],
     ['ev-4']),
    # an unknown trait, or a known one asked with another type, is nothing
    ([{'field': 'no_such_trait', 'value': 'x'}], []),
    ([{'field': 'vcpus', 'value': '4'}], []),
    ([{'field': 'vcpus', 'type': 'float', 'value': '4'}], []),
    ([{'field': 'event_type', 'value': 'no.such.type'}], []),
    ([{'field': 'message_id', 'value': 'nope'}], []),
])
def test_q_from_query_string(app, data, filters, expected):
    assert listed_ids(app, q_params(*filters)) == expected


def test_q_from_json_body(app, data):
    resp = get_with_body(app, {'q': [
        {'field': 'host', 'value': 'node-1'},
        {'field': 'vcpus', 'op': 'ge', 'type': 'integer', 'value': '2'}]})
    assert [e['message_id'] for e in resp.json] == ['ev-3']
    assert resp.json[0] == EXPECTED['ev-3']


def test_q_from_json_body_with_charset(app, data):
    resp = get_with_body(app, {'q': [{'field': 'event_type',
                                      'value': END}]},
                         content_type='application/json; charset=utf-8')
    assert [e['message_id'] for e in resp.json] == ['ev-2']


def test_json_body_errors_like_query_string(app, data):
    resp = get_with_body(app, {'q': [{'field': 'vcpus', 'op': 'whats-up',
                                      'value': '1'}]}, status=400)
    assert_error(resp, 400, OP_MESSAGE % 'whats-up')


def test_json_body_bare_list_is_400(app, data):
    resp = get_with_body(app, [{'field': 'host', 'value': 'node-1'}],
                         status=400)
    assert_error(resp, 400)


@pytest.mark.parametrize('content_type', [
    'text/plain', 'application/x-www-form-urlencoded', 'application/xml'])
def test_body_with_non_json_content_type_is_415(app, data, content_type):
    resp = get_with_body(app, {'q': []}, content_type=content_type,
                         status=415)
    assert_error(resp, 415)


def test_invalid_json_body_is_400(app, data):
    resp = get_with_body(app, '{"q": [', status=400)
    assert_error(resp, 400)


# ---------------------------------------------------------- q validation


def test_unsupported_operator(app, data):
    resp = listing(app, q_params({'field': 'host', 'op': 'whats-up',
                                  'value': 'x'}), status=400)
    assert_error(resp, 400, OP_MESSAGE % 'whats-up')


def test_unsupported_type(app, data):
    resp = listing(app, q_params({'field': 'host', 'type': 'whats-up',
                                  'value': 'x'}), status=400)
    assert_error(resp, 400, TYPE_MESSAGE % 'whats-up')


@pytest.mark.parametrize('type_name,value', [
    ('integer', 'abc'), ('integer', '1.5'), ('float', 'abc'),
    ('datetime', 'abc'), ('datetime', '2014-13-45T99:00:00')])
def test_unconvertible_value(app, data, type_name, value):
    resp = listing(app, q_params({'field': 'vcpus', 'type': type_name,
                                  'value': value}), status=400)
    assert_error(resp, 400, CONVERT_MESSAGE % (value, type_name))


@pytest.mark.parametrize('field,op,allowed', [
    ('event_type', 'ne', 'eq'), ('event_type', 'gt', 'eq'),
    ('message_id', 'lt', 'eq'), ('message_id', 'ge', 'eq'),
    ('start_timestamp', 'le', 'ge'), ('start_timestamp', 'eq', 'ge'),
    ('start_timestamp', 'gt', 'ge'),
    ('end_timestamp', 'ge', 'le'), ('end_timestamp', 'eq', 'le'),
    ('end_timestamp', 'lt', 'le')])
def test_field_operator_restrictions(app, data, field, op, allowed):
    value = '2014-01-01T00:00:00' if 'timestamp' in field else 'x'
    resp = listing(app, q_params({'field': field, 'op': op,
                                  'value': value}), status=400)
    assert_error(resp, 400, FIELD_OP_MESSAGE % (op, allowed, field))


# ------------------------------------------------------------ pagination


def test_limit(app, data):
    assert listed_ids(app, [('limit', '2')]) == ['ev-1', 'ev-2']
    assert listed_ids(app, [('limit', '1')]) == ['ev-1']
    assert listed_ids(app, [('limit', '1000')]) == ORDER


@pytest.mark.parametrize('value', ['-2', '0', '-1'])
def test_limit_not_positive(app, data, value):
    resp = listing(app, [('limit', value)], status=400)
    assert_error(resp, 400, LIMIT_MESSAGE % value)


@pytest.mark.parametrize('value', ['abc', '1.5'])
def test_limit_not_an_integer(app, data, value):
    resp = app.get('/v2/events', params=[('limit', value)], headers=ADMIN,
                   expect_errors=True)
    assert_error(resp, 400)


def test_default_limit_comes_from_config(app, data, conf):
    conf.set_override('default_api_return_limit', 3, 'api')
    try:
        assert listed_ids(app) == ORDER[:3]
        conf.set_override('default_api_return_limit', 1, 'api')
        assert listed_ids(app) == ORDER[:1]
        assert listed_ids(app, [('limit', '2')]) == ORDER[:2]
    finally:
        conf.clear_override('default_api_return_limit', 'api')
    assert listed_ids(app) == ORDER


@pytest.mark.parametrize('sorts,expected', [
    (['message_id'], ORDER),
    (['message_id:asc'], ORDER),
    (['message_id:desc'], ORDER[::-1]),
    (['generated'], ORDER),
    (['generated:asc'], ORDER),
    (['generated:desc'], ORDER[::-1]),
    (['generated:desc', 'message_id:asc'], ORDER[::-1]),
])
def test_sort(app, data, sorts, expected):
    assert listed_ids(app, [('sort', s) for s in sorts]) == expected


def test_sort_ties_on_generated(app, conn):
    when = datetime.datetime(2015, 5, 5)
    conn.record_events([event(m, 'Tie', when) for m in ('b', 'c', 'a')]
                       + [event('z', 'Tie', when - datetime.timedelta(1))])
    assert listed_ids(app) == ['z', 'a', 'b', 'c']
    assert listed_ids(app, [('sort', 'generated:asc'),
                            ('sort', 'message_id:desc')]) == [
        'z', 'c', 'b', 'a']
    assert listed_ids(app, [('sort', 'generated:desc'),
                            ('sort', 'message_id:asc')]) == [
        'a', 'b', 'c', 'z']


@pytest.mark.parametrize('value', ['invalid_key:desc', 'invalid_key',
                                   'raw:asc', ':asc'])
def test_sort_bad_key(app, data, value):
    resp = listing(app, [('sort', value)], status=400)
    assert_error(resp, 400, SORT_KEY_MESSAGE % value)


@pytest.mark.parametrize('value', ['message_id:bah', 'generated:ASCENDING'])
def test_sort_bad_direction(app, data, value):
    resp = listing(app, [('sort', value)], status=400)
    assert_error(resp, 400, SORT_DIR_MESSAGE % value)


@pytest.mark.parametrize('sorts,expected', [
    ([], ORDER),
    (['generated:desc'], ORDER[::-1]),
    (['message_id:desc'], ORDER[::-1]),
])
def test_marker_pages(app, data, sorts, expected):
    sort = [('sort', s) for s in sorts]
    seen = []
    marker = []
    for _ in range(5):
        page = listed_ids(app, sort + marker + [('limit', '3')])
        if not page:
            break
        seen.extend(page)
        marker = [('marker', page[-1])]
    assert seen == expected


def test_marker_with_filter(app, data):
    params = q_params({'field': 'host', 'value': 'node-1'}) + [
        ('limit', '1')]
    assert listed_ids(app, params) == ['ev-1']
    assert listed_ids(app, params + [('marker', 'ev-1')]) == ['ev-3']
    assert listed_ids(app, params + [('marker', 'ev-3')]) == []


def test_empty_marker_is_the_first_page(app, data):
    assert listed_ids(app, [('marker', ''), ('limit', '2')]) == ORDER[:2]


def test_unknown_marker(app, data):
    resp = listing(app, [('marker', 'no-such-event')], status=400)
    assert_error(resp, 400)


@pytest.mark.parametrize('params', [
    [('foo', 'bar')], [('limit', '1'), ('bogus', '')],
    [('q', 'event_type')], [('field', 'event_type')]])
def test_unknown_parameter(app, data, params):
    resp = app.get('/v2/events', params=params, headers=ADMIN,
                   expect_errors=True)
    assert_error(resp, 400)


def test_trailing_slash_lists(app, data):
    assert app.get('/v2/events/', headers=ADMIN).json == [
        EXPECTED[i] for i in ORDER]
