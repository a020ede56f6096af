"""Who sees what: the personas of the contract's RBAC section."""

import pytest

from tests.helpers import (ADMIN, MEMBER, SYSTEM_READER, assert_error,
                           event, q_params)

# The admin persona works in proj-admin; the member is user-a in proj-a.
#   id            project_id  user_id
#   adm-own       proj-admin  u-admin
#   adm-proj      proj-admin  user-x
#   m-own         proj-a      user-a
#   m-other-user  proj-a      user-b
#   other-proj    proj-b      user-a
#   no-proj       -           user-a
#   no-traits     -           -
EVERYTHING = ['adm-own', 'adm-proj', 'm-own', 'm-other-user', 'other-proj',
              'no-proj', 'no-traits']
ADMIN_SEES = ['adm-own', 'adm-proj', 'no-proj', 'no-traits']
MEMBER_SEES = ['m-own']

RBAC_FAILED = 'RBAC Authorization Failed'


def _events():
    rows = [('adm-own', 'proj-admin', 'u-admin'),
            ('adm-proj', 'proj-admin', 'user-x'),
            ('m-own', 'proj-a', 'user-a'),
            ('m-other-user', 'proj-a', 'user-b'),
            ('other-proj', 'proj-b', 'user-a'),
            ('no-proj', None, 'user-a')]
    events = []
    for i, (mid, project, user) in enumerate(rows):
        traits = {'user_id': user, 'n': i}
        if project:
            traits['project_id'] = project
        events.append(event(mid, 'Type%d' % (i % 2), traits=traits))
    events.append(event('no-traits', 'Bare'))
    return events


@pytest.fixture
def data(conn):
    conn.record_events(_events())
    return conn


def visible(app, headers, params=()):
    resp = app.get('/v2/events', params=list(params), headers=headers)
    return sorted(e['message_id'] for e in resp.json)


def all_tenants(value='True'):
    return q_params({'field': 'all_tenants', 'value': value})


# ---------------------------------------------------------- unrestricted


def test_admin_sees_own_project_and_unowned(app, data):
    assert visible(app, ADMIN) == sorted(ADMIN_SEES)


def test_admin_role_among_others(app, data):
    headers = dict(ADMIN, **{'X-Roles': 'member,reader,admin'})
    assert visible(app, headers) == sorted(ADMIN_SEES)


def test_admin_of_member_project(app, data):
    headers = dict(MEMBER, **{'X-Roles': 'admin'})
    assert visible(app, headers) == sorted(
        ['m-own', 'm-other-user', 'no-proj', 'no-traits'])


@pytest.mark.parametrize('value', ['True', 'true', '1', 'yes', 'on'])
def test_admin_all_tenants_sees_everything(app, data, value):
    assert visible(app, ADMIN, all_tenants(value)) == sorted(EVERYTHING)


@pytest.mark.parametrize('value', ['False', 'false', '0'])
def test_admin_all_tenants_false_is_ordinary(app, data, value):
    assert visible(app, ADMIN, all_tenants(value)) == sorted(ADMIN_SEES)


def test_admin_all_tenants_with_other_filters(app, data):
    params = q_params(
        {'field': 'all_tenants', 'type': 'string', 'op': 'eq',
         'value': 'True'},
        {'field': 'user_id', 'type': 'string', 'op': 'eq',
         'value': 'user-a'})
    assert visible(app, ADMIN, params) == sorted(
        ['m-own', 'other-proj', 'no-proj'])


def test_admin_get_one(app, data):
    for mid in ADMIN_SEES:
        resp = app.get('/v2/events/' + mid, headers=ADMIN)
        assert resp.json['message_id'] == mid
    for mid in set(EVERYTHING) - set(ADMIN_SEES):
        resp = app.get('/v2/events/' + mid, headers=ADMIN, status=404)
        assert_error(resp, 404, 'Event %s Not Found' % mid)


def test_system_reader_sees_everything(app, data):
    assert visible(app, SYSTEM_READER) == sorted(EVERYTHING)
    for mid in EVERYTHING:
        resp = app.get('/v2/events/' + mid, headers=SYSTEM_READER)
        assert resp.json['message_id'] == mid


def test_system_reader_with_all_tenants(app, data):
    assert visible(app, SYSTEM_READER, all_tenants()) == sorted(EVERYTHING)


def test_system_reader_may_list_types_and_traits(app, data):
    assert app.get('/v2/event_types', headers=SYSTEM_READER).json == [
        'Bare', 'Type0', 'Type1']
    assert app.get('/v2/event_types/Type0/traits',
                   headers=SYSTEM_READER).status_int == 200
    assert app.get('/v2/event_types/Type0/traits/n',
                   headers=SYSTEM_READER).status_int == 200


