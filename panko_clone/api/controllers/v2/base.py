"""Errors the v2 controllers raise.

They are WSME client errors, so inside a ``wsexpose``-d method WSME turns
them into a fault document with the right status; the error middleware
then wraps that in ``{"error_message": ...}``.
"""

from wsme import exc


class ClientSideError(exc.ClientSideError):
    """A 4xx with a message meant for the caller."""

    def __init__(self, message, status_code=400):
        super().__init__(message, status_code=status_code)


class EntityNotFound(ClientSideError):
    def __init__(self, entity, entity_id):
        super().__init__('%s %s Not Found' % (entity, entity_id),
                         status_code=404)


class ProjectNotAuthorized(ClientSideError):
    def __init__(self, entity_id, aspect='project'):
        super().__init__('Not Authorized to access %s %s'
                         % (aspect, entity_id), status_code=401)
