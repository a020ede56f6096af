"""Module-level WSGI applications for WSGI servers.

Point uwsgi, gunicorn or mod_wsgi at ``panko_clone.wsgi.api:application``.
"""
