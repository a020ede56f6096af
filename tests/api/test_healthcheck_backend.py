"""The storage probe is an ordinary oslo.middleware healthcheck backend.

Loaded by name from ``[healthcheck] backends`` (entry point group
``oslo.middleware.healthcheck``), on by default, and left out when an
operator lists other backends without it.
"""

import pytest
from oslo_middleware import opts as middleware_opts

from panko_clone.api import health
from tests.api import apps
from tests.helpers import make_conf

JSON = {'Accept': 'application/json'}
UNREACHABLE = 'postgresql+psycopg2://postgres@127.0.0.1:1/nowhere'


@pytest.fixture
def build(conf, store, backend):
    """Noauth clients on the module's database, with [healthcheck]
    options set before the app is built (oslo.middleware reads them
    then)."""
    done = []

    def make(url=None, **options):
        app_conf = make_conf(url) if url else apps.own_conf(conf)
        # The middleware registers these itself, identically.
        for group, opts in middleware_opts.list_opts_healthcheck():
            app_conf.register_opts(opts, group=group)
        for name, value in options.items():
            app_conf.set_override(name, value, 'healthcheck')
        ctx = apps.client_for(app_conf, 'noauth', store, backend)
        done.append((ctx, app_conf))
        return ctx.__enter__()

    yield make
    for ctx, app_conf in reversed(done):
        ctx.__exit__(None, None, None)
        app_conf.reset()


def reasons(resp):
    return [r['reason'] for r in resp.json['reasons']]


def test_storage_probe_is_on_by_default(build):
    client = build(detailed=True)
    resp = client.get('/healthcheck', headers=JSON)
    assert resp.status_int == 200
    assert reasons(resp) == ['Event storage OK']


def test_unreachable_storage_fails_the_check(build):
    client = build(UNREACHABLE, detailed=True)
    resp = client.get('/healthcheck', headers=JSON, status=503)
    assert reasons(resp) == ['Event storage unreachable']


def test_operator_backends_replace_the_default(build, tmp_path):
    """Listing backends without ours drops the storage probe; naming
    it keeps it next to the others."""
    off = tmp_path / 'disabled'
    client = build(UNREACHABLE, backends=['disable_by_file'],
                   disable_by_file_path=str(off))
    assert client.get('/healthcheck').status_int == 200
    both = build(UNREACHABLE, detailed=True,
                 backends=['disable_by_file', health.NAME],
                 disable_by_file_path=str(off))
    resp = both.get('/healthcheck', headers=JSON, status=503)
    assert reasons(resp) == ['OK', 'Event storage unreachable']
    off.write_text('')
    resp = client.get('/healthcheck', status=503)
    assert 'DISABLED BY FILE' in resp.text
