"""POST and DELETE on /v2/events through the paste-deployed app.

Every test runs on sqlite, memory, postgresql and mysql, through the
noauth pipeline (identity headers as sent). What is written is read back
through GET, so "stored" always means "visible through the API".
"""

import datetime
import json
import random
import threading
import urllib.parse
import uuid

import pytest
import webtest

from panko_clone.api import app as api_app
from panko_clone.api.controllers.v2 import ingest
from panko_clone.api.controllers.v2 import writes
from panko_clone import storage
from tests.helpers import ADMIN, MEMBER, assert_error, event, q_params

SERVICE = {'X-User-Id': 'ceilometer', 'X-Project-Id': 'services',
           'X-Roles': 'service'}
SYSTEM_ADMIN = {'X-User-Id': 'sys-admin', 'X-Roles': 'admin',
                'OpenStack-System-Scope': 'all'}
OTHER_ADMIN = {'X-User-Id': 'u-other', 'X-Project-Id': 'proj-other',
               'X-Roles': 'admin'}

INVALID = 'Invalid events, nothing was stored: %s.'


def post(app, body, headers=SERVICE, status=201, path='/v2/events'):
    return app.post(path, json.dumps(body), headers=dict(
        headers, **{'Content-Type': 'application/json'}), status=status)


def delete(app, params=(), headers=ADMIN, status=200, path='/v2/events'):
    """DELETE with ``params`` in the query string (webtest would send
    them as a form body)."""
    if params:
        path += '?' + urllib.parse.urlencode(list(params))
    return app.delete(path, headers=headers, status=status)


def api_shape(message_id='ev-1', event_type='compute.instance.update',
              **extra):
    body = {'message_id': message_id, 'event_type': event_type,
            'generated': '2014-01-01T05:00:00',
            'traits': [{'name': 'project_id', 'type': 'string',
                        'value': 'proj-admin'}],
            'raw': {}}
    body.update(extra)
    return body


def stored(app, headers=SYSTEM_ADMIN, **query):
    params = q_params(*[{'field': k, 'value': v} for k, v in query.items()],
                      limit=1000)
    return app.get('/v2/events', params=params, headers=headers).json


def stored_ids(app, **query):
    return sorted(e['message_id'] for e in stored(app, **query))


# ------------------------------------------------------------- recording


