"""What ``POST`` and ``DELETE`` on ``/v2/events`` do, HTTP to storage.

The ``EventsController`` methods are thin: policy is checked by their
decorators, the body is read here, checked by the ``ingest`` module, and
handed to the driver. A driver that does not advertise the capability
(``events:create``, ``events:delete``) gets a 501, never a 500 from a
missing method.
"""

import json

import pecan
from wsme import exc as wsme_exc
from wsme import types as wtypes

from panko_clone.api.controllers.v2 import base
from panko_clone.api.controllers.v2 import ingest
from panko_clone.api.controllers.v2 import query
from panko_clone.api.controllers.v2 import rbac
from panko_clone.api import middleware
from panko_clone import storage

NOT_SUPPORTED = 'The event storage driver does not support %s events.'
EMPTY_BODY = 'The request body is empty. ' + ingest.BODY_SHAPE
FILTER_REQUIRED = ('Deleting events needs at least one q filter; all '
                   'events cannot be deleted at once.')
ID_AND_FILTER = 'An event deleted by message_id takes no q filter.'


class RecordedEvents(wtypes.Base):
    """What a POST stored, and what was already there."""

    created = [wtypes.text]
    "The message_ids stored by this request"

    duplicates = [wtypes.text]
    "The message_ids already stored, left as they were"


class DeletedEvents(wtypes.Base):
    """How many events a filtered delete removed."""

    deleted = int
    "The number of events deleted"


def connection_for(capability, verb):
    """The storage connection, if its driver can ``capability``; else 501."""
    conn = pecan.request.conn
    events = conn.get_capabilities().get('events', {})
    if not events.get(capability):
        raise middleware.json_error(501, NOT_SUPPORTED % verb)
    return conn


def record():
    """Store the posted events; the 201 body, or a 400 for bad input."""
    conn = connection_for('create', 'recording')
    body = pecan.request.body
    if not body.strip():
        raise middleware.json_error(400, EMPTY_BODY)
    # The input hook has checked the content type and that this parses.
    data = json.loads(body.decode('utf-8'))
    try:
        events = ingest.parse_body(data)
    except ValueError as err:
        raise middleware.json_error(400, str(err)) from None
    result = conn.record_events(events)
    pecan.response.status = 201
    # Rendered by WSME's JSON or XML renderer, as the client prefers.
    return {'datatype': RecordedEvents,
            'result': RecordedEvents(created=list(result.created),
                                     duplicates=list(result.duplicates))}


def delete_one(message_id):
    """Delete one event the caller could see; 404 otherwise."""
    if 'message_id' in pecan.request.params:
        # Only the path names the event: no second spelling.
        raise wsme_exc.UnknownArgument('message_id')
    conn = connection_for('delete', 'deleting')
    visibility = rbac.visibility()
    if visibility.sees_nothing or not query.storable(message_id):
        raise base.EntityNotFound('Event', message_id)
    event_filter = storage.EventFilter(message_id=message_id,
                                       **visibility.filter_args())
    if not conn.delete_events(event_filter):
        raise base.EntityNotFound('Event', message_id)


def delete_matching(queries):
    """Delete what a listing with ``queries`` shows; how many went.

    A query of nothing but ``all_tenants`` widens the scope without
    narrowing it, so it is refused like no query at all.
    """
    conn = connection_for('delete', 'deleting')
    if not any(q.field != query.ALL_TENANTS for q in queries or ()):
        raise base.ClientSideError(FILTER_REQUIRED)
    event_filter = query.to_event_filter(queries, rbac.visibility())
    if event_filter is None:
        return 0
    return conn.delete_events(event_filter)
