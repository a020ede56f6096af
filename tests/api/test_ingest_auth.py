"""HTTP Basic credentials: the route for Ceilometer's http publisher.

Through both paste pipelines (``panko+noauth`` and ``panko+keystone``)
on every back end. The last tests serve the app over a real socket and
post to it exactly as the stock publisher does (``requests``, its
headers, its URL handling, batched and not).
"""

import base64
import contextlib
import datetime
import threading
from wsgiref import simple_server

import pytest

from panko_clone.api import basic_auth
from tests import ceilometer_standins as ceilo
from tests.api import apps
from tests.api import personas
from tests.helpers import assert_error, fetch, ids

USER, PASSWORD = 'ceilometer', 'correct horse \u00e9 battery'
# What fits in a publisher URL without percent-encoding (Ceilometer
# hands the URL's password to requests as written).
URL_PASSWORD = 'Ceil0meter-s3cret_42'
AUTH_REQUIRED = 'The request you have made requires authentication.'


def basic(user=USER, password=PASSWORD):
    token = base64.b64encode(('%s:%s' % (user, password)).encode('utf-8'))
    return {'Authorization': 'Basic ' + token.decode('ascii')}


def body_of(*message_ids):
    return [{'message_id': mid, 'event_type': 'compute.instance.exists',
             'generated': '2015-01-01T00:00:00',
             'traits': [['project_id', 1, 'p-tenant'],
                        ['memory_mb', 2, 512]],
             'raw': {}} for mid in message_ids]


def post(client, body, headers, status=201, path='/v2/events'):
    return client.post_json(path, body, headers=headers, status=status)


@contextlib.contextmanager
def client(conf, store, backend, pipeline='noauth', **options):
    """A client of ``panko+<pipeline>`` with ``[basic_auth]`` options."""
    app_conf = apps.own_conf(conf)
    settings = {'username': USER, 'password': PASSWORD,
                'project_id': 'p-service'}
    settings.update(options)
    for name, value in settings.items():
        app_conf.set_override(name, value, basic_auth.GROUP)
    try:
        with apps.client_for(app_conf, pipeline, store, backend) as c:
            yield c
    finally:
        app_conf.reset()


@pytest.fixture(params=apps.PIPELINES)
def pipeline(request):
    return request.param


@pytest.fixture
def api(conf, store, backend, conn, pipeline):
    with client(conf, store, backend, pipeline) as c:
        yield c


