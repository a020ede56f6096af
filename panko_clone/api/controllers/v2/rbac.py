"""Who may call what, and which events each caller may see.

Identity comes from ``pecan.request.context`` (oslo.context, built from
the WSGI environ by a hook) and decisions from the app's own enforcer
(``pecan.request.enforcer``), so system scope counts and two apps with
two policy files decide independently.
"""

import functools

from oslo_log import log
import pecan

from panko_clone.api.controllers.v2 import base
from panko_clone.api import middleware
from panko_clone import policy

LOG = log.getLogger(__name__)

FORBIDDEN = 'RBAC Authorization Failed'


def _forbidden():
    # A webob error with our fault body: these checks run outside the
    # WSME-exposed method (before its arguments are even parsed), where
    # WSME's error handling does not apply.
    return middleware.json_error(403, FORBIDDEN)


def is_system_scoped(ctx):
    return ctx.system_scope == 'all'


def has_identity(ctx):
    """A user, and either a project or a system-scoped token."""
    return bool(ctx.user_id) and (bool(ctx.project_id)
                                  or is_system_scoped(ctx))


def check(rule):
    """Whether the caller passes ``rule`` (never raises)."""
    ctx = pecan.request.context
    target = {'project_id': ctx.project_id, 'user_id': ctx.user_id}
    try:
        # Without do_raise, a token of the wrong scope for the rule is a
        # plain False; an exception means the policy file itself could
        # not be read, and then nobody is authorized.
        return bool(pecan.request.enforcer.enforce(rule, target, ctx))
    except Exception:
        LOG.exception('Policy check %s failed; denying', rule)
        return False


def protected(rule=None):
    """Require an identity (and ``rule`` when given), else 403.

    Applied outside ``wsexpose`` so that an anonymous caller learns
    nothing, not even which of its arguments are wrong.
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if not has_identity(pecan.request.context):
                raise _forbidden()
            if rule is not None and not check(rule):
                raise _forbidden()
            return func(*args, **kwargs)
        return wrapper
    return decorate


class Visibility:
    """Which events the current caller may see.

    An unrestricted caller (one passing ``segregation``) sees its
    project's events and those with no ``project_id`` trait; every event
    when its token is system-scoped or it asks for all_tenants. Anyone
    else sees only events carrying its own ``project_id`` trait, and its
    own ``user_id`` trait too unless it passes
    ``telemetry:events:whole_project``.
    """

    def __init__(self, ctx, unrestricted, whole_project=False):
        self.ctx = ctx
        self.unrestricted = unrestricted
        self.whole_project = whole_project

    @property
    def sees_nothing(self):
        """A restricted caller with no project cannot own any event."""
        return not self.unrestricted and not self.ctx.project_id

    def filter_args(self, all_tenants=False):
        """``EventFilter`` keyword arguments enforcing this visibility."""
        if self.unrestricted:
            if all_tenants or is_system_scoped(self.ctx):
                return {'traits_filter': [], 'admin_proj': None}
            return {'traits_filter': [], 'admin_proj': self.ctx.project_id}
        if all_tenants:
            raise base.ClientSideError(FORBIDDEN, status_code=403)
        traits = [{'key': 'project_id', 'op': 'eq',
                   'string': self.ctx.project_id}]
        if not self.whole_project:
            traits.append({'key': 'user_id', 'op': 'eq',
                           'string': self.ctx.user_id})
        return {'traits_filter': traits, 'admin_proj': None}

    def require_unrestricted(self):
        """401 for a restricted caller, as Panko answers it."""
        if not self.unrestricted:
            if self.ctx.project_id:
                raise base.ProjectNotAuthorized(self.ctx.project_id)
            raise base.ProjectNotAuthorized('all', aspect='system')


def visibility():
    """The current caller's ``Visibility``."""
    ctx = pecan.request.context
    if check(policy.SEGREGATION):
        return Visibility(ctx, True)
    whole_project = bool(ctx.project_id) and check(
        policy.EVENTS_WHOLE_PROJECT)
    return Visibility(ctx, False, whole_project)
