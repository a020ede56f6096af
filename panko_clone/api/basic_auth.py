"""HTTP Basic credentials for Ceilometer's stock http publisher.

That publisher cannot get a Keystone token: it can only send Basic
credentials taken from its URL (or a client certificate). So the
operator configures one service principal under ``[basic_auth]``; a
request carrying ``Authorization: Basic ...`` is checked against it and,
when it matches, runs as that principal (its roles, by default
``service``, are what ``telemetry:events:create`` allows). Such a
request may only ``POST /v2/events``: the password sits in a pipeline
file on every Ceilometer node, so it opens no other door.

Every other request is left to the pipeline's own authentication
(keystonemiddleware, or nothing in noauth mode). Identity headers the
client sent are dropped before the principal's are set, so a Basic
caller cannot claim anything beyond its configuration. Nothing is
configured by default: with no username and password every Basic
request is refused.
"""

import base64
import binascii
import hashlib
import hmac

from oslo_config import cfg
from oslo_log import log

from panko_clone.api import middleware

LOG = log.getLogger(__name__)

GROUP = 'basic_auth'

OPTS = [
    cfg.StrOpt('username',
               help='User name the Ceilometer http publisher sends in its '
                    'URL (http://<username>:<password>@host/v2/events). '
                    'Unset: HTTP Basic authentication is off.'),
    cfg.StrOpt('password',
               secret=True,
               help='Password of that user. Unset: HTTP Basic '
                    'authentication is off.'),
    cfg.StrOpt('user_id',
               help='User id the principal acts as (default: the user '
                    'name).'),
    cfg.StrOpt('project_id',
               help='Project the principal acts in. Unset: the principal '
                    'is system-scoped.'),
    cfg.ListOpt('roles',
                default=['service'],
                help='Roles of the principal; telemetry:events:create '
                     'allows "service" by default.'),
]

REALM = 'panko_clone'
ALLOWED_PATHS = ('/v2/events', '/v2/events/')

NOT_CONFIGURED = 'HTTP Basic authentication is not enabled.'
MALFORMED = 'Malformed HTTP Basic credentials.'
INVALID = 'Invalid HTTP Basic credentials.'
POST_ONLY = ('HTTP Basic credentials may only be used to post events '
             '(POST /v2/events).')

# Request headers that carry an identity; never taken from a Basic
# caller. The proxy and request-id headers have been consumed by then.
_KEEP_PREFIXES = ('HTTP_X_FORWARDED_', 'HTTP_X_OPENSTACK_REQUEST_ID')


def list_opts():
    return [(GROUP, OPTS)]


def is_basic(environ):
    scheme = environ.get('HTTP_AUTHORIZATION', '').split(' ', 1)[0]
    return scheme.lower() == 'basic'


def _digest(text):
    return hashlib.sha256(text).digest()


def _credentials(environ):
    """(username, password) as bytes from the header, or None."""
    token = environ.get('HTTP_AUTHORIZATION', '').split(' ', 1)[1:]
    try:
        decoded = base64.b64decode(token[0].strip(), validate=True)
    except (IndexError, binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(b':')
    if not sep:
        return None
    return username, password


class BasicAuth:
    """Authenticate a Basic request as the configured principal."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        opts = self.conf[GROUP]
        if not opts.username or not opts.password:
            return self._refuse(401, NOT_CONFIGURED, environ, start_response)
        given = _credentials(environ)
        if given is None:
            return self._refuse(401, MALFORMED, environ, start_response)
        # Digests first, so the comparison takes the same time whatever
        # the lengths; both are always compared.
        user_ok = hmac.compare_digest(
            _digest(given[0]), _digest(opts.username.encode('utf-8')))
        password_ok = hmac.compare_digest(
            _digest(given[1]), _digest(opts.password.encode('utf-8')))
        if not (user_ok and password_ok):
            LOG.warning('Refused HTTP Basic credentials from %s',
                        environ.get('REMOTE_ADDR'))
            return self._refuse(401, INVALID, environ, start_response)
        if (environ.get('REQUEST_METHOD') != 'POST'
                or environ.get('PATH_INFO') not in ALLOWED_PATHS):
            return self._refuse(403, POST_ONLY, environ, start_response)
        self._set_identity(environ, opts)
        return self.app(environ, start_response)

    @staticmethod
    def _set_identity(environ, opts):
        for key in list(environ):
            if ((key.startswith('HTTP_X_')
                 and not key.startswith(_KEEP_PREFIXES))
                    or key == 'HTTP_OPENSTACK_SYSTEM_SCOPE'):
                del environ[key]
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        environ['HTTP_X_USER_ID'] = opts.user_id or opts.username
        environ['HTTP_X_USER_NAME'] = opts.username
        environ['HTTP_X_ROLES'] = ','.join(opts.roles or ())
        if opts.project_id:
            environ['HTTP_X_PROJECT_ID'] = opts.project_id
        else:
            environ['HTTP_OPENSTACK_SYSTEM_SCOPE'] = 'all'

    @staticmethod
    def _refuse(status, message, environ, start_response):
        error = middleware.json_error(status, message)
        if status == 401:
            error.headers['WWW-Authenticate'] = 'Basic realm="%s"' % REALM
        return error(environ, start_response)


class Dispatch:
    """Basic requests to ``basic``, every other request to ``other``."""

    def __init__(self, basic, other):
        self.basic = basic
        self.other = other

    def __call__(self, environ, start_response):
        app = self.basic if is_basic(environ) else self.other
        return app(environ, start_response)


def basic_auth_factory(global_conf, **local_conf):
    """Basic requests authenticated here; others passed on untouched."""
    conf = middleware.conf_from(global_conf)
    return lambda app: Dispatch(BasicAuth(app, conf), app)


def basic_or_authtoken_factory(global_conf, **local_conf):
    """Basic requests authenticated here; others by keystonemiddleware.

    Both branches wrap the same application, so the API keeps one
    storage connection whichever way a request came in.
    """
    conf = middleware.conf_from(global_conf)
    authtoken = middleware.authtoken_factory(global_conf, **local_conf)
    return lambda app: Dispatch(BasicAuth(app, conf), authtoken(app))