class TestBasicCredentials:

    def test_the_principal_posts_a_batch(self, api, conn):
        resp = post(api, body_of('b-1', 'b-2'), basic())
        assert resp.json == {'created': ['b-1', 'b-2'], 'duplicates': []}
        assert sorted(ids(fetch(conn))) == ['b-1', 'b-2']

    def test_and_one_event_at_a_time(self, api, conn):
        post(api, body_of('one')[0], basic())
        resp = post(api, body_of('one')[0], basic())
        assert resp.json == {'created': [], 'duplicates': ['one']}
        assert ids(fetch(conn)) == ['one']

    @pytest.mark.parametrize('headers', [
        basic(password='wrong'), basic(user='someone'),
        basic(password=PASSWORD + 'x'), basic(password=''),
        basic(user=USER.upper())],
        ids=['password', 'user', 'longer', 'empty', 'case'])
    def test_wrong_credentials_are_401(self, api, conn, headers):
        resp = post(api, body_of('x'), headers, status=401)
        assert_error(resp, 401, basic_auth.INVALID)
        assert resp.headers['WWW-Authenticate'] == (
            'Basic realm="panko_clone"')
        assert fetch(conn) == []

    @pytest.mark.parametrize('value', [
        'Basic', 'Basic !!!not-base64', 'Basic ' + base64.b64encode(
            b'no-colon').decode(), 'basic  '],
        ids=['no-token', 'not-base64', 'no-colon', 'blank'])
    def test_malformed_credentials_are_401(self, api, conn, value):
        resp = post(api, body_of('x'), {'Authorization': value},
                    status=401)
        assert_error(resp, 401, basic_auth.MALFORMED)
        assert fetch(conn) == []

    def test_scheme_is_case_insensitive(self, api, conn):
        headers = {'Authorization': basic()['Authorization'].replace(
            'Basic', 'BASIC')}
        assert post(api, body_of('ci'), headers).json['created'] == ['ci']

    @pytest.mark.parametrize('method, path', [
        ('GET', '/v2/events'), ('GET', '/v2/events/b-1'),
        ('DELETE', '/v2/events/b-1'), ('GET', '/v2/event_types'),
        ('GET', '/v2/capabilities'), ('POST', '/v2/event_types'),
        ('PUT', '/v2/events')])
    def test_only_post_events_is_open(self, api, conn, method, path):
        conn.record_events(personas.stored_events())
        before = sorted(ids(fetch(conn)))
        resp = api.request(path, method=method, headers=basic(),
                           expect_errors=True)
        assert_error(resp, 403, basic_auth.POST_ONLY)
        assert sorted(ids(fetch(conn))) == before

    def test_identity_headers_sent_along_are_ignored(
            self, conf, store, backend, conn, pipeline):
        spoofed = dict(basic(), **{
            'X-Roles': 'admin', 'X-User-Id': 'u-admin',
            'X-Project-Id': 'p1', 'OpenStack-System-Scope': 'all'})
        with client(conf, store, backend, pipeline,
                    roles=['member']) as api:
            resp = post(api, body_of('spoof'), spoofed, status=403)
        assert_error(resp, 403, 'RBAC Authorization Failed')
        assert fetch(conn) == []

    def test_roles_come_from_the_configuration(self, conf, store, backend,
                                               conn, pipeline):
        with client(conf, store, backend, pipeline,
                    roles=['reader']) as api:
            resp = post(api, body_of('r'), basic(), status=403)
            assert_error(resp, 403, 'RBAC Authorization Failed')
        with client(conf, store, backend, pipeline,
                    roles=['admin']) as api:
            assert post(api, body_of('r'), basic()).json['created'] == [
                'r']

    def test_system_scoped_principal(self, conf, store, backend, conn,
                                     pipeline):
        with client(conf, store, backend, pipeline,
                    project_id=None) as api:
            assert post(api, body_of('sys'), basic()).json['created'] == [
                'sys']

    @pytest.mark.parametrize('options', [
        {'username': None}, {'password': None},
        {'username': None, 'password': None}],
        ids=['no-username', 'no-password', 'nothing'])
    def test_off_unless_configured(self, conf, store, backend, conn,
                                   pipeline, options):
        with client(conf, store, backend, pipeline, **options) as api:
            resp = post(api, body_of('x'), basic(), status=401)
        assert_error(resp, 401, basic_auth.NOT_CONFIGURED)
        assert fetch(conn) == []

    def test_bad_events_are_400_as_usual(self, api, conn):
        resp = post(api, [{'event_type': 't', 'traits': [['n', 2, 'x']]}],
                    basic(), status=400)
        assert_error(resp, 400, 'Invalid events, nothing was stored: '
                                'event 0: traits[0] (n) value is not an '
                                'integer.')


def test_defaults_configure_no_credentials():
    defaults = {opt.name: opt.default for opt in basic_auth.OPTS}
    assert defaults == {'username': None, 'password': None,
                        'user_id': None, 'project_id': None,
                        'roles': ['service']}
    assert [opt.secret for opt in basic_auth.OPTS
            if opt.name == 'password'] == [True]


