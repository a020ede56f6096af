"""The storage models: what every driver stores and returns.

They mirror Panko's ``panko.storage.models`` so that code written against
Panko's storage layer keeps working.
"""

import datetime
import math

TRAIT_TEXT_MAX = 255
# Integer traits live in 64-bit columns on every SQL back end.
INT_MIN, INT_MAX = -2 ** 63, 2 ** 63 - 1


class Model:
    """Plain value object with equality by fields.

    Models have slots, not a ``__dict__``: a listing builds a thousand
    traits per page, and the memory driver keeps every event it holds.
    """

    __slots__ = ()
    _fields: tuple = ()

    def as_dict(self):
        out = {}
        for name in self._fields:
            value = getattr(self, name)
            if isinstance(value, list):
                value = [v.as_dict() if isinstance(v, Model) else v
                         for v in value]
            out[name] = value
        return out

    def __eq__(self, other):
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Event(Model):
    """One event as stored.

    ``generated`` is a naive datetime in UTC; ``traits`` a list of
    :class:`Trait`; ``raw`` the original notification (a dict, ``{}`` when
    none was kept).
    """

    _fields = ('message_id', 'event_type', 'generated', 'traits', 'raw')
    __slots__ = _fields

    def __init__(self, message_id, event_type, generated, traits, raw):
        self.message_id = message_id
        self.event_type = event_type
        self.generated = generated
        self.traits = traits
        self.raw = raw

    def __repr__(self):
        return '<Event: %s, %s, %s, %s>' % (
            self.message_id, self.event_type, self.generated,
            ' '.join(repr(t) for t in self.traits or ()))


class Trait(Model):
    """A typed name/value pair attached to an event."""

    _fields = ('name', 'dtype', 'value')
    __slots__ = _fields

    NONE_TYPE = 0
    TEXT_TYPE = 1
    INT_TYPE = 2
    FLOAT_TYPE = 3
    DATETIME_TYPE = 4

    type_names = {
        NONE_TYPE: 'none',
        TEXT_TYPE: 'string',
        INT_TYPE: 'integer',
        FLOAT_TYPE: 'float',
        DATETIME_TYPE: 'datetime',
    }

    def __init__(self, name, dtype, value):
        if not dtype:
            dtype = Trait.NONE_TYPE
        self.name = name
        self.dtype = dtype
        self.value = value

    def __repr__(self):
        return '<Trait: %s %d %s>' % (self.name, self.dtype, self.value)

    @classmethod
    def get_type_by_name(cls, type_name):
        """The dtype for an API type name, or None when unknown."""
        for dtype, name in cls.type_names.items():
            if name == type_name:
                return dtype
        return None

    @classmethod
    def get_type_names(cls):
        return cls.type_names.values()

    @classmethod
    def get_name_by_type(cls, type_id):
        return cls.type_names.get(type_id, 'none')

    @classmethod
    def convert_value(cls, trait_type, value):
        """Coerce ``value`` to what a trait of ``trait_type`` stores."""
        if trait_type == cls.INT_TYPE:
            value = int(value)
            if not INT_MIN <= value <= INT_MAX:
                raise ValueError('integer trait value %d is outside the '
                                 '64-bit range' % value)
            return value
        if trait_type == cls.FLOAT_TYPE:
            value = float(value)
            if not math.isfinite(value):
                # SQLite would store NULL, MySQL refuses: no back end
                # keeps it faithfully, so none accepts it.
                raise ValueError('float trait value %r is not finite'
                                 % value)
            return value
        if trait_type == cls.DATETIME_TYPE:
            return normalize_datetime(value)
        return str(value)[:TRAIT_TEXT_MAX]


def normalize_datetime(value):
    """A naive UTC datetime from a datetime or an ISO 8601 string."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(
            value.strip().replace('Z', '+00:00'))
    if not isinstance(value, datetime.datetime):
        raise ValueError('not a datetime: %r' % (value,))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value
