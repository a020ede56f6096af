"""Every persona x every read endpoint, through both pipelines.

Run on every back end, for each policy variant of ``personas.VARIANTS``
(the defaults and an operator's YAML or JSON overrides), with
oslo.policy's ``enforce_new_defaults`` off and on, and with scope
enforced as oslo.policy 6 always does (``enforce_scope`` off and on too
where the installed oslo.policy still has the option). The status and
the exact events each persona gets come from the one table in
``personas``, whichever pipeline served the request.
"""

import contextlib
import itertools

import pytest

from tests.api import apps
from tests.api import personas
from tests.helpers import assert_error
from tests.helpers import q_params

RBAC_FAILED = 'RBAC Authorization Failed'
AUTH_REQUIRED = 'The request you have made requires authentication.'

SETTINGS = [
    pytest.param(
        (pipeline, new_defaults, scope, variant),
        id='%s-%s-%s-%s' % (
            pipeline, 'new' if new_defaults else 'old',
            'scope' if scope is None else 'scope-%s' % scope, variant))
    for pipeline, new_defaults, scope, variant in itertools.product(
        apps.PIPELINES, (False, True), apps.scope_settings(),
        personas.VARIANTS)
]


class Setting:
    """One app under one configuration, and how to call it as anyone."""

    def __init__(self, client, pipeline, variant, tokens):
        self.client = client
        self.pipeline = pipeline
        self.variant = variant
        self.tokens = tokens

    def get(self, persona, path, status, params=()):
        if self.pipeline == 'keystone':
            token = self.tokens.get(persona)
            headers = {'X-Auth-Token': token} if token else {}
        else:
            headers = personas.PERSONAS[persona].headers()
        return self.client.get(path, params=list(params), headers=headers,
                               status=status)

    def refusal(self, persona):
        """(status, faultstring) for a caller without usable identity."""
        if self.pipeline == 'keystone' and persona == 'anonymous':
            return 401, AUTH_REQUIRED
        return 403, RBAC_FAILED


@pytest.fixture(scope='module')
def tokens(token_fixture):
    """Token id per persona that has one."""
    return {name: token_fixture.add_token(p.token())
            for name, p in personas.PERSONAS.items() if p.token()}


@pytest.fixture(scope='module')
def data(store):
    """The table's events, stored once: every test here only reads."""
    store.clear()
    store.upgrade()
    store.record_events(personas.stored_events())
    return store


@pytest.fixture(scope='module')
def settings(conf, data, backend, tmp_path_factory, tokens):
    """``settings(key)``: the app for one setting, built on first use.

    Apps are kept until the module's back end is done. Building them
    here rather than in a parametrized module fixture keeps pytest
    from interleaving settings with back ends, which would recreate
    the module's database for every setting.
    """
    built = {}
    with contextlib.ExitStack() as stack:
        def get(key):
            if key not in built:
                pipeline, new_defaults, scope, name = key
                variant = personas.VARIANTS[name]
                policy_file = variant.write(
                    tmp_path_factory.mktemp('policy'))
                app_conf = apps.own_conf(conf, policy_file, new_defaults,
                                         scope)
                stack.callback(app_conf.reset)
                client = stack.enter_context(
                    apps.client_for(app_conf, pipeline, data, backend))
                built[key] = Setting(client, pipeline, variant, tokens)
            return built[key]

        yield get


def expect_refused(setting, persona, path, params=()):
    status, faultstring = setting.refusal(persona)
    resp = setting.get(persona, path, status, params)
    assert_error(resp, status, faultstring)


# ------------------------------------------------------------ endpoints


def check_list(setting, persona, expect):
    if not expect.identity:
        return expect_refused(setting, persona, '/v2/events')
    if not expect.index:
        resp = setting.get(persona, '/v2/events', 403)
        return assert_error(resp, 403, RBAC_FAILED)
    resp = setting.get(persona, '/v2/events', 200)
    # In the default order (generated, then message_id), which is ALL's.
    assert [e['message_id'] for e in resp.json] == [
        mid for mid in personas.ALL if mid in expect.visible]


