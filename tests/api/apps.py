"""Building API clients for the persona tests: either pipeline, own conf.

Each app gets a configuration object of its own (same database as the
module's), so its policy options and policy file belong to it alone.
"""

import contextlib

import pytest
import webtest
from keystonemiddleware import auth_token
from oslo_policy import opts as policy_opts

from panko_clone import storage
from tests.helpers import make_conf

PIPELINES = ('noauth', 'keystone')

KEYSTONE_URI = 'https://keystone.example.com/identity'


def scope_settings():
    """Values to run ``[oslo_policy] enforce_scope`` with.

    oslo.policy 6 dropped the option and always enforces scope (None:
    leave it alone); where an older oslo.policy still has it, both.
    """
    names = {opt.name for _, opts in policy_opts.list_opts()
             for opt in opts}
    return [False, True] if 'enforce_scope' in names else [None]


def configure_keystone(conf):
    """What an operator's ``[keystone_authtoken]`` holds at the least.

    keystonemiddleware registers these options itself, identically, when
    the middleware is built; registering them first lets us set them.
    """
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('www_authenticate_uri', KEYSTONE_URI,
                      'keystone_authtoken')


@contextlib.contextmanager
def client_for(conf, pipeline, store, backend):
    """A webtest client for ``panko+<pipeline>`` built from ``conf``.

    An in-memory store is private to its connection, so for
    ``memory://`` the app is handed the module's own through
    ``storage.get_connection``, the documented hook for this.
    """
    from panko_clone.api import app as api_app

    patch = pytest.MonkeyPatch()
    if backend == 'memory':
        real = storage.get_connection

        def get_connection(url, conf_):
            return store if url == 'memory://' else real(url, conf_)

        patch.setattr(storage, 'get_connection', get_connection)
    try:
        if pipeline == 'keystone':
            configure_keystone(conf)
        yield webtest.TestApp(api_app.load_app(conf, 'panko+' + pipeline))
    finally:
        patch.undo()


def own_conf(module_conf, policy_file=None, new_defaults=None,
             enforce_scope=None):
    """A fresh configuration on the module's database, with policy."""
    conf = make_conf(module_conf.database.connection)
    if policy_file is not None:
        conf.set_override('policy_file', policy_file, 'oslo_policy')
    if new_defaults is not None:
        conf.set_override('enforce_new_defaults', new_defaults,
                          'oslo_policy')
    if enforce_scope is not None:
        conf.set_override('enforce_scope', enforce_scope, 'oslo_policy')
    return conf

