"""Root document, /v2, health, capabilities and the error format."""

import xml.etree.ElementTree as ElementTree

import pytest
import webtest

from tests.helpers import (ADMIN, CAPABILITY_KEYS, ERROR_KEYS, MEMBER,
                           assert_error, flatten, make_conf)

LIMIT_MESSAGE = ("Invalid input for field/attribute limit. Value: '-2'. "
                 "the limit should be a positive integer.")


def v2_descriptor(base):
    return {
        'id': 'v2',
        'status': 'stable',
        'updated': '2013-02-13T00:00:00Z',
        'links': [
            {'href': base + '/v2', 'rel': 'self'},
            {'href': 'https://docs.openstack.org/', 'rel': 'describedby',
             'type': 'text/html'},
        ],
        'media-types': [
            {'base': 'application/json',
             'type': 'application/vnd.openstack.telemetry-v2+json'},
            {'base': 'application/xml',
             'type': 'application/vnd.openstack.telemetry-v2+xml'},
        ],
    }


def single_descriptor(body):
    """The one version descriptor of a ``GET /v2`` answer."""
    if 'version' in body:
        return body['version']
    values = body['versions']['values']
    assert len(values) == 1
    return values[0]


# ------------------------------------------------------------------ root


def test_root_document(app):
    resp = app.get('/')
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    assert resp.json == {'versions': {'values': [
        v2_descriptor('http://localhost')]}}


def test_root_needs_no_identity_and_ignores_it(app):
    assert app.get('/', headers=MEMBER).json == app.get('/').json


@pytest.mark.parametrize('headers,base', [
    ({'X-Forwarded-Proto': 'https', 'Host': 'panko.example.com'},
     'https://panko.example.com'),
    ({'X-Forwarded-Host': 'panko.example.com'},
     'http://panko.example.com'),
    ({'X-Forwarded-Prefix': '/telemetry'}, 'http://localhost/telemetry'),
    ({'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'cloud.example.com:8443',
      'X-Forwarded-Prefix': '/telemetry'},
     'https://cloud.example.com:8443/telemetry'),
], ids=['proto', 'host', 'prefix', 'all'])
def test_root_document_behind_a_proxy(app, headers, base):
    resp = app.get('/', headers=headers)
    assert resp.json == {'versions': {'values': [v2_descriptor(base)]}}


def test_v2_document(app):
    resp = app.get('/v2', headers=ADMIN)
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    assert single_descriptor(resp.json) == v2_descriptor('http://localhost')


def test_v2_document_behind_a_proxy(app):
    resp = app.get('/v2', headers=dict(ADMIN, **{
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'example.org',
        'X-Forwarded-Prefix': '/telemetry'}))
    assert single_descriptor(resp.json) == v2_descriptor(
        'https://example.org/telemetry')


def test_v2_document_trailing_slash(app):
    resp = app.get('/v2/', headers=ADMIN)
    assert single_descriptor(resp.json) == v2_descriptor('http://localhost')


def test_healthcheck(app):
    resp = app.get('/healthcheck')
    assert resp.status_int == 200


def test_healthcheck_reports_unreachable_storage():
    """A database that does not answer makes the health check fail."""
    from panko_clone.api import app as api_app

    conf = make_conf('postgresql+psycopg2://postgres@127.0.0.1:1/nowhere')
    try:
        client = webtest.TestApp(api_app.load_app(conf, 'panko+noauth'))
        resp = client.get('/healthcheck', expect_errors=True)
        assert resp.status_int == 503
        # and the root document does not need the storage at all
        assert client.get('/').status_int == 200
    finally:
        conf.reset()


# ----------------------------------------------------------- capabilities


def test_capabilities(app, store, backend):
    resp = app.get('/v2/capabilities')
    assert resp.status_int == 200
    body = resp.json
    assert set(body) == {'api', 'event_storage'}
    assert body['api'] == flatten(store.get_capabilities())
    assert CAPABILITY_KEYS <= set(body['api'])
    assert body['api']['events:query:simple'] is True
    assert all(isinstance(v, bool) for v in body['api'].values())
    assert body['event_storage'] == {
        'storage:production_ready': backend != 'memory'}


def test_capabilities_trailing_slash(app):
    assert (app.get('/v2/capabilities/').json
            == app.get('/v2/capabilities').json)


def test_capabilities_with_identity(app):
    assert (app.get('/v2/capabilities', headers=MEMBER).json
            == app.get('/v2/capabilities').json)


# ------------------------------------------------------ request id, errors


