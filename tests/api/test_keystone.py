"""Every persona through the keystone pipeline, on every back end.

Tokens are minted with keystonemiddleware's own ``AuthTokenFixture``: the
real authtoken middleware runs and turns a token into identity headers;
headers a client sends itself are never trusted. The matrix is run with
oslo.policy's ``enforce_new_defaults`` off and on.
"""

import pytest
import webtest
from keystoneauth1 import fixture as ks_fixture
from keystonemiddleware import auth_token
from keystonemiddleware import fixture as ksm_fixture

from panko_clone import storage
from tests.helpers import at
from tests.helpers import event

PERSONAS = {
    # name: (project or None for system scope, user, roles)
    'project-admin': ('p1', 'u-admin', ['admin', 'member', 'reader']),
    'project-member': ('p1', 'u-member', ['member', 'reader']),
    'project-reader': ('p1', 'u-reader', ['reader']),
    'system-admin': (None, 'u-sysadmin', ['admin', 'member', 'reader']),
    'system-reader': (None, 'u-sysreader', ['reader']),
    'service': ('p-service', 'u-ceilometer', ['service']),
}

ALL = ['e1', 'e2', 'e3', 'e4', 'e5']

# What a plain listing shows each persona, and with all_tenants=True
# (None: refused with 403).
VISIBLE = {
    'project-admin': (['e1', 'e2', 'e4', 'e5'], ALL),
    'project-member': (['e1'], None),
    'project-reader': (['e2'], None),
    'system-admin': (ALL, ALL),
    'system-reader': (ALL, ALL),
    'service': ([], None),
}

UNRESTRICTED = {'project-admin', 'system-admin', 'system-reader'}


def store_events(conn):
    conn.record_events([
        event('e1', 'compute.start', at(hours=1),
              {'project_id': 'p1', 'user_id': 'u-member', 'host': 'h1'}),
        event('e2', 'compute.start', at(hours=2),
              {'project_id': 'p1', 'user_id': 'u-reader', 'host': 'h2'}),
        event('e3', 'compute.end', at(hours=3),
              {'project_id': 'p2', 'user_id': 'u-other', 'host': 'h1'}),
        event('e4', 'identity.created', at(hours=4), {'host': 'h3'}),
        event('e5', 'compute.end', at(hours=5),
              {'project_id': 'p1', 'user_id': 'u-admin'}),
    ])


@pytest.fixture(scope='module')
def token_fixture():
    fixture = ksm_fixture.AuthTokenFixture()
    fixture.setUp()
    yield fixture
    fixture.cleanUp()


@pytest.fixture(scope='module')
def tokens(token_fixture):
    """Token id per persona."""
    ids = {}
    for name, (project, user, roles) in PERSONAS.items():
        token = ks_fixture.V3Token(user_id=user, project_id=project)
        if project is None:
            token = ks_fixture.V3Token(user_id=user)
            token.set_system_scope()
        for role in roles:
            token.add_role(name=role)
        ids[name] = token_fixture.add_token(token)
    return ids


@pytest.fixture(scope='module', params=[False, True],
                ids=['old-defaults', 'new-defaults'])
def keystone_app(request, conf, store, backend, token_fixture):
    from panko_clone.api import app as api_app

    conf.set_override('enforce_new_defaults', request.param, 'oslo_policy')
    patch = pytest.MonkeyPatch()
    if backend == 'memory':
        real = storage.get_connection

        def get_connection(url, conf_):
            return store if url == 'memory://' else real(url, conf_)

        patch.setattr(storage, 'get_connection', get_connection)
    # What an operator's [keystone_authtoken] holds at the least; the
    # middleware registers these options itself, identically.
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('www_authenticate_uri',
                      'https://keystone.example.com/identity',
                      'keystone_authtoken')
    try:
        yield webtest.TestApp(api_app.load_app(conf, 'panko+keystone'))
    finally:
        patch.undo()
        conf.clear_override('enforce_new_defaults', 'oslo_policy')


@pytest.fixture
def client(keystone_app, conn):
    store_events(conn)
    return keystone_app