class TestPost:

    def test_one_object_in_the_api_shape(self, app, conn):
        body = {
            'message_id': 'api-1', 'event_type': 'compute.instance.update',
            'generated': '2014-01-01T05:00:00.123456',
            'traits': [
                {'name': 'state', 'type': 'string', 'value': 'active'},
                {'name': 'memory_mb', 'type': 'integer', 'value': '2048'},
                {'name': 'load', 'type': 'float', 'value': 0.25},
                {'name': 'launched_at', 'type': 'datetime',
                 'value': '2014-01-01T04:00:00'},
                {'name': 'host', 'value': 'node-1'},
            ],
            'raw': {'payload': {'nested': [1, 'two', None]}}}
        resp = post(app, body)
        assert resp.content_type == 'application/json'
        assert resp.json == {'created': ['api-1'], 'duplicates': []}
        got = app.get('/v2/events/api-1', headers=SYSTEM_ADMIN).json
        assert got == {
            'message_id': 'api-1', 'event_type': 'compute.instance.update',
            'generated': '2014-01-01T05:00:00.123456',
            'traits': [
                {'name': 'host', 'type': 'string', 'value': 'node-1'},
                {'name': 'launched_at', 'type': 'datetime',
                 'value': '2014-01-01T04:00:00'},
                {'name': 'load', 'type': 'float', 'value': '0.25'},
                {'name': 'memory_mb', 'type': 'integer', 'value': '2048'},
                {'name': 'state', 'type': 'string', 'value': 'active'},
            ],
            'raw': {'payload': {'nested': [1, 'two', None]}}}

    def test_a_list_in_ceilometer_serialized_shape(self, app, conn):
        # What ceilometer.event.models.Event.serialize() makes.
        body = [{'message_id': 'c-%d' % i, 'event_type': 'image.upload',
                 'generated': '2015-06-07T08:09:10.%06d' % i,
                 'traits': [['service', 1, 'image.localhost'],
                            ['size', 2, 1024 * i],
                            ['ratio', 3, 0.5 * i],
                            ['created_at', 4, '2015-06-07T08:00:00']],
                 'raw': {}} for i in range(1, 4)]
        resp = post(app, body)
        assert resp.json == {'created': ['c-1', 'c-2', 'c-3'],
                             'duplicates': []}
        got = app.get('/v2/events/c-2', headers=SYSTEM_ADMIN).json
        assert got['generated'] == '2015-06-07T08:09:10.000002'
        assert got['traits'] == [
            {'name': 'created_at', 'type': 'datetime',
             'value': '2015-06-07T08:00:00'},
            {'name': 'ratio', 'type': 'float', 'value': '1.0'},
            {'name': 'service', 'type': 'string',
             'value': 'image.localhost'},
            {'name': 'size', 'type': 'integer', 'value': '2048'}]

    def test_both_shapes_in_one_request(self, app, conn):
        resp = post(app, [
            api_shape('mixed-1'),
            {'message_id': 'mixed-2', 'event_type': 'x',
             'traits': [['a', 1, 'b']]}])
        assert resp.json['created'] == ['mixed-1', 'mixed-2']
        assert stored_ids(app) == ['mixed-1', 'mixed-2']

    def test_defaults_for_message_id_generated_traits_raw(self, app, conn):
        before = datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None, microsecond=0)
        resp = post(app, {'event_type': 'bare'})
        [message_id] = resp.json['created']
        assert str(uuid.UUID(message_id)) == message_id
        got = app.get('/v2/events/' + message_id, headers=SYSTEM_ADMIN).json
        generated = datetime.datetime.fromisoformat(got['generated'])
        assert generated >= before
        assert generated <= datetime.datetime.now(
            datetime.timezone.utc).replace(tzinfo=None)
        assert (got['traits'], got['raw']) == ([], {})

    def test_null_attributes_mean_their_defaults(self, app, conn):
        resp = post(app, {'event_type': 't', 'message_id': None,
                          'generated': None, 'traits': None, 'raw': None})
        [message_id] = resp.json['created']
        got = app.get('/v2/events/' + message_id, headers=SYSTEM_ADMIN).json
        assert (got['traits'], got['raw']) == ([], {})

    def test_query_parameters_are_ignored(self, app, conn):
        resp = post(app, api_shape('qp'),
                    path='/v2/events?timeout=5&batch=True&max_retries=2')
        assert resp.json['created'] == ['qp']

    def test_trailing_slash(self, app, conn):
        assert post(app, api_shape('slash'),
                    path='/v2/events/').json['created'] == ['slash']


class TestDuplicates:

    def test_stored_id_is_a_duplicate_and_unchanged(self, app, conn):
        post(app, api_shape('dup', raw={'first': True}))
        resp = post(app, [api_shape('dup', 'changed', raw={'first': False}),
                          api_shape('fresh')])
        assert resp.json == {'created': ['fresh'], 'duplicates': ['dup']}
        got = app.get('/v2/events/dup', headers=SYSTEM_ADMIN).json
        assert (got['event_type'], got['raw']) == (
            'compute.instance.update', {'first': True})

    def test_same_id_twice_in_one_request(self, app, conn):
        resp = post(app, [api_shape('twice', 'first'),
                          api_shape('twice', 'second')])
        assert resp.json == {'created': ['twice'], 'duplicates': ['twice']}
        assert [e['event_type'] for e in stored(app)] == ['first']

    def test_reposting_a_whole_batch(self, app, conn):
        batch = [api_shape('b-%d' % i) for i in range(5)]
        post(app, batch)
        resp = post(app, batch)
        assert resp.json == {'created': [],
                             'duplicates': ['b-%d' % i for i in range(5)]}
        assert len(stored(app)) == 5


