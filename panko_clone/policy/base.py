"""Helper rules other rules refer to; not tied to any single API call.

Both are documented rules (description, operations, scope types) because
operators override them: ``context_is_admin`` to say who counts as an
administrator, ``segregation`` to say who sees beyond their own events.
"""

from oslo_policy import policy

CONTEXT_IS_ADMIN = 'context_is_admin'
SEGREGATION = 'segregation'

ROLE_ADMIN = 'role:admin'
# Anyone who got past authentication.
UNPROTECTED = ''
# Who may see beyond their own user: an admin (within its project), or a
# reader with a system-scoped token (across every project).
UNRESTRICTED = ('rule:%s or (role:reader and system_scope:all)'
                % CONTEXT_IS_ADMIN)

# Panko 10 declared segregation for system scope only; with scope always
# enforced (oslo.policy 6) that locked project admins out. Every rule
# here accepts both kinds of token and lets the check string decide.
SCOPES = ['project', 'system']

_READ_OPERATIONS = [
    {'path': '/v2/events', 'method': 'GET'},
    {'path': '/v2/events/{message_id}', 'method': 'GET'},
    {'path': '/v2/events/statistics', 'method': 'GET'},
    {'path': '/v2/event_types', 'method': 'GET'},
    {'path': '/v2/event_types/{event_type}/traits', 'method': 'GET'},
    {'path': '/v2/event_types/{event_type}/traits/{trait_name}',
     'method': 'GET'},
]
# Deleting is limited to what the caller could list or show.
DELETE_OPERATIONS = [
    {'path': '/v2/events', 'method': 'DELETE'},
    {'path': '/v2/events/{message_id}', 'method': 'DELETE'},
]

_RULES = [
    policy.DocumentedRuleDefault(
        name=CONTEXT_IS_ADMIN,
        check_str=ROLE_ADMIN,
        scope_types=SCOPES,
        description='Who counts as an administrator. Never enforced on '
                    'its own: segregation, telemetry:events:create and '
                    'telemetry:events:delete refer to it, so overriding '
                    'it changes all three (its scope types are those of '
                    'the rules referring to it).',
        operations=_READ_OPERATIONS + [
            {'path': '/v2/events', 'method': 'POST'},
        ] + DELETE_OPERATIONS),
    policy.DocumentedRuleDefault(
        name=SEGREGATION,
        check_str=UNRESTRICTED,
        scope_types=SCOPES,
        description='Callers passing this rule are not limited to the '
                    'events of their own user: they see their project\'s '
                    'events (and those of no project), every event when '
                    'system-scoped or when asking for all_tenants, and '
                    'may list event types and traits (which span every '
                    'project). Everyone else sees only events whose '
                    'project_id and user_id traits are their own (see '
                    'telemetry:events:whole_project to widen that to '
                    'their project).',
        operations=_READ_OPERATIONS + DELETE_OPERATIONS),
]


def list_rules():
    return list(_RULES)
