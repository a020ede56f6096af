"""GET /v2/event_types, its traits and trait values."""

import datetime

import pytest

from tests.helpers import ADMIN, MEMBER, SYSTEM_READER, assert_error, event

START = 'compute.instance.create.start'
END = 'compute.instance.create.end'


def _events():
    when = datetime.datetime(2014, 1, 1, 5, 0, 0)
    return [
        event('1', START, when, {'host': 'node-1', 'vcpus': 1,
                                 'load': 0.5, 'launched_at': when,
                                 'az': 'nova'}),
        event('2', START, when, {'host': 'node-2', 'vcpus': 4,
                                 'load': 1.25,
                                 'launched_at': datetime.datetime(
                                     2014, 1, 2, 3, 4, 5, 600000)}),
        event('3', END, when, {'host': 'node-1', 'state': 'active'}),
        event('4', 'Mixed', when, {'zz': 'text', 'aa': 1}),
        event('5', 'Mixed', when, {'zz': 5, 'aa': 2}),
        event('6', 'image.upload', when, None),
    ]


@pytest.fixture
def data(conn):
    conn.record_events(_events())
    return conn


def get(app, path, headers=ADMIN, status=200):
    return app.get(path, headers=headers, status=status)


def test_event_types_sorted(app, data):
    resp = get(app, '/v2/event_types')
    assert resp.content_type == 'application/json'
    assert resp.json == ['Mixed', END, START, 'image.upload']


def test_event_types_empty(app, conn):
    assert get(app, '/v2/event_types').json == []


def test_event_types_trailing_slash(app, data):
    assert get(app, '/v2/event_types/').json == get(
        app, '/v2/event_types').json


def test_event_types_for_system_reader(app, data):
    assert get(app, '/v2/event_types', headers=SYSTEM_READER).json == [
        'Mixed', END, START, 'image.upload']


def test_trait_descriptions_ordered_by_type_then_name(app, data):
    resp = get(app, '/v2/event_types/%s/traits' % START)
    assert resp.json == [
        {'name': 'az', 'type': 'string'},
        {'name': 'host', 'type': 'string'},
        {'name': 'vcpus', 'type': 'integer'},
        {'name': 'load', 'type': 'float'},
        {'name': 'launched_at', 'type': 'datetime'},
    ]


def test_trait_descriptions_distinct_per_name_and_type(app, data):
    assert get(app, '/v2/event_types/Mixed/traits').json == [
        {'name': 'zz', 'type': 'string'},
        {'name': 'aa', 'type': 'integer'},
        {'name': 'zz', 'type': 'integer'},
    ]


def test_trait_descriptions_trailing_slash(app, data):
    assert get(app, '/v2/event_types/%s/traits/' % END).json == [
        {'name': 'host', 'type': 'string'},
        {'name': 'state', 'type': 'string'},
    ]


@pytest.mark.parametrize('event_type', ['no.such.type', 'image.upload'])
def test_trait_descriptions_none(app, data, event_type):
    assert get(app, '/v2/event_types/%s/traits' % event_type).json == []


def _sorted(items):
    return sorted(items, key=lambda d: (d['name'], d['type'], d['value']))


def test_trait_values(app, data):
    resp = get(app, '/v2/event_types/%s/traits/vcpus' % START)
    assert _sorted(resp.json) == [
        {'name': 'vcpus', 'type': 'integer', 'value': '1'},
        {'name': 'vcpus', 'type': 'integer', 'value': '4'}]
    resp = get(app, '/v2/event_types/%s/traits/launched_at' % START)
    assert _sorted(resp.json) == [
        {'name': 'launched_at', 'type': 'datetime',
         'value': '2014-01-01T05:00:00'},
        {'name': 'launched_at', 'type': 'datetime',
         'value': '2014-01-02T03:04:05.600000'}]
    resp = get(app, '/v2/event_types/%s/traits/load' % START)
    assert _sorted(resp.json) == [
        {'name': 'load', 'type': 'float', 'value': '0.5'},
        {'name': 'load', 'type': 'float', 'value': '1.25'}]
    resp = get(app, '/v2/event_types/%s/traits/az' % START)
    assert resp.json == [{'name': 'az', 'type': 'string', 'value': 'nova'}]


def test_trait_values_only_of_that_type(app, data):
    resp = get(app, '/v2/event_types/%s/traits/host' % END)
    assert resp.json == [{'name': 'host', 'type': 'string',
                          'value': 'node-1'}]


def test_trait_values_of_both_types(app, data):
    resp = get(app, '/v2/event_types/Mixed/traits/zz')
    assert _sorted(resp.json) == [
        {'name': 'zz', 'type': 'integer', 'value': '5'},
        {'name': 'zz', 'type': 'string', 'value': 'text'}]


def test_trait_values_trailing_slash(app, data):
    assert get(app, '/v2/event_types/%s/traits/state/' % END).json == [
        {'name': 'state', 'type': 'string', 'value': 'active'}]


@pytest.mark.parametrize('path', [
    '/v2/event_types/no.such.type/traits/host',
    '/v2/event_types/%s/traits/no_such_trait' % START,
    '/v2/event_types/image.upload/traits/host'])
def test_trait_values_none(app, data, path):
    assert get(app, path).json == []


@pytest.mark.parametrize('headers', [ADMIN, MEMBER, SYSTEM_READER],
                         ids=['admin', 'member', 'system-reader'])
@pytest.mark.parametrize('event_type', [START, 'no.such.type'])
def test_single_event_type_is_404(app, data, headers, event_type):
    resp = app.get('/v2/event_types/' + event_type, headers=headers,
                   expect_errors=True)
    assert_error(resp, 404)