class TestValues:

    def test_text_is_cut_to_255_characters(self, app, conn):
        post(app, api_shape('long', traits=[
            {'name': 'note', 'value': '\u00e9' * 300},
            ['emoji', 1, '\U0001f600' * 256]]))
        traits = {t['name']: t['value'] for t in
                  app.get('/v2/events/long', headers=SYSTEM_ADMIN)
                  .json['traits']}
        assert traits == {'note': '\u00e9' * 255,
                          'emoji': '\U0001f600' * 255}

    def test_64_bit_integers_round_trip(self, app, conn):
        post(app, api_shape('ints', traits=[
            ['max', 2, 2 ** 63 - 1], ['min', 2, -2 ** 63],
            {'name': 'text', 'type': 'integer', 'value': ' -42 '}]))
        traits = {t['name']: t['value'] for t in
                  app.get('/v2/events/ints', headers=SYSTEM_ADMIN)
                  .json['traits']}
        assert traits == {'max': str(2 ** 63 - 1), 'min': str(-2 ** 63),
                          'text': '-42'}
        assert stored_ids(app) == ['ints']

    def test_floats_round_trip(self, app, conn):
        values = [0.1, 1 / 3, 1.7976931348623157e308, -5e-324, 2.0]
        post(app, api_shape('floats', traits=[
            ['f%d' % i, 3, v] for i, v in enumerate(values)]))
        traits = {t['name']: float(t['value']) for t in
                  app.get('/v2/events/floats', headers=SYSTEM_ADMIN)
                  .json['traits']}
        assert traits == {'f%d' % i: v for i, v in enumerate(values)}

    def test_offsets_are_converted_to_naive_utc(self, app, conn):
        post(app, api_shape(
            'tz', generated='2014-01-01T10:30:00.5+05:30',
            traits=[{'name': 'when', 'type': 'datetime',
                     'value': '2013-12-31T21:00:00-08:00'},
                    ['zulu', 4, '2014-01-01T05:00:00Z']]))
        got = app.get('/v2/events/tz', headers=SYSTEM_ADMIN).json
        assert got['generated'] == '2014-01-01T05:00:00.500000'
        assert {t['name']: t['value'] for t in got['traits']} == {
            'when': '2014-01-01T05:00:00', 'zulu': '2014-01-01T05:00:00'}
        # Filters see the converted value.
        assert [e['message_id'] for e in app.get(
            '/v2/events', params=q_params(
                {'field': 'when', 'type': 'datetime',
                 'value': '2014-01-01T05:00:00'},
                {'field': 'all_tenants', 'value': 'True'}),
            headers=ADMIN).json] == ['tz']

    def test_unicode_everywhere(self, app, conn):
        body = {'message_id': '\u00e9v-\U0001f600',
                'event_type': '\u8ba1\u7b97.\u5b9e\u4f8b',
                'traits': [{'name': '\u540d\u524d',
                            'value': '\u0437\u043d\u0430\u0447'}],
                'raw': {'\u00fc': '\U0001f4a1'}}
        post(app, body)
        got = stored(app)
        assert [(e['message_id'], e['event_type'], e['traits'], e['raw'])
                for e in got] == [(
                    '\u00e9v-\U0001f600', '\u8ba1\u7b97.\u5b9e\u4f8b',
                    [{'name': '\u540d\u524d', 'type': 'string',
                      'value': '\u0437\u043d\u0430\u0447'}],
                    {'\u00fc': '\U0001f4a1'})]
        assert app.get('/v2/event_types', headers=ADMIN).json == [
            '\u8ba1\u7b97.\u5b9e\u4f8b']

    def test_raw_is_kept_as_given(self, app, conn):
        raw = {'event_type': 'compute.instance.update',
               'payload': {'deep': {'list': [1, 2.5, True, None, 'x']},
                           'big': 2 ** 70, 'empty': {}},
               'escapes': 'nul \u0000 quote " slash \\',
               'unicode': '\u00e9\U0001f600'}
        post(app, api_shape('raw', raw=raw))
        assert app.get('/v2/events/raw',
                       headers=SYSTEM_ADMIN).json['raw'] == raw


