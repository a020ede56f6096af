"""The API under test: the noauth pipeline over the module's storage."""

import pytest

from tests.api import apps


@pytest.fixture(scope='module')
def app(conf, store, backend):
    """A webtest client for ``load_app(conf, 'panko+noauth')``.

    The SQL back ends are reached through the module's database, which the
    app opens by itself; ``memory://`` is handed the module's connection
    (see ``apps.client_for``).
    """
    with apps.client_for(conf, 'noauth', store, backend) as client:
        yield client


@pytest.fixture(scope='module')
def token_fixture():
    """keystonemiddleware's own ``AuthTokenFixture``: tokens added to it
    are accepted by the real authtoken middleware, no Keystone needed."""
    from keystonemiddleware import fixture as ksm_fixture

    fixture = ksm_fixture.AuthTokenFixture()
    fixture.setUp()
    yield fixture
    fixture.cleanUp()
