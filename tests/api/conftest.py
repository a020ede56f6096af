"""The API under test: the noauth pipeline over the module's storage."""

import pytest
import webtest

from panko_clone import storage


@pytest.fixture(scope='module')
def app(conf, store, backend):
    """A webtest client for ``load_app(conf, 'panko+noauth')``.

    The SQL back ends are reached through the module's database, which the
    app opens by itself. An in-memory store is private to its connection,
    so for ``memory://`` the app is handed the module's connection through
    ``storage.get_connection`` (the documented hook for this).
    """
    from panko_clone.api import app as api_app

    patch = pytest.MonkeyPatch()
    if backend == 'memory':
        real = storage.get_connection

        def get_connection(url, conf_):
            return store if url == 'memory://' else real(url, conf_)

        patch.setattr(storage, 'get_connection', get_connection)
    try:
        yield webtest.TestApp(api_app.load_app(conf, 'panko+noauth'))
    finally:
        patch.undo()


@pytest.fixture(scope='module')
def token_fixture():
    """keystonemiddleware's own ``AuthTokenFixture``: tokens added to it
    are accepted by the real authtoken middleware, no Keystone needed."""
    from keystonemiddleware import fixture as ksm_fixture

    fixture = ksm_fixture.AuthTokenFixture()
    fixture.setUp()
    yield fixture
    fixture.cleanUp()