# The reason each bad event gets, exactly.
BAD_EVENTS = [
    ('not-an-object', ['a'], 'must be a JSON object'),
    ('unknown-attribute', {'event_type': 't', 'type': 'x'},
     'unknown attribute "type" (expected message_id, event_type, '
     'generated, traits, raw)'),
    ('no-event-type', {'message_id': 'm'}, 'event_type is required'),
    ('event-type-number', {'event_type': 5}, 'event_type must be a string'),
    ('empty-event-type', {'event_type': ''}, 'event_type must not be empty'),
    ('long-event-type', {'event_type': 'x' * 256},
     'event_type is longer than 255 characters'),
    ('nul-event-type', {'event_type': 'a\u0000b'},
     'event_type contains a NUL character or invalid Unicode'),
    ('surrogate-event-type', {'event_type': '\ud800'},
     'event_type contains a NUL character or invalid Unicode'),
    ('long-message-id', {'event_type': 't', 'message_id': 'm' * 51},
     'message_id is longer than 50 characters'),
    ('message-id-number', {'event_type': 't', 'message_id': 7},
     'message_id must be a string'),
    ('bad-generated', {'event_type': 't', 'generated': 'yesterday'},
     'generated "yesterday" is not an ISO 8601 date and time'),
    ('generated-number', {'event_type': 't', 'generated': 12},
     'generated 12 is not an ISO 8601 date and time'),
    ('traits-object', {'event_type': 't', 'traits': {'a': 1}},
     'traits must be a list'),
    ('trait-string', {'event_type': 't', 'traits': ['a']},
     'traits[0] must be an object {name, type, value} or a list '
     '[name, type, value]'),
    ('short-triple', {'event_type': 't', 'traits': [['a', 1]]},
     'traits[0] must have 3 items [name, type, value], not 2'),
    ('bad-dtype', {'event_type': 't', 'traits': [['a', 0, 'x']]},
     'traits[0] type 0 is not one of 1 (string), 2 (integer), 3 (float), '
     '4 (datetime)'),
    ('dtype-as-text', {'event_type': 't', 'traits': [['a', '1', 'x']]},
     'traits[0] type "1" is not one of 1 (string), 2 (integer), '
     '3 (float), 4 (datetime)'),
    ('bad-type-name', {'event_type': 't', 'traits': [
        {'name': 'a', 'type': 'bool', 'value': 'x'}]},
     'traits[0].type "bool" is not one of string, integer, float, '
     'datetime'),
    ('trait-extra-key', {'event_type': 't', 'traits': [
        {'name': 'a', 'value': 'x', 'unit': 'MB'}]},
     'traits[0] has an unknown attribute "unit" (expected name, type, '
     'value)'),
    ('trait-no-name', {'event_type': 't', 'traits': [{'value': 'x'}]},
     'traits[0].name is required'),
    ('trait-long-name', {'event_type': 't', 'traits': [
        ['n' * 256, 1, 'x']]},
     'traits[0] name is longer than 255 characters'),
    ('trait-no-value', {'event_type': 't', 'traits': [{'name': 'a'}]},
     'traits[0] (a) value is required'),
    ('not-an-integer', {'event_type': 't', 'traits': [['n', 2, 'abc']]},
     'traits[0] (n) value is not an integer'),
    ('float-for-integer', {'event_type': 't', 'traits': [['n', 2, 1.5]]},
     'traits[0] (n) value is not an integer'),
    ('bool-for-integer', {'event_type': 't', 'traits': [['n', 2, True]]},
     'traits[0] (n) value is not an integer'),
    ('integer-too-big', {'event_type': 't', 'traits': [
        ['n', 2, 2 ** 63]]},
     'traits[0] (n) value 9223372036854775808 is outside the 64-bit '
     'integer range'),
    ('integer-too-small', {'event_type': 't', 'traits': [
        {'name': 'n', 'type': 'integer', 'value': str(-2 ** 63 - 1)}]},
     'traits[0] (n) value -9223372036854775809 is outside the 64-bit '
     'integer range'),
    ('integer-text-huge', {'event_type': 't', 'traits': [
        ['n', 2, '9' * 40]]},
     'traits[0] (n) value is outside the 64-bit integer range'),
    ('not-a-float', {'event_type': 't', 'traits': [['f', 3, 'abc']]},
     'traits[0] (f) value is not a number'),
    ('nan', {'event_type': 't', 'traits': [['f', 3, 'NaN']]},
     'traits[0] (f) value is not a finite number'),
    ('bad-datetime', {'event_type': 't', 'traits': [['d', 4, 'soon']]},
     'traits[0] (d) value "soon" is not an ISO 8601 date and time'),
    ('number-for-string', {'event_type': 't', 'traits': [['s', 1, 5]]},
     'traits[0] (s) value must be a string'),
    ('nul-in-value', {'event_type': 't', 'traits': [['s', 1, 'a\u0000']]},
     'traits[0] (s) value contains a NUL character or invalid Unicode'),
    ('repeated-trait', {'event_type': 't', 'traits': [
        ['s', 1, 'a'], ['n', 2, 1], {'name': 's', 'value': 'b'}]},
     'traits[2] repeats the string trait "s" of traits[0]'),
    ('raw-list', {'event_type': 't', 'raw': [1]},
     'raw must be a JSON object'),
    ('raw-nan', {'event_type': 't', 'raw': {'x': float('nan')}},
     'raw cannot be written as standard JSON (NaN, Infinity or too deeply '
     'nested)'),
    ('raw-too-large', {'event_type': 't', 'raw': {'x': 'y' * 65535}},
     'raw takes 65544 bytes as JSON, more than the limit of 65535'),
]