def get(client, token, path, status=200, **params):
    headers = {'X-Auth-Token': token} if token else {}
    return client.get(path, params=params, headers=headers, status=status)


def listed(resp):
    return sorted(e['message_id'] for e in resp.json)


def assert_error(resp, faultstring):
    assert resp.content_type == 'application/json'
    assert resp.json['error_message']['faultstring'] == faultstring


@pytest.mark.parametrize('persona', sorted(PERSONAS))
def test_listing_shows_exactly_what_the_persona_may_see(client, tokens,
                                                         persona):
    plain, everything = VISIBLE[persona]
    resp = get(client, tokens[persona], '/v2/events')
    assert listed(resp) == plain
    query = {'q.field': 'all_tenants', 'q.value': 'True'}
    if everything is None:
        resp = get(client, tokens[persona], '/v2/events', status=403,
                   **query)
        assert resp.json['error_message']['faultcode'] == 'Client'
    else:
        assert listed(get(client, tokens[persona], '/v2/events',
                          **query)) == everything


@pytest.mark.parametrize('persona', sorted(PERSONAS))
def test_show_follows_listing_visibility(client, tokens, persona):
    plain, _ = VISIBLE[persona]
    for message_id in ALL:
        if message_id in plain:
            resp = get(client, tokens[persona], '/v2/events/' + message_id)
            assert resp.json['message_id'] == message_id
        else:
            resp = get(client, tokens[persona], '/v2/events/' + message_id,
                       status=404)
            assert_error(resp, 'Event %s Not Found' % message_id)


@pytest.mark.parametrize('persona', sorted(PERSONAS))
@pytest.mark.parametrize('path', [
    '/v2/event_types',
    '/v2/event_types/compute.start/traits',
    '/v2/event_types/compute.start/traits/host',
])
def test_event_types_are_for_unrestricted_callers(client, tokens, persona,
                                                  path):
    if persona in UNRESTRICTED:
        resp = get(client, tokens[persona], path)
        assert isinstance(resp.json, list) and resp.json
    else:
        resp = get(client, tokens[persona], path, status=401)
        assert_error(resp, 'Not Authorized to access project %s'
                     % PERSONAS[persona][0])


def test_event_types_content_for_admin(client, tokens):
    token = tokens['project-admin']
    assert get(client, token, '/v2/event_types').json == [
        'compute.end', 'compute.start', 'identity.created']
    values = get(client, token,
                 '/v2/event_types/compute.start/traits/host').json
    assert sorted(v['value'] for v in values) == ['h1', 'h2']


@pytest.mark.parametrize('persona', sorted(PERSONAS))
def test_capabilities_and_root_for_everyone(client, tokens, persona):
    caps = get(client, tokens[persona], '/v2/capabilities').json
    assert caps['api']['events:query:simple'] is True
    assert 'versions' in get(client, tokens[persona], '/').json


@pytest.mark.parametrize('path', ['/v2/events', '/v2/events/e1',
                                  '/v2/event_types', '/v2/capabilities'])
def test_no_token_or_bad_token_is_401_json(client, path):
    for headers in ({}, {'X-Auth-Token': 'not-a-token'}):
        resp = client.get(path, headers=headers, status=401)
        assert resp.content_type == 'application/json'
        assert resp.json['error_message']['faultcode'] == 'Client'


def test_root_needs_no_token(client):
    assert client.get('/').json['versions']['values'][0]['id'] == 'v2'


def test_client_identity_headers_are_not_trusted(client, tokens):
    """A member cannot become admin of another project by header."""
    spoofed = {'X-Auth-Token': tokens['project-member'],
               'X-Roles': 'admin', 'X-Project-Id': 'p2',
               'X-User-Id': 'u-other', 'OpenStack-System-Scope': 'all'}
    resp = client.get('/v2/events', headers=spoofed)
    assert listed(resp) == ['e1']
    without_token = {k: v for k, v in spoofed.items()
                     if k != 'X-Auth-Token'}
    client.get('/v2/events', headers=without_token, status=401)

