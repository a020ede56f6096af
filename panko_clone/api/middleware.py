"""WSGI pieces the paste pipelines in ``api_paste.ini`` are built from.

Every factory here gets the service's ``ConfigOpts`` through paste's
``global_conf`` (see ``ConfRef``) instead of from a module global, so two
apps loaded in one process from two configurations stay independent.
"""

import http
import io
import json
from xml.etree import ElementTree

from keystoneauth1 import exceptions as ksa_exceptions
from keystonemiddleware import auth_token
from oslo_log import log
from oslo_middleware import cors
from oslo_middleware import healthcheck
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
import webob
import webob.exc

LOG = log.getLogger(__name__)

# The global_conf key under which load_app hands the conf to paste.
CONF_KEY = 'configkey'

# Statuses whose stock webob explanation says more than the bare reason
# phrase; for the others the phrase ("Bad Request") is the clearer text.
_EXPLAINED = frozenset((403, 404, 409, 413, 500, 503))


class ConfRef(str):
    """A paste ``global_conf`` value that carries a ``ConfigOpts``.

    Paste Deploy copies ``global_conf`` into its ConfigParser defaults
    and interpolates them, which only works for strings, and then passes
    the caller's own values on to every factory. A ``str`` subclass gets
    through the first step and arrives, attribute intact, at the second:
    the conf travels with the ``loadapp`` call itself, with no registry
    of configurations kept in a module global.
    """

    conf = None

    def __new__(cls, conf):
        ref = super().__new__(cls, 'panko_clone-conf-%x' % id(conf))
        ref.conf = conf
        return ref


def conf_from(global_conf):
    """The ``ConfigOpts`` a paste factory was loaded with."""
    ref = (global_conf or {}).get(CONF_KEY)
    conf = getattr(ref, 'conf', None)
    if conf is None:
        raise LookupError(
            'this paste pipeline needs the service configuration; load it '
            'with panko_clone.api.app.load_app() or through one of the '
            'composite apps of api_paste.ini')
    return conf


def with_conf(global_conf, conf):
    """A copy of ``global_conf`` that carries ``conf`` to sub-factories."""
    merged = dict(global_conf or {})
    merged[CONF_KEY] = ConfRef(conf)
    return merged


# -- the error document -------------------------------------------------

def _default_faultstring(code, method):
    if code == 405:
        return 'The method %s is not allowed for this resource.' % method
    exc_class = webob.exc.status_map.get(code)
    if exc_class is not None and code in _EXPLAINED:
        return exc_class.explanation
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return 'Error %d' % code


def _faultstring_from_json(data):
    if not isinstance(data, dict):
        return None
    if isinstance(data.get('error_message'), dict):
        data = data['error_message']
    if data.get('faultstring') is not None:
        return str(data['faultstring'])
    # keystonemiddleware: {"error": {"code", "title", "message"}}
    error = data.get('error')
    if isinstance(error, dict) and error.get('message'):
        return str(error['message'])
    # pecan, for an HTTP exception when the client accepts JSON:
    # {"code", "title", "description": <the exception's detail>}
    if 'code' in data and 'title' in data and data.get('description'):
        return str(data['description'])
    return None


def _faultstring_from_xml(body):
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    node = root.find('.//faultstring')
    if node is None:
        return None
    return node.text or ''


def extract_faultstring(body):
    """The message a downstream error body carries, if one can be found.

    Errors come from several producers: WSME (JSON or XML fault
    documents), our own aborts (JSON fault documents, which pecan turns
    into its own JSON shape when the client accepts JSON),
    keystonemiddleware (its JSON error), and webob/pecan routing errors
    (HTML or plain text pages, from which nothing is taken).
    """
    text = body.strip()
    if not text:
        return None
    if text[:1] in (b'{', b'['):
        try:
            return _faultstring_from_json(json.loads(text))
        except ValueError:
            return None
    if text[:1] == b'<' and b'faultstring' in text:
        return _faultstring_from_xml(text)
    return None


def fault_body(faultcode, faultstring, want_xml):
    """The error document: ``(body bytes, content type)``."""
    if want_xml:
        outer = ElementTree.Element('error_message')
        error = ElementTree.SubElement(outer, 'error')
        ElementTree.SubElement(error, 'faultcode').text = faultcode
        ElementTree.SubElement(error, 'faultstring').text = faultstring
        ElementTree.SubElement(error, 'debuginfo')
        return ElementTree.tostring(outer), 'application/xml'
    document = {'error_message': {'faultcode': faultcode,
                                  'faultstring': faultstring,
                                  'debuginfo': None}}
    return json.dumps(document).encode('utf-8'), 'application/json'