class TestInvalid:

    @pytest.mark.parametrize('item, reason',
                             [case[1:] for case in BAD_EVENTS],
                             ids=[case[0] for case in BAD_EVENTS])
    def test_reason_and_nothing_stored(self, app, conn, item, reason):
        resp = post(app, [api_shape('good-1'), item, api_shape('good-2')],
                    status=400)
        assert_error(resp, 400, INVALID % ('event 1: ' + reason))
        assert stored(app) == []
        assert app.get('/v2/event_types', headers=ADMIN).json == []

    def test_every_bad_index_is_named(self, app, conn):
        resp = post(app, [{'event_type': ''}, api_shape('ok'),
                          {'event_type': 't', 'traits': [['n', 2, 'x']]},
                          'junk'], status=400)
        assert_error(resp, 400, INVALID % (
            'event 0: event_type must not be empty; '
            'event 2: traits[0] (n) value is not an integer; '
            'event 3: must be a JSON object'))
        assert stored(app) == []

    def test_a_single_object_is_index_0(self, app, conn):
        resp = post(app, {'message_id': 'm'}, status=400)
        assert_error(resp, 400, INVALID % 'event 0: event_type is required')

    def test_long_lists_of_errors_are_summed_up(self, app, conn):
        resp = post(app, [{} for _ in range(25)], status=400)
        reasons = ['event %d: event_type is required' % i
                   for i in range(20)]
        assert_error(resp, 400, INVALID % '; '.join(
            reasons + ['and 5 more invalid events']))

    def test_already_stored_events_do_not_hide_errors(self, app, conn):
        post(app, api_shape('there'))
        resp = post(app, [api_shape('there'), {'event_type': 5}],
                    status=400)
        assert_error(resp, 400, INVALID % (
            'event 1: event_type must be a string'))

    @pytest.mark.parametrize('body', ['"text"', '5', 'null', 'true'])
    def test_body_of_the_wrong_shape(self, app, conn, body):
        resp = app.post('/v2/events', body, headers=dict(
            SERVICE, **{'Content-Type': 'application/json'}), status=400)
        assert_error(resp, 400, ingest.BODY_SHAPE)

    def test_empty_list(self, app, conn):
        assert_error(post(app, [], status=400), 400,
                     'The request body holds no events.')

    def test_empty_body(self, app, conn):
        resp = app.post('/v2/events', b'', headers=dict(
            SERVICE, **{'Content-Type': 'application/json'}), status=400)
        assert_error(resp, 400, writes.EMPTY_BODY)

    def test_malformed_json(self, app, conn):
        resp = app.post('/v2/events', b'[{"event_type": ', headers=dict(
            SERVICE, **{'Content-Type': 'application/json'}), status=400)
        assert_error(resp, 400, 'Request is not in valid JSON format')

    def test_not_json(self, app, conn):
        resp = app.post('/v2/events', b'event_type=x', headers=dict(
            SERVICE, **{'Content-Type':
                        'application/x-www-form-urlencoded'}), status=415)
        assert_error(resp, 415, "Unsupported media type "
                     "'application/x-www-form-urlencoded': the request "
                     "body must be JSON (application/json).")

    def test_xml_error_when_preferred(self, app, conn):
        resp = app.post('/v2/events', json.dumps({}), headers=dict(
            SERVICE, **{'Content-Type': 'application/json',
                        'Accept': 'application/xml'}), status=400)
        assert resp.content_type == 'application/xml'
        assert b'event 0: event_type is required' in resp.body


