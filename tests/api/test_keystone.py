"""What only the keystone pipeline does: tokens in, headers out.

The persona x endpoint matrix (``test_persona_matrix``) runs this
pipeline too; here: no token, a bad or expired token, and identity
headers a client sends itself, which must never be trusted. Tokens come
from keystonemiddleware's own ``AuthTokenFixture``, so the real
authtoken middleware runs.
"""

import datetime

import pytest

from tests.api import apps
from tests.api import personas
from tests.helpers import assert_error

AUTH_REQUIRED = 'The request you have made requires authentication.'

# Every header oslo.context reads identity or scope from.
SPOOFED = {
    'X-User-Id': 'u-sysadmin', 'X-User': 'u-sysadmin',
    'X-Project-Id': 'p2', 'X-Tenant-Id': 'p2', 'X-Tenant': 'p2',
    'X-Roles': 'admin,member,reader', 'X-Role': 'admin',
    'OpenStack-System-Scope': 'all', 'X-Is-Admin-Project': 'True',
    'X-Identity-Status': 'Confirmed',
}

PROTECTED_PATHS = ['/v2', '/v2/events', '/v2/events/e1',
                   '/v2/event_types', '/v2/event_types/compute.start/traits',
                   '/v2/event_types/compute.start/traits/host',
                   '/v2/capabilities']

WITH_TOKEN = [name for name, p in personas.PERSONAS.items() if p.token()]


@pytest.fixture(scope='module')
def client(conf, store, backend, token_fixture):
    store.clear()
    store.upgrade()
    store.record_events(personas.stored_events())
    app_conf = apps.own_conf(conf)
    try:
        with apps.client_for(app_conf, 'keystone', store, backend) as c:
            yield c
    finally:
        app_conf.reset()


def token_for(token_fixture, name):
    return token_fixture.add_token(personas.PERSONAS[name].token())


def listed(resp):
    return [e['message_id'] for e in resp.json]


def visible(name):
    expect = personas.DEFAULT[name]
    return [mid for mid in personas.ALL if mid in expect.visible]


@pytest.mark.parametrize('path', PROTECTED_PATHS)
@pytest.mark.parametrize('headers', [
    {}, {'X-Auth-Token': 'not-a-token'}, {'X-Auth-Token': ''}],
    ids=['no-token', 'bad-token', 'empty-token'])
def test_no_valid_token_is_401_json(client, path, headers):
    resp = client.get(path, headers=headers, status=401)
    assert_error(resp, 401, AUTH_REQUIRED)
    assert resp.headers['WWW-Authenticate'] == (
        'Keystone uri="%s"' % apps.KEYSTONE_URI)


def test_401_as_xml_when_preferred(client):
    resp = client.get('/v2/events', status=401,
                      headers={'Accept': 'application/xml'})
    assert resp.content_type == 'application/xml'
    assert '<faultstring>%s</faultstring>' % AUTH_REQUIRED in resp.text


def test_expired_token_is_401(client, token_fixture):
    past = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(hours=1)
    token = token_for(token_fixture, 'project-admin')
    client.get('/v2/events', headers={'X-Auth-Token': token}, status=200)
    expired = personas.PERSONAS['project-admin'].token()
    expired.expires = past
    expired_id = token_fixture.add_token(expired)
    resp = client.get('/v2/events', headers={'X-Auth-Token': expired_id},
                      status=401)
    assert_error(resp, 401, AUTH_REQUIRED)


@pytest.mark.parametrize('name', WITH_TOKEN)
def test_identity_headers_sent_with_a_token_are_ignored(client,
                                                       token_fixture,
                                                       name):
    """Whatever headers come along, the token alone says who calls."""
    token = token_for(token_fixture, name)
    headers = dict(SPOOFED, **{'X-Auth-Token': token})
    expect = personas.DEFAULT[name]
    if not expect.identity:
        resp = client.get('/v2/events', headers=headers, status=403)
        assert_error(resp, 403, 'RBAC Authorization Failed')
    else:
        resp = client.get('/v2/events', headers=headers)
        assert listed(resp) == visible(name)
        status = 200 if expect.unrestricted else 401
        client.get('/v2/event_types', headers=headers, status=status)


@pytest.mark.parametrize('path', PROTECTED_PATHS)
def test_identity_headers_without_a_token_are_401(client, path):
    resp = client.get(path, headers=SPOOFED, status=401)
    assert_error(resp, 401, AUTH_REQUIRED)


def test_public_paths_need_no_token(client):
    assert client.get('/').json['versions']['values'][0]['id'] == 'v2'
    assert client.get('/healthcheck').status_int == 200