@pytest.mark.parametrize('path,headers,status', [
    ('/', {}, 200),
    ('/v2/capabilities', {}, 200),
    ('/v2/events', ADMIN, 200),
    ('/v2/events?limit=-2', ADMIN, 400),
    ('/v2/events', {}, 403),
    ('/v2/events/nope', ADMIN, 404),
    ('/v2/no_such_thing', ADMIN, 404),
])
def test_request_id_on_every_response(app, path, headers, status):
    resp = app.get(path, headers=headers, status=status)
    request_id = resp.headers.get('x-openstack-request-id')
    assert request_id and request_id.startswith('req-'), resp.headers


def test_request_ids_differ(app):
    first = app.get('/').headers['x-openstack-request-id']
    second = app.get('/').headers['x-openstack-request-id']
    assert first != second


def test_error_is_json(app):
    resp = app.get('/v2/events?limit=-2', headers=ADMIN, status=400)
    assert resp.json == {'error_message': {
        'faultcode': 'Client', 'faultstring': LIMIT_MESSAGE,
        'debuginfo': None}}


@pytest.mark.parametrize('accept', [
    'application/json', '*/*', 'application/json, application/xml;q=0.5'])
def test_error_is_json_unless_xml_preferred(app, accept):
    resp = app.get('/v2/events?limit=-2',
                   headers=dict(ADMIN, Accept=accept), status=400)
    assert_error(resp, 400, LIMIT_MESSAGE)


def _xml_error(resp):
    assert resp.content_type == 'application/xml', resp.headers
    root = ElementTree.fromstring(resp.body)
    assert root.tag == 'error_message'
    found = {el.tag: el.text for el in root.iter() if el.tag in ERROR_KEYS}
    assert set(found) >= {'faultcode', 'faultstring'}, resp.text
    return found


@pytest.mark.parametrize('accept', [
    'application/xml', 'application/xml, application/json;q=0.5'])
def test_error_is_xml_when_preferred(app, accept):
    resp = app.get('/v2/events?limit=-2',
                   headers=dict(ADMIN, Accept=accept), status=400)
    found = _xml_error(resp)
    assert found['faultstring'] == LIMIT_MESSAGE
    assert found['faultcode'] == 'Client'


def test_policy_error_as_xml(app):
    resp = app.get('/v2/events', headers={'Accept': 'application/xml'},
                   status=403)
    assert _xml_error(resp)['faultstring'] == 'RBAC Authorization Failed'


def test_routing_error_as_xml(app):
    resp = app.get('/v2/no_such_thing',
                   headers=dict(ADMIN, Accept='application/xml'),
                   status=404)
    _xml_error(resp)


@pytest.mark.parametrize('path', [
    '/v2/no_such_thing', '/no_such_thing', '/v2/events/a/b/c',
    '/v2/event_types/x/traits/y/z', '/v2/capabilities/extra'])
def test_unknown_paths_are_json_404(app, path):
    resp = app.get(path, headers=ADMIN, expect_errors=True)
    assert_error(resp, 404)


@pytest.mark.parametrize('method,path', [
    ('PUT', '/v2/events'), ('PATCH', '/v2/events'),
    ('PUT', '/v2/event_types'), ('POST', '/v2/capabilities')])
def test_unsupported_methods_are_json_errors(app, method, path):
    resp = app.request(path, method=method, headers=ADMIN,
                       expect_errors=True)
    assert resp.status_int in (404, 405), resp.status
    assert_error(resp, resp.status_int)


# ------------------------------------------------------------------- CORS


def test_cors_preflight(tmp_path):
    from panko_clone import service
    from panko_clone.api import app as api_app

    config = tmp_path / 'panko.conf'
    config.write_text('[cors]\nallowed_origin = https://dash.example.com\n'
                      '[database]\nconnection = memory://\n')
    conf = service.prepare_service(argv=[], config_files=[str(config)])
    try:
        client = webtest.TestApp(api_app.load_app(conf, 'panko+noauth'))
        resp = client.options('/v2/events', headers={
            'Origin': 'https://dash.example.com',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Headers': 'X-Auth-Token'})
        assert resp.status_int == 200
        assert resp.headers['Access-Control-Allow-Origin'] == (
            'https://dash.example.com')
        assert 'GET' in resp.headers['Access-Control-Allow-Methods']
        resp = client.get('/v2/capabilities', headers={
            'Origin': 'https://dash.example.com'})
        assert resp.headers['Access-Control-Allow-Origin'] == (
            'https://dash.example.com')
        resp = client.get('/v2/capabilities', headers={
            'Origin': 'https://evil.example.com'})
        assert 'Access-Control-Allow-Origin' not in resp.headers
        # Without an Origin a request is not a CORS one; a preflight
        # without one is still answered as oslo.middleware answers it.
        resp = client.get('/v2/capabilities')
        assert not [h for h in resp.headers if h.startswith('Access-')]
        resp = client.options('/v2/events')
        assert resp.status_int == 200
        assert not [h for h in resp.headers if h.startswith('Access-')]
    finally:
        conf.reset()
