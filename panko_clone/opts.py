"""Every configuration option of panko_clone, in one place.

``list_opts`` feeds ``oslo-config-generator --namespace panko_clone``;
``register_opts`` is what ``prepare_service`` calls so that a fresh
``ConfigOpts`` knows every option before any code reads it.
"""

import os

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_middleware import cors
from oslo_middleware.healthcheck import opts as healthcheck_opts
from oslo_middleware import http_proxy_to_wsgi

from panko_clone.api import basic_auth
from panko_clone.api import health

API_OPTS = [
    cfg.IntOpt('default_api_return_limit',
               min=1,
               default=100,
               help='Default maximum number of items returned by API '
                    'request.'),
    cfg.StrOpt('auth_mode',
               default='keystone',
               choices=('keystone', 'noauth'),
               help='Authentication pipeline that build_wsgi_app serves: '
                    'keystone (the panko+keystone pipeline) or noauth '
                    '(identity headers trusted as sent; for development '
                    'and tests only).'),
    cfg.IntOpt('max_request_body_size',
               min=1,
               default=1048576 * 10,
               help='Largest request body, in bytes, that the API reads; '
                    'larger bodies are refused with 413.'),
]

DEFAULT_OPTS = [
    cfg.StrOpt('api_paste_config',
               default=os.path.join(os.path.dirname(__file__),
                                    'api', 'api_paste.ini'),
               help='Configuration file for the WSGI (paste) pipelines.'),
]

DATABASE_OPTS = [
    cfg.IntOpt('event_time_to_live',
               default=-1,
               help='Number of seconds that events are kept in the '
                    'database for (<= 0 means forever).'),
    cfg.IntOpt('events_delete_batch_size',
               default=0,
               min=0,
               help='Number of events deleted per batch by the expirer '
                    '(0 deletes all expired events at once).'),
]

STORAGE_OPTS = [
    cfg.IntOpt('max_retries',
               default=10,
               deprecated_group='database',
               help='Maximum number of connection retries during startup. '
                    'Set to -1 to specify an infinite retry count.'),
    cfg.IntOpt('retry_interval',
               default=10,
               deprecated_group='database',
               help='Interval (in seconds) between retries of '
                    'connection.'),
]


def default_database_url():
    """The embedded default: an SQLite file under the user's data dir.

    It is computed when options are registered, never at import time, so
    that nothing about the running machine is frozen into the module.
    """
    base = os.environ.get('XDG_DATA_HOME') or os.path.join(
        os.path.expanduser('~'), '.local', 'share')
    return 'sqlite:///' + os.path.join(base, 'panko_clone', 'panko.sqlite')


def list_opts():
    """Options per group, for oslo-config-generator."""
    return [
        ('DEFAULT', DEFAULT_OPTS),
        ('api', API_OPTS),
        ('database', DATABASE_OPTS),
        ('storage', STORAGE_OPTS),
        (basic_auth.GROUP, basic_auth.OPTS),
    ]


def set_defaults():
    """Defaults that differ from the libraries' own.

    The ``oslo.config.opts.defaults`` entry point, so that
    ``oslo-config-generator`` shows them; ``prepare_service`` calls it
    before any option is read. Like ``cors.set_defaults`` this changes
    the libraries' option objects themselves, always to the same values.
    """
    # The versions document links to the URL the client used, which a
    # reverse proxy only reveals in its X-Forwarded-*/Forwarded headers.
    cfg.set_defaults(http_proxy_to_wsgi.OPTS,
                     enable_proxy_headers_parsing=True)
    # The health check fails while the event storage does not answer.
    cfg.set_defaults(healthcheck_opts.HEALTHCHECK_OPTS,
                     backends=[health.NAME])
    cors.set_defaults(
        allow_headers=['X-Auth-Token', 'X-Identity-Status', 'X-Roles',
                       'X-Service-Catalog', 'X-User-Id', 'X-Tenant-Id',
                       'X-Project-Id', 'X-OpenStack-Request-ID',
                       'X-Openstack-System-Scope', 'OpenStack-System-Scope'],
        expose_headers=['X-Auth-Token', 'X-Subject-Token',
                        'X-Service-Token', 'X-OpenStack-Request-ID'],
        allow_methods=['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
    )


def register_opts(conf):
    """Register every option of panko_clone and of the libraries it uses."""
    for group, opts in list_opts():
        conf.register_opts(opts, group=None if group == 'DEFAULT' else group)
    db_options.set_defaults(conf, connection=default_database_url())
