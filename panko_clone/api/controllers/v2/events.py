"""``/v2/events``: listing and showing events."""

import collections.abc
import datetime

from oslo_log import log
import pecan
from pecan import rest
from wsme import api as wsme_api
from wsme import types as wtypes
import wsmeext.pecan as wsme_pecan

from panko_clone.api.controllers.v2 import base
from panko_clone.api.controllers.v2 import query
from panko_clone.api.controllers.v2 import rbac
from panko_clone.api.controllers.v2 import statistics
from panko_clone.api.controllers.v2 import writes
from panko_clone.api.controllers.v2 import wsme_fast
from panko_clone import policy
from panko_clone import storage
from panko_clone.storage import models

LOG = log.getLogger(__name__)


class JsonType(wtypes.UserType):
    """Any JSON value, passed through as is (the raw notification)."""

    basetype = wtypes.text
    name = 'json'

    @staticmethod
    def validate(value):
        return value


# The API's name of each storage trait type.
TYPE_NAMES = models.Trait.type_names


def trait_value_text(value):
    """A trait's value as the API shows it: always a string."""
    if value.__class__ is str:
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


class Trait(wtypes.Base):
    """A typed name/value pair of an event."""

    name = wtypes.text
    "The name of the trait"

    value = wtypes.text
    "The value of the trait, as a string"

    type = wtypes.text
    "The data type: string, integer, float or datetime"

    # Pinned rather than read from this source by WSME: the renderers
    # below write the attributes in this order.
    _wsme_attr_order = ('name', 'value', 'type')

    @classmethod
    def from_models(cls, traits):
        """The API traits of storage ``traits``, in their order.

        Their values are text by construction. One loop for all of an
        event's traits, the holders filled as :func:`wsme_fast.bare`
        does: four calls per trait cost a third of building a page.
        """
        new_holder, new = wsme_fast.makers(cls)
        names = TYPE_NAMES
        api_traits = []
        for trait in traits:
            holder = new_holder()
            holder.name = trait.name
            holder.value = trait_value_text(trait.value)
            holder.type = names.get(trait.dtype, 'none')
            api_trait = new(cls)
            api_trait._wsme_dataholder = holder
            api_traits.append(api_trait)
        return api_traits

    @classmethod
    def sample(cls):
        return cls(name='service', value='compute.host-1', type='string')


class StoredTraits(collections.abc.Sequence):
    """An API event's traits, held as the storage traits they show.

    A page of events holds a thousand-odd traits, and building an API
    ``Trait`` (a WSME instance and its data holder) for each cost as
    much as rendering them. The JSON renderer reads the storage traits
    directly (:meth:`json_data`); whatever else reads this sequence
    (the XML renderer, WSME's generic rendering, a test) gets API
    ``Trait`` objects, made as it reads them.
    """

    __slots__ = ('_traits',)

    def __init__(self, traits):
        """``traits``: storage traits, in the order they are shown."""
        self._traits = traits

    def __len__(self):
        return len(self._traits)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Trait.from_models(self._traits[index])
        return Trait.from_models((self._traits[index],))[0]

    def json_data(self):
        """The traits as JSON data, as :func:`trait_json` makes each."""
        names = TYPE_NAMES
        return [{'name': trait.name,
                 'value': trait_value_text(trait.value),
                 'type': names.get(trait.dtype, 'none')}
                for trait in self._traits]


class Event(wtypes.Base):
    """One event."""

    message_id = wtypes.text
    "The message ID of the notification"

    event_type = wtypes.text
    "The type of the event"

    generated = datetime.datetime
    "When the event occurred (UTC)"

    traits = [Trait]
    "The traits of the event, sorted by name"

    raw = JsonType()
    "The raw notification, when it was kept"

    # As for Trait.
    _wsme_attr_order = ('message_id', 'event_type', 'generated',
                        'traits', 'raw')

    @classmethod
    def from_model(cls, event):
        """The API event of a storage one, whose values fit as they are.

        A storage event holds text ids and type, a datetime (or None)
        and a JSON object, which is what the attributes declare; its
        traits come sorted by name (``storage.base.Connection
        .get_events``).
        """
        api_event, holder = wsme_fast.bare(cls)
        holder.message_id = event.message_id
        holder.event_type = event.event_type
        holder.generated = event.generated
        holder.traits = StoredTraits(event.traits or [])
        holder.raw = event.raw if event.raw is not None else {}
        return api_event

    @classmethod
    def sample(cls):
        return cls(message_id='94834db1-8f1b-404d-b2ec-c35901f1b7f0',
                   event_type='compute.instance.update',
                   generated=datetime.datetime(2015, 1, 1, 12, 0, 0),
                   traits=[Trait.sample()],
                   raw={'status': {'nested': 'started'}})


def trait_json(trait):
    """``trait`` as JSON data; AttributeError if an attribute is unset."""
    holder = wsme_fast.held(trait)
    return {'name': holder.name, 'value': holder.value,
            'type': holder.type}