class TestKeystoneStillRules:
    """Basic credentials add a route; they take nothing from authtoken."""

    def test_no_token_is_still_401(self, conf, store, backend, conn):
        with client(conf, store, backend, 'keystone') as api:
            resp = post(api, body_of('k'), {}, status=401)
            assert_error(resp, 401, AUTH_REQUIRED)
            resp = api.get('/v2/events', status=401)
            assert_error(resp, 401, AUTH_REQUIRED)

    def test_a_service_token_posts_too(self, conf, store, backend, conn,
                                       token_fixture):
        token = token_fixture.add_token(
            personas.PERSONAS['service'].token())
        with client(conf, store, backend, 'keystone') as api:
            post(api, body_of('tok'), {'X-Auth-Token': token})
            post(api, body_of('bas'), basic())
        assert sorted(ids(fetch(conn))) == ['bas', 'tok']


# ------------------------------------------ over a socket, as Ceilometer


@contextlib.contextmanager
def serving(wsgi_app):
    """``wsgi_app`` on a free localhost port, for the test's duration."""

    class Quiet(simple_server.WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = simple_server.make_server('127.0.0.1', 0, wsgi_app,
                                       handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def ceilometer_events(prefix, count):
    generated = datetime.datetime(2016, 2, 3, 4, 5, 6, 789000)
    return [ceilo.Event(
        '%s-%d' % (prefix, i), 'compute.instance.create.end', generated,
        [ceilo.Trait('project_id', ceilo.Trait.TEXT_TYPE, 'p-tenant'),
         ceilo.Trait('vcpus', ceilo.Trait.INT_TYPE, i),
         ceilo.Trait('launched_at', ceilo.Trait.DATETIME_TYPE,
                     datetime.datetime(2016, 2, 3, 4, 0)),
         ceilo.Trait('disk_gb', ceilo.Trait.FLOAT_TYPE, 1.5)],
        {'event_type': 'compute.instance.create.end',
         'payload': {'n\u00e9': i}}) for i in range(count)]


@pytest.mark.parametrize('query, posts', [
    ('batch=True&timeout=5&max_retries=2', 1),
    ('', 1),
    ('batch=False', 3)], ids=['batch', 'default', 'one-by-one'])
def test_ceilometer_http_publisher(conf, store, backend, conn, pipeline,
                                   query, posts):
    events = ceilometer_events('h', 3)
    with client(conf, store, backend, pipeline,
                password=URL_PASSWORD) as api:
        with serving(api.app) as base:
            netloc = base.replace('http://', 'http://%s:%s@' % (
                USER, URL_PASSWORD))
            url = '%s/v2/events?%s' % (netloc, query)
            responses = ceilo.http_publish(url, events)
            again = ceilo.http_publish(url, events)
    assert [r.status_code for r in responses] == [201] * posts
    created = [mid for r in responses for mid in r.json()['created']]
    assert created == ['h-0', 'h-1', 'h-2']
    assert [mid for r in again for mid in r.json()['duplicates']] == [
        'h-0', 'h-1', 'h-2']
    [stored] = fetch(conn, message_id='h-2')
    assert (stored.event_type, stored.generated, stored.raw) == (
        'compute.instance.create.end',
        datetime.datetime(2016, 2, 3, 4, 5, 6, 789000),
        {'event_type': 'compute.instance.create.end',
         'payload': {'n\u00e9': 2}})
    assert sorted((t.name, t.dtype, t.value) for t in stored.traits) == [
        ('disk_gb', 3, 1.5),
        ('launched_at', 4, datetime.datetime(2016, 2, 3, 4, 0)),
        ('project_id', 1, 'p-tenant'), ('vcpus', 2, 2)]


def test_ceilometer_http_publisher_with_a_wrong_password(
        conf, store, backend, conn, pipeline):
    with client(conf, store, backend, pipeline,
                password=URL_PASSWORD) as api:
        with serving(api.app) as base:
            url = base.replace('http://', 'http://%s:nope@' % USER)
            responses = ceilo.http_publish(url + '/v2/events',
                                           ceilometer_events('w', 2))
    assert [r.status_code for r in responses] == [401]
    assert fetch(conn) == []
