"""An operator's policy file, as each app reads it.

Each app builds its enforcer from its own configuration: two apps in one
process with two policy files decide independently; an edited file, a
changed ``[oslo_policy] policy_file`` and a ``policy.d`` directory all
take effect on the next request; an unreadable file denies, it never
fails with a 500; an absent one means the defaults.
"""

import json

import pytest

from tests.api import apps
from tests.api import personas
from tests.helpers import assert_error
from tests.helpers import q_params
from tests.helpers import write_policy

RBAC_FAILED = 'RBAC Authorization Failed'
WHOLE_PROJECT_YAML = '"telemetry:events:whole_project": "role:reader"\n'
DENY_INDEX_JSON = json.dumps({'telemetry:events:index': '!'})


@pytest.fixture
def data(conn):
    conn.record_events(personas.stored_events())
    return conn


@pytest.fixture
def make_client(conf, store, backend):
    """Builds noauth clients with their own conf; cleans up after."""
    confs = []
    stack = []

    def make(policy_file=None, pipeline='noauth', **options):
        app_conf = apps.own_conf(conf, policy_file)
        for name, value in options.items():
            app_conf.set_override(name, value, 'oslo_policy')
        confs.append(app_conf)
        ctx = apps.client_for(app_conf, pipeline, store, backend)
        stack.append(ctx)
        return ctx.__enter__(), app_conf

    yield make
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)
    for app_conf in confs:
        app_conf.reset()


def as_(name):
    return personas.PERSONAS[name].headers()


def listed(client, name, status=200, params=()):
    resp = client.get('/v2/events', headers=as_(name), status=status,
                      params=list(params))
    if status != 200:
        assert_error(resp, status, RBAC_FAILED)
        return None
    return [e['message_id'] for e in resp.json]


def test_two_apps_with_two_policy_files_stay_independent(
        data, make_client, tmp_path):
    yaml_file = write_policy(tmp_path / 'a.yaml', WHOLE_PROJECT_YAML)
    json_file = write_policy(tmp_path / 'b.json', DENY_INDEX_JSON)
    default, _ = make_client()
    readers, _ = make_client(yaml_file)
    denied, _ = make_client(json_file)
    for _ in range(2):  # interleaved, twice: no enforcer leaks over
        assert listed(default, 'project-reader') == ['e2']
        assert listed(readers, 'project-reader') == personas.P1
        assert listed(denied, 'project-reader', 403) is None
        assert listed(default, 'project-admin') == [
            'e1', 'e2', 'e4', 'e5', 'e7']
        assert listed(denied, 'project-admin', 403) is None


def test_keystone_and_noauth_apps_with_two_files(data, make_client,
                                                 tmp_path, token_fixture):
    """The same holds for a keystone app next to a noauth one."""
    token = token_fixture.add_token(
        personas.PERSONAS['project-reader'].token())
    keystone, _ = make_client(
        write_policy(tmp_path / 'k.yaml', WHOLE_PROJECT_YAML), 'keystone')
    noauth, _ = make_client(write_policy(tmp_path / 'n.json', DENY_INDEX_JSON))
    resp = keystone.get('/v2/events', headers={'X-Auth-Token': token})
    assert [e['message_id'] for e in resp.json] == personas.P1
    assert listed(noauth, 'project-reader', 403) is None


def test_edited_policy_file_applies_on_next_request(data, make_client,
                                                    tmp_path):
    path = tmp_path / 'policy.yaml'
    client, _ = make_client(write_policy(path, '{}\n'))
    assert listed(client, 'project-reader') == ['e2']
    write_policy(path, WHOLE_PROJECT_YAML)
    assert listed(client, 'project-reader') == personas.P1
    write_policy(path, '"telemetry:events:index": "!"\n')
    assert listed(client, 'project-reader', 403) is None


def test_changed_policy_file_option_applies_on_next_request(
        data, make_client, tmp_path):
    client, app_conf = make_client()
    assert listed(client, 'project-member') == ['e1']
    policy_file = write_policy(tmp_path / 'p.yaml', WHOLE_PROJECT_YAML)
    app_conf.set_override('policy_file', policy_file, 'oslo_policy')
    assert listed(client, 'project-member') == personas.P1
    app_conf.clear_override('policy_file', 'oslo_policy')
    assert listed(client, 'project-member') == ['e1']


def test_policy_dirs_override_the_defaults(data, make_client, tmp_path):
    policy_d = tmp_path / 'policy.d'
    policy_d.mkdir()
    write_policy(policy_d / '50-readers.yaml', WHOLE_PROJECT_YAML)
    client, _ = make_client(policy_dirs=[str(policy_d)])
    assert listed(client, 'project-reader') == personas.P1


def test_overriding_context_is_admin_moves_segregation(data, make_client,
                                                       tmp_path):
    client, _ = make_client(write_policy(tmp_path / 'p.yaml',
                                  'context_is_admin: "role:auditor"\n'))
    # Admin alone no longer counts; an auditor of p1 does.
    assert listed(client, 'project-admin') == ['e5']
    auditor = dict(as_('project-reader'), **{'X-Roles': 'auditor'})
    resp = client.get('/v2/events', headers=auditor,
                      params=q_params({'field': 'all_tenants',
                                       'value': 'True'}))
    assert [e['message_id'] for e in resp.json] == personas.ALL
    client.get('/v2/event_types', headers=auditor, status=200)


@pytest.mark.parametrize('content', [
    '"telemetry:events:index": [unclosed\n',
    '{"telemetry:events:index": ',
    'just a string\n',
], ids=['bad-yaml', 'bad-json', 'not-a-mapping'])
def test_unreadable_policy_file_denies_without_500(data, make_client,
                                                   tmp_path, content):
    client, _ = make_client(write_policy(tmp_path / 'broken.yaml', content))
    assert listed(client, 'project-admin', 403) is None
    resp = client.get('/v2/event_types', headers=as_('project-admin'),
                      expect_errors=True)
    assert resp.status_int in (401, 403)
    assert_error(resp, resp.status_int)
    # What needs no policy keeps working.
    assert client.get('/v2/capabilities').status_int == 200


def test_absent_policy_file_means_the_defaults(data, make_client,
                                               tmp_path):
    """As oslo.policy does: no file (yet) is no override; one created
    later is picked up without a restart."""
    path = tmp_path / 'later.yaml'
    client, _ = make_client(str(path))
    assert listed(client, 'project-reader') == ['e2']
    write_policy(path, WHOLE_PROJECT_YAML)
    assert listed(client, 'project-reader') == personas.P1