def trait_xml(key, trait):
    """``trait`` as the XML element ``key``; as :func:`trait_json`."""
    holder = wsme_fast.held(trait)
    element = wsme_fast.etree.Element(key)
    text_element = wsme_fast.text_element
    text_element(element, 'name', holder.name)
    text_element(element, 'value', holder.value)
    text_element(element, 'type', holder.type)
    return element


def event_json(event):
    """``event`` as JSON data; AttributeError if an attribute is unset."""
    holder = wsme_fast.held(event)
    traits = holder.traits
    if traits is None:
        traits_data = None
    elif traits.__class__ is StoredTraits:
        traits_data = traits.json_data()
    else:
        traits_data = [trait_json(t) for t in traits]
    return {'message_id': holder.message_id,
            'event_type': holder.event_type,
            'generated': wsme_fast.isoformat(holder.generated),
            'traits': traits_data,
            'raw': holder.raw}


def event_xml(key, event):
    """``event`` as the XML element ``key``; as :func:`event_json`.

    ``raw`` is written as WSME writes any text: ``str()`` of the value.
    """
    holder = wsme_fast.held(event)
    element = wsme_fast.etree.Element(key)
    text_element = wsme_fast.text_element
    text_element(element, 'message_id', holder.message_id)
    text_element(element, 'event_type', holder.event_type)
    text_element(element, 'generated', wsme_fast.isoformat(holder.generated))
    traits = holder.traits
    if traits is None:
        text_element(element, 'traits', None)
    else:
        wsme_fast.etree.SubElement(element, 'traits').extend(
            trait_xml('item', t) for t in traits)
    raw = holder.raw
    text_element(element, 'raw', None if raw is None else str(raw))
    return element


wsme_fast.render_with(Trait, trait_json, trait_xml)
wsme_fast.render_with(Event, event_json, event_xml)


class EventsController(rest.RestController):
    """Works on events."""

    # Routed before get_one: see the README on the message_id corner.
    statistics = statistics.StatisticsController()

    @rbac.protected(policy.EVENTS_INDEX)
    @wsme_pecan.wsexpose([Event], query.QUERY_LIST, wtypes.text,
                         [wtypes.text], wtypes.text)
    def get_all(self, q=None, limit=None, sort=None, marker=None):
        """The events matching ``q``, one page of them.

        :param q: filters on event fields and traits
        :param limit: the page size (default ``[api]
            default_api_return_limit``)
        :param sort: ``key[:dir]`` items, keys message_id and generated
        :param marker: message_id of the last event of the previous page
        """
        event_filter = query.to_event_filter(q, rbac.visibility())
        page = query.pagination(limit, sort, marker, pecan.request.cfg)
        if event_filter is None:
            return []
        try:
            events = list(pecan.request.conn.get_events(event_filter,
                                                        page))
        except storage.InvalidMarker as err:
            raise base.ClientSideError(
                str(err) or 'Invalid marker %s' % page['marker']) from None
        return [Event.from_model(e) for e in events]

    @rbac.protected(policy.EVENTS_SHOW)
    @wsme_pecan.wsexpose(Event, wtypes.text)
    def get_one(self, message_id):
        """The event ``message_id``, if the caller may see it."""
        visibility = rbac.visibility()
        if visibility.sees_nothing or not query.storable(message_id):
            raise base.EntityNotFound('Event', message_id)
        event_filter = storage.EventFilter(message_id=message_id,
                                           **visibility.filter_args())
        events = list(pecan.request.conn.get_events(event_filter))
        if not events:
            raise base.EntityNotFound('Event', message_id)
        if len(events) > 1:
            LOG.error('More than one event with id %s returned from '
                      'the storage driver', message_id)
        return Event.from_model(events[0])

    @rbac.protected(policy.EVENTS_CREATE)
    @pecan.expose('wsmejson:', content_type='application/json')
    @pecan.expose('wsmexml:', content_type='application/xml')
    @pecan.expose('wsmexml:', content_type='text/xml')
    def post(self, **params):
        """Record one posted event or a list of them, all or none.

        201 ``{"created": [ids], "duplicates": [ids]}``. Query
        parameters are ignored: Ceilometer's http publisher may leave
        options of its own in the URL.
        """
        return writes.record()

    @rbac.protected(policy.EVENTS_DELETE)
    @wsme_pecan.wsexpose(writes.DeletedEvents, wtypes.text,
                         query.QUERY_LIST, status_code=204)
    def delete(self, message_id=None, q=None):
        """Delete one event (204), or every event ``q`` matches (200).

        The same grammar and visibility as a listing; a delete with no
        filter at all is refused.
        """
        if message_id is None:
            deleted = writes.delete_matching(q)
            return wsme_api.Response(writes.DeletedEvents(deleted=deleted),
                                     status_code=200)
        if q:
            raise base.ClientSideError(writes.ID_AND_FILTER)
        writes.delete_one(message_id)
        return wsme_api.Response(None, status_code=204)