def check_all_tenants(setting, persona, expect):
    params = q_params({'field': 'all_tenants', 'value': 'True'})
    if not expect.identity:
        return expect_refused(setting, persona, '/v2/events', params)
    if not (expect.index and expect.unrestricted):
        resp = setting.get(persona, '/v2/events', 403, params)
        return assert_error(resp, 403, RBAC_FAILED)
    resp = setting.get(persona, '/v2/events', 200, params)
    assert [e['message_id'] for e in resp.json] == personas.ALL


def check_show(setting, persona, expect):
    for mid in personas.ALL + ['no-such-event']:
        path = '/v2/events/' + mid
        if not expect.identity:
            expect_refused(setting, persona, path)
        elif not expect.show:
            assert_error(setting.get(persona, path, 403), 403, RBAC_FAILED)
        elif mid in expect.visible:
            body = setting.get(persona, path, 200).json
            assert (body['message_id'], body['raw']) == (mid, {'id': mid})
        else:
            resp = setting.get(persona, path, 404)
            assert_error(resp, 404, 'Event %s Not Found' % mid)


def _types_endpoint(setting, persona, expect, path):
    """The body for an unrestricted caller; None once refusal checked."""
    if not expect.identity:
        return expect_refused(setting, persona, path)
    if not expect.unrestricted:
        caller = personas.PERSONAS[persona]
        where = ('project %s' % caller.project if caller.project
                 else 'system all')
        resp = setting.get(persona, path, 401)
        return assert_error(resp, 401, 'Not Authorized to access ' + where)
    return setting.get(persona, path, 200).json


def check_event_types(setting, persona, expect):
    body = _types_endpoint(setting, persona, expect, '/v2/event_types')
    if expect.unrestricted:
        assert body == personas.EVENT_TYPES


def check_trait_descriptions(setting, persona, expect):
    body = _types_endpoint(setting, persona, expect,
                           '/v2/event_types/%s/traits'
                           % personas.TRAITS_TYPE)
    if expect.unrestricted:
        assert body == personas.TRAIT_DESCRIPTIONS


def check_trait_values(setting, persona, expect):
    body = _types_endpoint(setting, persona, expect,
                           '/v2/event_types/%s/traits/%s'
                           % (personas.TRAITS_TYPE, personas.TRAIT_NAME))
    if expect.unrestricted:
        assert sorted(body, key=lambda t: t['value']) == \
            personas.TRAIT_VALUES


def check_statistics(setting, persona, expect):
    """Statistics count what a listing would show."""
    path = '/v2/events/statistics'
    if not expect.identity:
        return expect_refused(setting, persona, path)
    if not expect.index:
        return assert_error(setting.get(persona, path, 403), 403,
                            RBAC_FAILED)
    body = setting.get(persona, path, 200,
                       [('groupby', 'event_type')]).json
    counts = {b['groupby']['event_type']: b['count'] for b in body}
    expected = {}
    for mid in expect.visible:
        etype = personas.EVENT_TYPE_OF[mid]
        expected[etype] = expected.get(etype, 0) + 1
    assert counts == expected


def check_capabilities(setting, persona, expect):
    if setting.pipeline == 'keystone' and persona == 'anonymous':
        return expect_refused(setting, persona, '/v2/capabilities')
    body = setting.get(persona, '/v2/capabilities', 200).json
    assert set(body) == {'api', 'event_storage'}
    assert body['api']['events:query:simple'] is True


def check_root(setting, persona, expect):
    body = setting.get(persona, '/', 200).json
    [version] = body['versions']['values']
    assert version['id'] == 'v2'
    if setting.pipeline == 'keystone' and persona == 'anonymous':
        return expect_refused(setting, persona, '/v2')
    body = setting.get(persona, '/v2', 200).json
    assert body['version']['id'] == 'v2'


CHECKS = {
    'list': check_list,
    'all-tenants': check_all_tenants,
    'show': check_show,
    'event-types': check_event_types,
    'trait-descriptions': check_trait_descriptions,
    'trait-values': check_trait_values,
    'statistics': check_statistics,
    'capabilities': check_capabilities,
    'root': check_root,
}


@pytest.mark.parametrize('endpoint', list(CHECKS))
@pytest.mark.parametrize('persona', list(personas.PERSONAS))
@pytest.mark.parametrize('key', SETTINGS)
def test_persona_endpoint(settings, key, persona, endpoint):
    setting = settings(key)
    CHECKS[endpoint](setting, persona, setting.variant.expect(persona))
