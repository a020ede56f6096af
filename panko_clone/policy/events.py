"""Rules guarding the ``/v2/events`` resource, one per operation."""

from oslo_policy import policy

from panko_clone.policy import base

PREFIX = 'telemetry:events:%s'
INDEX = PREFIX % 'index'
SHOW = PREFIX % 'show'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'

SCOPES = ['project', 'system']

_RULES = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.UNPROTECTED,
        scope_types=SCOPES,
        description='List the events matching the query filters (what '
                    'each caller sees is further limited by the '
                    'segregation rule).',
        operations=[{'path': '/v2/events', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.UNPROTECTED,
        scope_types=SCOPES,
        description='Show one event by its message id.',
        operations=[{'path': '/v2/events/{message_id}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str='rule:%s or role:service' % base.CONTEXT_IS_ADMIN,
        scope_types=SCOPES,
        description='Record new events.',
        operations=[{'path': '/v2/events', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str='rule:%s' % base.CONTEXT_IS_ADMIN,
        scope_types=SCOPES,
        description='Delete one event, or every event a query matches.',
        operations=[
            {'path': '/v2/events/{message_id}', 'method': 'DELETE'},
            {'path': '/v2/events', 'method': 'DELETE'},
        ]),
]


def list_rules():
    return list(_RULES)
