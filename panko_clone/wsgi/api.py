"""The API as a module-level WSGI application.

For a WSGI server: ``gunicorn panko_clone.wsgi.api:application``. The
configuration is read from oslo.config's default locations for the
``panko_clone`` project (e.g. ``/etc/panko_clone/panko_clone.conf``), and
the pipeline served is the one ``[api] auth_mode`` names.
"""

from panko_clone.api import app

application = app.build_wsgi_app()