class TestBodyLimit:

    def test_oversized_body_is_413(self, app, conn, conf):
        body = [api_shape('big-%d' % i, raw={'pad': 'x' * 500})
                for i in range(5)]
        size = len(json.dumps(body))
        conf.set_override('max_request_body_size', size - 1, 'api')
        try:
            resp = post(app, body, status=413)
            assert_error(resp, 413, 'Request body is larger than the '
                                    'limit of %d bytes.' % (size - 1))
            assert stored(app) == []
            conf.set_override('max_request_body_size', size, 'api')
            assert len(post(app, body).json['created']) == 5
        finally:
            conf.clear_override('max_request_body_size', 'api')
        assert len(stored(app)) == 5


# ------------------------------------------------------------------ policy


class TestCreatePolicy:

    @pytest.mark.parametrize('headers', [SERVICE, ADMIN, SYSTEM_ADMIN],
                             ids=['service', 'admin', 'system-admin'])
    def test_allowed(self, app, conn, headers):
        assert post(app, api_shape('p'), headers=headers).json[
            'created'] == ['p']

    @pytest.mark.parametrize('headers', [
        MEMBER, {'X-User-Id': 'r', 'X-Project-Id': 'p',
                 'X-Roles': 'reader'},
        {'X-User-Id': 'sys-reader', 'X-Roles': 'reader',
         'OpenStack-System-Scope': 'all'},
        {}, {'X-Roles': 'service'}],
        ids=['member', 'reader', 'system-reader', 'anonymous',
             'roles-only'])
    def test_refused(self, app, conn, headers):
        resp = post(app, api_shape('p'), headers=headers, status=403)
        assert_error(resp, 403, 'RBAC Authorization Failed')
        assert stored(app) == []

    def test_refused_before_the_body_is_judged(self, app, conn):
        resp = post(app, {'bad': True}, headers=MEMBER, status=403)
        assert_error(resp, 403, 'RBAC Authorization Failed')


# ---------------------------------------------------------------- deleting


def _store_for_deletes(conn):
    conn.record_events([
        event('own-1', 'compute.start', traits={
            'project_id': 'proj-admin', 'user_id': 'u-admin'}),
        event('own-2', 'compute.end', traits={
            'project_id': 'proj-admin', 'user_id': 'user-a'}),
        event('other-1', 'compute.start', traits={
            'project_id': 'proj-other', 'user_id': 'u-other'}),
        event('nobody-1', 'compute.start', traits={'host': 'h1'}),
    ])


class TestDeleteOne:

    def test_deleted_then_404(self, app, conn):
        _store_for_deletes(conn)
        resp = app.delete('/v2/events/own-1', headers=ADMIN, status=204)
        assert resp.body == b''
        assert 'own-1' not in stored_ids(app)
        resp = app.delete('/v2/events/own-1', headers=ADMIN, status=404)
        assert_error(resp, 404, 'Event own-1 Not Found')
        resp = app.get('/v2/events/own-1', headers=ADMIN, status=404)
        assert_error(resp, 404, 'Event own-1 Not Found')

    def test_404_as_for_get_when_not_visible(self, app, conn):
        _store_for_deletes(conn)
        resp = app.delete('/v2/events/other-1', headers=ADMIN, status=404)
        assert_error(resp, 404, 'Event other-1 Not Found')
        assert 'other-1' in stored_ids(app)
        # Events of no project are the project admin's to see and delete.
        app.delete('/v2/events/nobody-1', headers=ADMIN, status=204)
        app.delete('/v2/events/other-1', headers=SYSTEM_ADMIN, status=204)
        assert stored_ids(app) == ['own-1', 'own-2']

    @pytest.mark.parametrize('headers', [MEMBER, SERVICE, {}],
                             ids=['member', 'service', 'anonymous'])
    def test_refused(self, app, conn, headers):
        _store_for_deletes(conn)
        resp = app.delete('/v2/events/own-2', headers=headers, status=403)
        assert_error(resp, 403, 'RBAC Authorization Failed')
        assert len(stored(app)) == 4

    def test_unknown_id(self, app, conn):
        resp = app.delete('/v2/events/nope', headers=ADMIN, status=404)
        assert_error(resp, 404, 'Event nope Not Found')

    def test_q_with_an_id_is_refused(self, app, conn):
        _store_for_deletes(conn)
        resp = delete(app, path='/v2/events/own-1', params=q_params(
            {'field': 'event_type', 'value': 'compute.start'}),
            headers=ADMIN, status=400)
        assert_error(resp, 400, writes.ID_AND_FILTER)
        assert len(stored(app)) == 4

    def test_message_id_only_in_the_path(self, app, conn):
        _store_for_deletes(conn)
        resp = app.delete('/v2/events?message_id=own-1', headers=ADMIN,
                          status=400)
        assert_error(resp, 400, 'Unknown argument: "message_id"')
        assert len(stored(app)) == 4


