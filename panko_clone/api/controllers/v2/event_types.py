"""``/v2/event_types``: the event types and their traits.

Reserved to unrestricted callers: trait values are read across every
event of a type, whoever it belongs to.
"""

import pecan
from pecan import rest
from wsme import types as wtypes
import wsmeext.pecan as wsme_pecan

from panko_clone.api.controllers.v2 import base
from panko_clone.api.controllers.v2 import events
from panko_clone.api.controllers.v2 import query
from panko_clone.api.controllers.v2 import rbac
from panko_clone.storage import models


class TraitDescription(wtypes.Base):
    """A trait name and its type, without a value."""

    name = wtypes.text
    "The name of the trait"

    type = wtypes.text
    "The data type: string, integer, float or datetime"

    @classmethod
    def sample(cls):
        return cls(name='service', type='string')


class TraitsController(rest.RestController):
    """Works on the traits of one event type."""

    @rbac.protected()
    @wsme_pecan.wsexpose([events.Trait], wtypes.text, wtypes.text)
    def get_one(self, event_type, trait_name):
        """Every value of trait ``trait_name`` in events of the type."""
        rbac.visibility().require_unrestricted()
        if not (query.storable(event_type) and query.storable(trait_name)):
            return []
        conn = pecan.request.conn
        return events.Trait.from_models(
            conn.get_traits(event_type, trait_name))

    @rbac.protected()
    @wsme_pecan.wsexpose([TraitDescription], wtypes.text)
    def get_all(self, event_type):
        """The distinct (name, type) of traits in events of the type."""
        rbac.visibility().require_unrestricted()
        if not query.storable(event_type):
            return []
        type_name = models.Trait.get_name_by_type
        return [TraitDescription(name=t['name'],
                                 type=type_name(t['data_type']))
                for t in pecan.request.conn.get_trait_types(event_type)]


class EventTypesController(rest.RestController):
    """Works on event types."""

    traits = TraitsController()

    @rbac.protected()
    @wsme_pecan.wsexpose(None, wtypes.text)
    def get_one(self, event_type):
        """No such resource: event types have no representation."""
        raise base.ClientSideError('The resource could not be found.',
                                   status_code=404)

    @rbac.protected()
    @wsme_pecan.wsexpose([wtypes.text])
    def get_all(self):
        """The names of every stored event type, sorted."""
        rbac.visibility().require_unrestricted()
        return list(pecan.request.conn.get_event_types())
