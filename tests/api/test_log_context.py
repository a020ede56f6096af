"""Log records name the caller of their own request, never the previous one.

oslo.log stamps each record with the thread's current oslo.context
context; a worker thread serves request after request, and one refused
before routing never sets a context of its own.
"""

import pytest
from oslo_context import context

CALLER = {'X-User-Id': 'u-first', 'X-Project-Id': 'p-first',
          'X-Roles': 'admin'}


def current_identity():
    current = context.get_current()
    if current is None:
        return None, None
    return current.user_id, current.project_id


@pytest.mark.parametrize('path,status', [
    ('/v2/events', 200),
    ('/v2/events/no-such-event', 404),
    ('/v2/events?q.field=start_timestamp&q.value=not-a-date', 400),
    ('/v2/event_types', 200),
])
def test_no_identity_outlives_its_request(app, path, status):
    app.get(path, headers=CALLER, status=status)
    assert current_identity() == (None, None)


def test_a_request_sees_its_own_identity(app, monkeypatch):
    from panko_clone.api import hooks

    seen = []
    real = hooks.ContextHook.on_route

    def on_route(self, state):
        real(self, state)
        seen.append(current_identity())

    monkeypatch.setattr(hooks.ContextHook, 'on_route', on_route)
    app.get('/v2/events', headers=CALLER)
    assert seen == [('u-first', 'p-first')]