class TestDeleteByFilter:

    def test_deletes_what_the_caller_would_list(self, app, conn):
        _store_for_deletes(conn)
        params = q_params({'field': 'event_type', 'value': 'compute.start'})
        listed = [e['message_id'] for e in app.get(
            '/v2/events', params=params, headers=ADMIN).json]
        resp = delete(app, params, headers=ADMIN,
                          status=200)
        assert resp.json == {'deleted': len(listed)} == {'deleted': 2}
        assert stored_ids(app) == ['other-1', 'own-2']

    def test_all_tenants_widens_the_scope(self, app, conn):
        _store_for_deletes(conn)
        resp = delete(app, q_params(
            {'field': 'event_type', 'value': 'compute.start'},
            {'field': 'all_tenants', 'value': 'True'}), headers=ADMIN)
        assert resp.json == {'deleted': 3}
        assert stored_ids(app) == ['own-2']

    def test_trait_and_time_filters(self, app, conn):
        _store_for_deletes(conn)
        resp = delete(app, q_params(
            {'field': 'user_id', 'value': 'user-a'},
            {'field': 'start_timestamp', 'op': 'ge',
             'value': '2014-01-01T00:00:00'}), headers=SYSTEM_ADMIN)
        assert resp.json == {'deleted': 1}
        assert stored_ids(app) == ['nobody-1', 'other-1', 'own-1']

    def test_q_in_a_json_body(self, app, conn):
        _store_for_deletes(conn)
        resp = app.request('/v2/events', method='DELETE', body=json.dumps(
            {'q': [{'field': 'host', 'value': 'h1'}]}).encode(),
            headers=dict(SYSTEM_ADMIN,
                         **{'Content-Type': 'application/json'}))
        assert resp.json == {'deleted': 1}
        assert 'nobody-1' not in stored_ids(app)

    def test_nothing_matching(self, app, conn):
        _store_for_deletes(conn)
        resp = delete(app, q_params(
            {'field': 'event_type', 'value': 'none.such'}), headers=ADMIN)
        assert resp.json == {'deleted': 0}
        assert len(stored(app)) == 4

    @pytest.mark.parametrize('params', [
        [], q_params({'field': 'all_tenants', 'value': 'True'})],
        ids=['no-filter', 'only-all-tenants'])
    def test_a_filterless_delete_is_refused(self, app, conn, params):
        _store_for_deletes(conn)
        resp = delete(app, params,
                          headers=SYSTEM_ADMIN, status=400)
        assert_error(resp, 400, writes.FILTER_REQUIRED)
        assert len(stored(app)) == 4

    @pytest.mark.parametrize('params, message', [
        (q_params({'field': 'event_type', 'op': 'whats-up', 'value': 'x'}),
         "Operator whats-up is not supported. The supported operators "
         "are: ('lt', 'le', 'eq', 'ne', 'ge', 'gt')"),
        (q_params({'field': 'size', 'type': 'integer', 'value': 'abc'}),
         'Unable to convert the value abc to the expected data type '
         'integer.'),
        (q_params({'field': 'event_type', 'value': 'x'}, limit='5'),
         'Unknown argument: "limit"'),
    ], ids=['operator', 'conversion', 'unknown-parameter'])
    def test_bad_filters_as_for_listing(self, app, conn, params, message):
        _store_for_deletes(conn)
        resp = delete(app, params, headers=ADMIN,
                          status=400)
        assert_error(resp, 400, message)
        assert len(stored(app)) == 4

    def test_other_project_admin_sees_only_its_own(self, app, conn):
        _store_for_deletes(conn)
        resp = delete(app, q_params(
            {'field': 'event_type', 'value': 'compute.start'}),
            headers=OTHER_ADMIN)
        assert resp.json == {'deleted': 2}
        assert stored_ids(app) == ['own-1', 'own-2']


