"""Helper rules other rules refer to; not tied to any single API call."""

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

_RULES = [
    policy.RuleDefault(
        name=CONTEXT_IS_ADMIN,
        check_str=ROLE_ADMIN,
        description='Who counts as an administrator; other rules refer '
                    'to it.'),
    policy.DocumentedRuleDefault(
        name=SEGREGATION,
        check_str=UNRESTRICTED,
        description='Callers passing this rule are not limited to the '
                    'events of their own user: they see their project\'s '
                    'events (and those of no project), every event when '
                    'system-scoped or when asking for all_tenants, and '
                    'may list event types and traits. Everyone else sees '
                    'only events whose project_id and user_id traits are '
                    'their own.',
        operations=[
            {'path': '/v2/events', 'method': 'GET'},
            {'path': '/v2/events/{message_id}', 'method': 'GET'},
            {'path': '/v2/event_types', 'method': 'GET'},
            {'path': '/v2/event_types/{event_type}/traits',
             'method': 'GET'},
            {'path': '/v2/event_types/{event_type}/traits/{trait_name}',
             'method': 'GET'},
        ]),
]


def list_rules():
    return list(_RULES)
