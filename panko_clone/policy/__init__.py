"""Policy-in-code for the event API.

Every rule the API checks is declared here with its default, so that a
deployment without any policy file behaves as documented and
``oslopolicy-sample-generator --namespace panko_clone`` can describe the
rules. There is deliberately no module-level enforcer: each WSGI app
builds its own from its own configuration (see ``get_enforcer``), so two
apps in one process can run with two different policy files.
"""

import itertools

from oslo_config import cfg

from panko_clone.policy import base
from panko_clone.policy import enforcer as request_enforcer
from panko_clone.policy import events

# The names the API layer enforces, kept next to their definitions so a
# typo fails at import time rather than silently denying everyone.
SEGREGATION = base.SEGREGATION
EVENTS_INDEX = events.INDEX
EVENTS_SHOW = events.SHOW
EVENTS_CREATE = events.CREATE
EVENTS_DELETE = events.DELETE
EVENTS_WHOLE_PROJECT = events.WHOLE_PROJECT


def list_rules():
    """Every default rule; the ``oslo.policy.policies`` entry point."""
    return list(itertools.chain(base.list_rules(), events.list_rules()))


def get_enforcer(conf=None):
    """A new enforcer for ``conf`` with every default registered.

    The API calls this once per app with the app's own configuration.
    ``conf`` is optional only because the oslo.policy command-line tools
    call the ``oslo.policy.enforcer`` entry point without arguments and
    work against the global ``cfg.CONF`` they parsed themselves.
    """
    enforcer = request_enforcer.Enforcer(
        conf if conf is not None else cfg.CONF)
    enforcer.register_defaults(list_rules())
    return enforcer
