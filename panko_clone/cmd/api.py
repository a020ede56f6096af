"""``panko-clone-api``: the API on a development web server.

For production, run ``panko_clone.wsgi.api:application`` under a real
WSGI server (uwsgi, gunicorn, mod_wsgi); this one serves a single
request at a time.
"""

import sys
from wsgiref import simple_server

from oslo_config import cfg
from oslo_log import log

from panko_clone.api import app
from panko_clone import service

LOG = log.getLogger(__name__)

CLI_OPTS = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address to listen on.'),
    cfg.PortOpt('port', default=8977, help='Port to listen on.'),
    cfg.BoolOpt('noauth', default=False,
                help='Serve the panko+noauth pipeline (identity headers '
                     'trusted as sent) whatever [api] auth_mode says. '
                     'Development only.'),
]


def build_server(argv=None):
    """The configured dev server, not yet serving (tests use this)."""
    conf = service.prepare_service(argv, cli_opts=CLI_OPTS)
    mode = 'noauth' if conf.noauth else conf.api.auth_mode
    application = app.load_app(conf, 'panko+' + mode)
    server = simple_server.make_server(conf.host, conf.port, application)
    return conf, mode, server


def main(argv=None):
    conf, mode, server = build_server(
        sys.argv[1:] if argv is None else argv)
    host, port = server.server_address[:2]
    LOG.info('Serving panko_clone (%(mode)s) on http://%(host)s:%(port)s',
             {'mode': mode, 'host': host, 'port': port})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