# ------------------------------------------------- a driver without writes


class ReadOnlyStore:
    """The module's store, claiming no create and no delete capability."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def get_capabilities(self):
        caps = self._store.get_capabilities()
        caps['events']['create'] = False
        caps['events']['delete'] = False
        return caps


@pytest.fixture
def read_only_app(conf, store, monkeypatch):
    read_only = ReadOnlyStore(store)
    monkeypatch.setattr(storage, 'get_connection',
                        lambda url, conf_: read_only)
    return webtest.TestApp(api_app.load_app(conf, 'panko+noauth'))


class TestNotSupported:

    def test_post_is_501(self, read_only_app, conn):
        resp = post(read_only_app, api_shape('x'), status=501)
        assert_error(resp, 501, writes.NOT_SUPPORTED % 'recording',
                     faultcode='Server')
        assert list(conn.get_event_types()) == []

    def test_deletes_are_501(self, read_only_app, conn):
        conn.record_events([event('kept')])
        resp = read_only_app.delete('/v2/events/kept', headers=ADMIN,
                                    status=501)
        assert_error(resp, 501, writes.NOT_SUPPORTED % 'deleting',
                     faultcode='Server')
        resp = delete(read_only_app, q_params(
            {'field': 'event_type', 'value': 'Foo'}), headers=ADMIN,
            status=501)
        assert_error(resp, 501, writes.NOT_SUPPORTED % 'deleting',
                     faultcode='Server')
        assert len(read_only_app.get('/v2/events',
                                     headers=SYSTEM_ADMIN).json) == 1

    def test_capabilities_say_so(self, read_only_app, conn):
        caps = read_only_app.get('/v2/capabilities').json['api']
        assert caps['events:create'] is False
        assert caps['events:delete'] is False


def test_xml_result_when_preferred(app, conn):
    resp = app.post('/v2/events', json.dumps([api_shape('x1'),
                                              api_shape('x1')]),
                    headers=dict(SERVICE, **{
                        'Content-Type': 'application/json',
                        'Accept': 'application/xml'}), status=201)
    assert resp.content_type == 'application/xml'
    assert resp.body.startswith(b'<result>')
    assert b'<created><item>x1</item></created>' in resp.body
    assert b'<duplicates><item>x1</item></duplicates>' in resp.body


def test_largest_values_every_back_end_keeps(app, conn):
    """At the limits the schema sets, nothing is refused or cut."""
    pad = ingest.RAW_MAX_BYTES - len(json.dumps({'p': ''}))
    raw = {'p': 'r' * pad}
    assert len(json.dumps(raw)) == ingest.RAW_MAX_BYTES
    body = {'message_id': 'm' * 50, 'event_type': '\u00e9' * 255,
            'traits': [['n' * 255, 1, 'v' * 255]], 'raw': raw}
    post(app, body)
    [got] = stored(app)
    assert (got['message_id'], got['event_type'], got['traits'],
            got['raw']) == ('m' * 50, '\u00e9' * 255,
                            [{'name': 'n' * 255, 'type': 'string',
                              'value': 'v' * 255}], raw)


def test_concurrent_posts_of_the_same_ids(app, conn):
    """Four clients post the same 30 events at once, in their own order."""
    all_ids = ['cc-%02d' % i for i in range(30)]
    barrier = threading.Barrier(4)
    results = [None] * 4

    def client(index):
        order = list(all_ids)
        random.Random(index).shuffle(order)
        barrier.wait()
        answers = [post(app, [api_shape(mid, 'type-%s' % mid[-1])
                              for mid in order[start:start + 10]]).json
                   for start in range(0, 30, 10)]
        results[index] = answers

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert None not in results
    created = sorted(mid for answers in results for a in answers
                     for mid in a['created'])
    assert created == all_ids
    for answers in results:
        assert sorted(mid for a in answers
                      for mid in a['created'] + a['duplicates']) == all_ids
    assert stored_ids(app) == all_ids
