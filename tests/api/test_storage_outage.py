"""The API while its database is down, and after it is back.

A listing, a lookup, the event types, the statistics and a POST all
answer 503 with the fault document while PostgreSQL refuses
connections (its sessions killed, as in a restart or an outage), and
the same app answers them again, without a restart, once it is back.
"""

import json

import pytest

from tests import conftest
from tests.helpers import ADMIN, api_event, assert_error, at, event

UNAVAILABLE = 'The event storage is unavailable.'

POSTED = [api_event('p1', 'T', at(seconds=5).isoformat(),
                    [('n', 'integer', '1')], {})]

READS = ('/v2/events', '/v2/events/e1', '/v2/event_types',
         '/v2/event_types/T/traits',
         '/v2/events/statistics?aggregate.func=count')


@pytest.fixture(scope='module', params=('postgresql',))
def backend(request):
    """Refusing connections is done here on PostgreSQL."""
    conftest.require_server(request.param)
    return request.param


def post(app, status):
    return app.post('/v2/events', json.dumps(POSTED), status=status,
                    headers=dict(ADMIN, **{'Content-Type':
                                           'application/json'}))


def test_an_outage_answers_503_and_the_app_recovers(app, conn):
    conn.record_events([event('e1', 'T', at(), {'n': 0})])
    answers = {path: app.get(path, headers=ADMIN).json for path in READS}
    with conftest.pg_refusing_connections(conn.engine.url.database):
        for path in READS:
            resp = app.get(path, headers=ADMIN, status=503)
            assert_error(resp, 503, UNAVAILABLE, faultcode='Server')
        assert_error(post(app, 503), 503, UNAVAILABLE, faultcode='Server')
    assert {path: app.get(path, headers=ADMIN).json
            for path in READS} == answers
    assert post(app, 201).json['created'] == ['p1']