def prefers_xml(req):
    """Whether the client's Accept header ranks XML above JSON."""
    try:
        offers = req.accept.acceptable_offers(
            ['application/json', 'application/xml'])
    except Exception:  # a malformed Accept header: fall back to JSON
        return False
    return bool(offers) and offers[0][0] == 'application/xml'


class ErrorDocument:
    """Give every error response one parsable body.

    Whatever produced a 4xx/5xx (WSME, pecan routing, policy, authtoken,
    the body size limit, an unhandled exception), the client receives
    ``{"error_message": {"faultcode", "faultstring", "debuginfo": null}}``
    as JSON, or the XML equivalent when it prefers XML. An exception that
    escapes the app becomes a plain 500 here: its text and traceback go
    to the log, never to the client.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        try:
            resp = req.get_response(self.app)
        except Exception:
            LOG.exception('Unhandled error serving %s %s',
                          req.method, req.path_qs)
            resp = webob.Response(status=500)
        if resp.status_code >= 400:
            resp = self.reformat(req, resp)
        return resp(environ, start_response)

    @staticmethod
    def reformat(req, resp):
        code = resp.status_code
        try:
            body = resp.body
        except Exception:
            LOG.exception('Unreadable error body for %s %s',
                          req.method, req.path_qs)
            body = b''
        # A 500 is never deliberate: whatever text came with it (an
        # exception's message, possibly naming database internals) stays
        # in the log, and the client gets the generic explanation.
        faultstring = None if code == 500 else extract_faultstring(body)
        if faultstring is None:
            faultstring = _default_faultstring(code, req.method)
        faultcode = 'Server' if code >= 500 else 'Client'
        payload, content_type = fault_body(faultcode, faultstring,
                                           prefers_xml(req))
        headers = [(name, value) for name, value in resp.headerlist
                   if name.lower() not in ('content-type',
                                           'content-length')]
        headers.append(('Content-Type', content_type))
        return webob.Response(status=resp.status, headerlist=headers,
                              body=payload)


def json_error(status, faultstring):
    """A webob HTTP error whose body is already our fault document.

    Raised from anywhere in the app (inside a WSME-exposed method, whose
    error handling reads ``str(error)``, or outside it, where pecan
    returns the body as is) it yields the same faultstring.
    """
    exc_class = webob.exc.status_map[status]
    body, content_type = fault_body(
        'Server' if status >= 500 else 'Client', faultstring, False)
    return exc_class(detail=faultstring, body=body,
                     content_type=content_type)


# -- request body limit -------------------------------------------------

class BodySizeLimit:
    """Refuse request bodies over ``[api] max_request_body_size`` (413).

    The limit is read on every request so an override applies at once.
    A body sent without Content-Length (chunked) is read up to the limit
    here and handed on as a buffered body of known length.
    """

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        limit = self.conf.api.max_request_body_size
        length = environ.get('CONTENT_LENGTH')
        try:
            if length:
                if int(length) > limit:
                    return self.too_large(limit)(environ, start_response)
            elif 'chunked' in environ.get('HTTP_TRANSFER_ENCODING',
                                          '').lower():
                body = environ['wsgi.input'].read(limit + 1)
                if len(body) > limit:
                    return self.too_large(limit)(environ, start_response)
                environ['wsgi.input'] = io.BytesIO(body)
                environ['CONTENT_LENGTH'] = str(len(body))
                environ.pop('HTTP_TRANSFER_ENCODING', None)
        except ValueError:
            error = json_error(400, 'Invalid Content-Length header.')
            return error(environ, start_response)
        return self.app(environ, start_response)

    @staticmethod
    def too_large(limit):
        return json_error(413, 'Request body is larger than the limit of '
                               '%d bytes.' % limit)


# -- dispatch by path prefix --------------------------------------------

class PrefixDispatcher:
    """Send each request to the app mapped to its longest path prefix.

    Unlike paste's urlmap this leaves SCRIPT_NAME and PATH_INFO alone:
    the API app routes the full path itself, so its ``application_url``
    stays the service root whichever branch served the request.
    """

    def __init__(self, routes):
        # Longest prefix first, so '/v2' wins over '/'.
        self.routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '') or '/'
        for prefix, app in self.routes:
            if (prefix == '' or path == prefix
                    or path.startswith(prefix + '/')):
                return app(environ, start_response)
        error = json_error(404, _default_faultstring(404, None))
        return error(environ, start_response)


def urlmap_factory(loader, global_conf, **local_conf):
    """Paste composite: ``/prefix = app-or-pipeline`` lines.

    When the composite is loaded without a configuration (a WSGI server
    reading ``api_paste.ini`` directly, not through ``load_app``), it
    builds one here from the default config files, and every app under it
    shares that one.
    """
    if getattr((global_conf or {}).get(CONF_KEY), 'conf', None) is None:
        from panko_clone import service  # only needed on this path
        global_conf = with_conf(global_conf, service.prepare_service())
    routes = []
    for prefix, name in local_conf.items():
        if not prefix.startswith('/'):
            raise ValueError('urlmap keys must be paths, got %r' % prefix)
        app = loader.get_app(name, global_conf=global_conf)
        routes.append((prefix.rstrip('/'), app))
    return PrefixDispatcher(routes)


# -- filter and app factories -------------------------------------------

def errors_factory(global_conf, **local_conf):
    return ErrorDocument


def body_limit_factory(global_conf, **local_conf):
    conf = conf_from(global_conf)
    return lambda app: BodySizeLimit(app, conf)


class OriginCORS(cors.CORS):
    """oslo.middleware's CORS, entered only by requests it can change.

    It changes nothing for a request that is neither a preflight
    (OPTIONS) nor carries an ``Origin`` header, which is every request
    but a browser's; yet passing one through it built a webob request
    and response and looked up an argspec: 25 us of CPU a request.
    Those requests go straight to the app.
    """

    def __call__(self, environ, start_response):
        if ('HTTP_ORIGIN' in environ
                or environ.get('REQUEST_METHOD') == 'OPTIONS'):
            return super().__call__(environ, start_response)
        return self.application(environ, start_response)


def cors_factory(global_conf, **local_conf):
    """oslo.middleware CORS, configured from the service's ``[cors]``."""
    conf = conf_from(global_conf)
    return lambda app: OriginCORS(app, conf)