def test_admin_may_list_types_and_traits(app, data):
    assert app.get('/v2/event_types', headers=ADMIN).json == [
        'Bare', 'Type0', 'Type1']
    assert app.get('/v2/event_types/Type0/traits',
                   headers=ADMIN).json == [
        {'name': 'project_id', 'type': 'string'},
        {'name': 'user_id', 'type': 'string'},
        {'name': 'n', 'type': 'integer'}]


# ------------------------------------------------------------ restricted


def test_member_sees_only_own_project_and_user(app, data):
    assert visible(app, MEMBER) == MEMBER_SEES


def test_project_reader_is_restricted(app, data):
    headers = dict(MEMBER, **{'X-Roles': 'reader'})
    assert visible(app, headers) == MEMBER_SEES


def test_member_get_one(app, data):
    assert app.get('/v2/events/m-own',
                   headers=MEMBER).json['message_id'] == 'm-own'
    for mid in set(EVERYTHING) - set(MEMBER_SEES):
        resp = app.get('/v2/events/' + mid, headers=MEMBER, status=404)
        assert_error(resp, 404, 'Event %s Not Found' % mid)


def test_member_filters_cannot_widen_the_view(app, data):
    params = q_params({'field': 'project_id', 'value': 'proj-b'})
    assert visible(app, MEMBER, params) == []
    params = q_params({'field': 'user_id', 'value': 'user-b'})
    assert visible(app, MEMBER, params) == []


@pytest.mark.parametrize('value', ['True', 'False'])
def test_member_all_tenants_is_forbidden(app, data, value):
    resp = app.get('/v2/events', params=all_tenants(value), headers=MEMBER,
                   expect_errors=True)
    if value == 'True':
        assert_error(resp, 403)
    else:
        # asking for less than everything may be refused or ignored
        if resp.status_int == 200:
            assert [e['message_id'] for e in resp.json] == MEMBER_SEES
        else:
            assert_error(resp, 403)


@pytest.mark.parametrize('path', [
    '/v2/event_types', '/v2/event_types/', '/v2/event_types/Type0/traits',
    '/v2/event_types/Type0/traits/n'])
def test_member_may_not_list_types_or_traits(app, data, path):
    resp = app.get(path, headers=MEMBER, status=401)
    assert_error(resp, 401, 'Not Authorized to access project proj-a')


# -------------------------------------------------------- missing identity


@pytest.mark.parametrize('headers', [
    {},
    {'X-Roles': 'admin'},
    {'X-Roles': 'admin', 'X-Project-Id': 'proj-admin'},
    {'X-Roles': 'admin', 'X-User-Id': 'u-admin'},
    {'X-Roles': 'member', 'X-User-Id': 'user-a'},
    {'X-Roles': 'reader', 'OpenStack-System-Scope': 'all'},
    {'X-User-Id': '', 'X-Project-Id': 'proj-a', 'X-Roles': 'admin'},
], ids=['nothing', 'roles-only', 'no-user', 'no-project',
        'member-no-project', 'system-no-user', 'empty-user'])
@pytest.mark.parametrize('path', [
    '/v2/events', '/v2/events/m-own', '/v2/event_types',
    '/v2/event_types/Type0/traits', '/v2/event_types/Type0/traits/n'])
def test_missing_identity_is_403(app, data, headers, path):
    resp = app.get(path, headers=headers, status=403)
    assert_error(resp, 403, RBAC_FAILED)


def test_capabilities_need_no_identity(app, data):
    assert app.get('/v2/capabilities').status_int == 200


# ------------------------------------------------------------- policy file


def test_policy_file_can_forbid_listing(tmp_path, conf, store, backend):
    """Rules come from the app's own policy file (telemetry:events:*)."""
    import webtest

    from panko_clone import storage
    from panko_clone.api import app as api_app
    from tests.helpers import make_conf

    policy = tmp_path / 'policy.yaml'
    policy.write_text('"telemetry:events:index": "role:nobody"\n'
                      '"telemetry:events:show": "role:nobody"\n')
    own_conf = make_conf(conf.database.connection)
    own_conf.set_override('policy_file', str(policy), 'oslo_policy')
    patch = pytest.MonkeyPatch()
    if backend == 'memory':
        patch.setattr(storage, 'get_connection', lambda url, c: store)
    try:
        client = webtest.TestApp(api_app.load_app(own_conf, 'panko+noauth'))
        resp = client.get('/v2/events', headers=ADMIN, status=403)
        assert_error(resp, 403, RBAC_FAILED)
        resp = client.get('/v2/events/x', headers=ADMIN, status=403)
        assert_error(resp, 403, RBAC_FAILED)
    finally:
        patch.undo()
        own_conf.reset()
