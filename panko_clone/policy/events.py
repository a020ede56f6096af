"""Rules guarding the ``/v2/events`` resource.

One rule per operation, plus ``whole_project``, which widens what a
restricted caller sees (statistics follow ``index`` and the same
visibility as a listing).
"""

from oslo_policy import policy

from panko_clone.policy import base

PREFIX = 'telemetry:events:%s'
INDEX = PREFIX % 'index'
SHOW = PREFIX % 'show'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'
WHOLE_PROJECT = PREFIX % 'whole_project'

SCOPES = base.SCOPES

_RULES = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.UNPROTECTED,
        scope_types=SCOPES,
        description='List the events matching the query filters, or '
                    'compute statistics over them (what each caller '
                    'sees is further limited by the segregation rule).',
        operations=[
            {'path': '/v2/events', 'method': 'GET'},
            {'path': '/v2/events/statistics', 'method': 'GET'},
        ]),
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
    policy.DocumentedRuleDefault(
        name=WHOLE_PROJECT,
        check_str='rule:%s' % base.SEGREGATION,
        scope_types=['project'],
        description='Callers failing segregation but passing this rule '
                    'see every event whose project_id trait is their '
                    'project, not only those whose user_id trait is '
                    'also theirs. They still may not ask for '
                    'all_tenants, see events of no project, nor list '
                    'event types and traits. The default adds no one; '
                    'override it with "role:reader" to let project '
                    'readers see all of their project\'s events.',
        operations=[
            {'path': '/v2/events', 'method': 'GET'},
            {'path': '/v2/events/{message_id}', 'method': 'GET'},
            {'path': '/v2/events/statistics', 'method': 'GET'},
        ] + base.DELETE_OPERATIONS),
]


def list_rules():
    return list(_RULES)