class ProxyHeaders(http_proxy_to_wsgi.HTTPProxyToWSGI):
    """oslo.middleware's proxy header parsing, minus the inner hop's port.

    When the proxy says the client used another scheme but not which
    host, the Host header is the one of the proxy-to-API hop; a default
    port of the hop's own scheme there (``localhost:80`` behind an
    https proxy) is not the client's port and must not reach the links.
    """

    DEFAULT_PORTS = {'http': '80', 'https': '443'}

    def __call__(self, environ, start_response):
        """Rewrite the environ, then call the app with it.

        oslo's base class wraps the app's response in a webob response
        to offer it to ``process_response``, which this middleware
        does not have: 22 us of CPU a request, for nothing.
        """
        self.process_request(webob.Request(environ))
        return self.application(environ, start_response)

    def process_request(self, req):
        scheme = req.environ.get('wsgi.url_scheme')
        host = req.environ.get('HTTP_HOST')
        super().process_request(req)
        if (host and req.environ.get('wsgi.url_scheme') != scheme
                and req.environ.get('HTTP_HOST') == host):
            name, sep, port = host.rpartition(':')
            if sep and port == self.DEFAULT_PORTS.get(scheme):
                req.environ['HTTP_HOST'] = name
        return None


def http_proxy_to_wsgi_factory(global_conf, **local_conf):
    """Honour X-Forwarded-* / Forwarded from a reverse proxy.

    The versions document must name the URL clients used, so header
    parsing defaults to on (``panko_clone.opts.set_defaults``, hence
    shown in the generated sample configuration); a deployment that is
    not behind a proxy can turn it off in ``[oslo_middleware]``.
    """
    conf = conf_from(global_conf)
    return lambda app: ProxyHeaders(app, conf)


def request_id_factory(global_conf, **local_conf):
    conf = conf_from(global_conf)
    return lambda app: request_id.RequestId(app, conf)


def authtoken_factory(global_conf, **local_conf):
    """keystonemiddleware's auth_token, reading ``[keystone_authtoken]``
    from the service's own configuration object."""
    conf = conf_from(global_conf)
    settings = dict(local_conf)
    settings['oslo_config_config'] = conf
    return lambda app: TokenRequired(app, dict(settings))


class TokenRequired(auth_token.AuthProtocol):
    """auth_token that still says 401 when it cannot name Keystone.

    With ``[keystone_authtoken]`` not yet configured, auth_token fails
    while building the ``WWW-Authenticate`` header of its 401 and the
    client gets a 500 instead. A request without a valid token is
    refused either way; the operator is told what is missing.
    """

    @property
    def _reject_auth_headers(self):
        try:
            return super()._reject_auth_headers
        except ksa_exceptions.ClientException as err:
            LOG.error('[keystone_authtoken] names no Keystone '
                      '(www_authenticate_uri or an auth plugin): %s', err)
            return []


def healthcheck_factory(global_conf, **local_conf):
    """oslo.middleware's healthcheck, configured by ``[healthcheck]``.

    Its backends come from ``[healthcheck] backends``, whose default
    here includes the event storage probe (``panko_clone.api.health``).
    """
    return healthcheck.Healthcheck(None, conf_from(global_conf))
