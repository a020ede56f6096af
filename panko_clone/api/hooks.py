"""Pecan hooks: what every request of one app can reach.

Each app gets its own hook instances, built from its own configuration,
so nothing here is shared between two apps in one process.
"""

import json
import threading

from oslo_context import context
from oslo_log import log
import pecan
from pecan import hooks
import webob.exc

from panko_clone.api import middleware
from panko_clone import policy
from panko_clone import storage

LOG = log.getLogger(__name__)


class Request(pecan.Request):
    """pecan's request, with the storage connection opened on first use.

    ``conn`` is a property rather than something a hook sets, so that a
    request that never touches storage (the versions document, a 404)
    never opens it, and an unreachable database fails only the requests
    that need it.
    """

    @property
    def conn(self):
        return AnsweringStorage(self.environ['panko_clone.storage'].get())


# What a request is told when the database cannot be reached.
STORAGE_UNAVAILABLE = 'The event storage is unavailable.'


class AnsweringStorage:
    """A storage connection whose calls answer 503 when it is unreachable.

    The driver raises ``StorageUnavailable`` when the database cannot be
    reached even on a new connection (a server down or refusing
    connections); the client is told so, as a 503 it may retry, instead
    of an internal error. Drivers know nothing of HTTP, so the mapping
    lives here, once for every controller.
    """

    __slots__ = ('_conn',)

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        attr = getattr(self._conn, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except storage.StorageUnavailable as err:
                LOG.error('Event storage unavailable: %s', err)
                raise middleware.json_error(
                    503, STORAGE_UNAVAILABLE) from None
        return call


class ConnectionHolder:
    """Opens the app's storage connection once, on first use.

    Checked under a lock so that concurrent first requests open a single
    connection. A failed attempt is not remembered: the next request
    tries again. When ``[database] connection`` is changed (an override)
    the next request opens the new database.
    """

    def __init__(self, conf):
        self.conf = conf
        self._conn = None
        self._url = None
        self._lock = threading.Lock()

    def get(self):
        url = self.conf.database.connection
        conn = self._conn
        if conn is None or url != self._url:
            with self._lock:
                if self._conn is None or url != self._url:
                    self._conn = self._open()
                    self._url = url
                conn = self._conn
        return conn

    def _open(self):
        try:
            return storage.get_connection_from_config(self.conf)
        except Exception:
            LOG.exception('Unable to open the storage')
            raise middleware.json_error(
                503, STORAGE_UNAVAILABLE) from None


class ConfigHook(hooks.PecanHook):
    """``pecan.request.cfg``: the app's configuration."""

    def __init__(self, conf):
        super().__init__()
        self.conf = conf

    def on_route(self, state):
        state.request.cfg = self.conf


class DBHook(hooks.PecanHook):
    """``pecan.request.conn``: the app's one storage connection."""

    def __init__(self, conf):
        super().__init__()
        self.holder = ConnectionHolder(conf)

    def on_route(self, state):
        state.request.environ['panko_clone.storage'] = self.holder


class PolicyHook(hooks.PecanHook):
    """``pecan.request.enforcer``: the app's own policy enforcer.

    oslo.policy reloads a policy file whose content changed, but fixes
    the file's *name* when the enforcer is built; so when
    ``[oslo_policy] policy_file`` is changed (``set_override``), the
    next request gets a fresh enforcer for the new file.

    The enforcer is told where the request begins and ends, so that it
    looks at the policy files once per request, not once per check.
    A request pecan cannot route ends without ``after``; the next one
    begins afresh.
    """

    def __init__(self, conf):
        super().__init__()
        self.conf = conf
        self._lock = threading.Lock()
        self._enforcer = None
        self._policy_file = None

    def enforcer(self):
        policy_file = self.conf.oslo_policy.policy_file
        with self._lock:
            if self._enforcer is None or policy_file != self._policy_file:
                self._enforcer = policy.get_enforcer(self.conf)
                self._policy_file = policy_file
            return self._enforcer

    def on_route(self, state):
        enforcer = state.request.enforcer = self.enforcer()
        enforcer.begin_request()

    def after(self, state):
        enforcer = getattr(state.request, 'enforcer', None)
        if enforcer is not None:
            enforcer.end_request()


class ContextHook(hooks.PecanHook):
    """``pecan.request.context``: who is calling, from the WSGI environ.

    oslo.context reads the identity headers (set by authtoken, or sent
    as is in noauth mode), including ``OpenStack-System-Scope``, so
    policy checks see system scope.
    """

    def on_route(self, state):
        state.request.context = context.RequestContext.from_environ(
            state.request.environ)

    def after(self, state):
        self.forget_caller()

    def on_error(self, state, exc):
        self.forget_caller()

    @staticmethod
    def forget_caller():
        """Leave no caller's identity in oslo.context's thread store.

        oslo.log stamps every record with the thread's current context,
        and a worker thread serves one request after another: a request
        refused before routing (bad token, bad Basic credentials) would
        otherwise be logged as the previous caller. A blank context
        replacing it is oslo.context's public way to do that.
        """
        context.RequestContext(overwrite=True)


# What WSME parses as JSON; a request body must be one of these.
JSON_TYPES = ('application/json', 'text/javascript',
              'application/javascript')
# What the WSME-exposed methods can render.
RENDERED_TYPES = ('application/json', 'application/xml', 'text/xml')


class InputHook(hooks.PecanHook):
    """Refuse input the controllers cannot read, before routing.

    - A query string that is not UTF-8 is a 400 (rather than pecan's
      bare "Bad Request" with a logged traceback).
    - A request body must be JSON (else 415, whatever the method, so a
      GET with a form or XML body is refused rather than silently
      ignored), and well-formed JSON (else 400; WSME would fail on
      invalid UTF-8 or very deep nesting with a 500).
    - An Accept header that admits neither JSON nor XML gets JSON, as
      if the client had not asked, instead of a 406.
    """

    def on_route(self, state):
        request = state.request
        try:
            request.GET
        except (UnicodeDecodeError, webob.exc.HTTPBadRequest):
            raise middleware.json_error(
                400, 'The query string is not valid UTF-8.') from None
        if request.body:
            self.check_body(request)
        if not self.accepts_rendered_type(request):
            request.headers['Accept'] = 'application/json'

    @staticmethod
    def check_body(request):
        if request.content_type not in JSON_TYPES:
            raise middleware.json_error(
                415, 'Unsupported media type %r: the request body must '
                     'be JSON (application/json).'
                % (request.content_type or None))
        try:
            json.loads(request.body.decode('utf-8'))
        except UnicodeDecodeError:
            raise middleware.json_error(
                400, 'The request body is not valid UTF-8.') from None
        except (ValueError, RecursionError):
            raise middleware.json_error(
                400, 'Request is not in valid JSON format') from None

    @staticmethod
    def accepts_rendered_type(request):
        if 'HTTP_ACCEPT' not in request.environ:
            return True
        try:
            return bool(request.accept.acceptable_offers(RENDERED_TYPES))
        except Exception:
            return False
