"""Turning posted events into storage events, or saying why not.

``POST /v2/events`` takes events in two shapes: the API's own (traits as
``{"name", "type", "value"}`` objects, as a listing shows them) and the
one Ceilometer serializes (traits as ``[name, dtype, value]`` triples,
what its http publisher sends). Both end up in :func:`build_event`,
which the direct storage publisher uses too, so every route into the
store accepts and refuses exactly the same events.

Nothing here touches HTTP or storage: :func:`parse_body` returns storage
models, or raises :class:`InvalidEvents` listing every bad index, and the
controller decides what that means on the wire. The limits are those of
the SQL schema (Panko's), enforced for every back end so that all of
them accept the same input: a driver would otherwise fail with a 500 on
MySQL and store the same event on SQLite.
"""

import datetime
import json
import math
import uuid

from oslo_utils import timeutils

from panko_clone.storage import models

Trait = models.Trait

# Column widths of the event store.
MESSAGE_ID_MAX = 50
NAME_MAX = 255
# ``raw`` is JSON in a TEXT column, 64 KiB on MySQL/MariaDB.
RAW_MAX_BYTES = 65535

EVENT_KEYS = ('message_id', 'event_type', 'generated', 'traits', 'raw')
TRAIT_KEYS = ('name', 'type', 'value')

TYPE_BY_NAME = {
    'string': Trait.TEXT_TYPE,
    'integer': Trait.INT_TYPE,
    'float': Trait.FLOAT_TYPE,
    'datetime': Trait.DATETIME_TYPE,
}
NAME_BY_TYPE = {dtype: name for name, dtype in TYPE_BY_NAME.items()}

# How many bad events one error message lists before summing up.
MAX_REPORTED = 20

BODY_SHAPE = ('The request body must be an event object or a list of '
              'event objects.')


class InvalidEvent(ValueError):
    """One event cannot be stored; the message says why."""


class InvalidEvents(ValueError):
    """Some events of a request cannot be stored.

    ``problems`` is a list of ``(index, reason)``; ``str()`` is the
    message the API returns.
    """

    def __init__(self, problems):
        self.problems = problems
        shown = ['event %d: %s' % item for item in problems[:MAX_REPORTED]]
        hidden = len(problems) - len(shown)
        if hidden:
            shown.append('and %d more invalid event%s'
                         % (hidden, '' if hidden == 1 else 's'))
        super().__init__('Invalid events, nothing was stored: %s.'
                         % '; '.join(shown))


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None)


def storable(text):
    """Whether every back end can keep ``text``: valid Unicode, no NUL."""
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return '\x00' not in text


def _text(value, what, max_length=None, required=True):
    """A checked string attribute; None when absent and not required."""
    if value is None:
        if required:
            raise InvalidEvent('%s is required' % what)
        return None
    if not isinstance(value, str):
        raise InvalidEvent('%s must be a string' % what)
    if not value:
        raise InvalidEvent('%s must not be empty' % what)
    if not storable(value):
        raise InvalidEvent('%s contains a NUL character or invalid '
                           'Unicode' % what)
    if max_length is not None and len(value) > max_length:
        raise InvalidEvent('%s is longer than %d characters'
                           % (what, max_length))
    return value


def _datetime(value, what):
    """A naive UTC datetime from a datetime or ISO 8601 text."""
    try:
        if isinstance(value, datetime.datetime):
            return timeutils.normalize_time(value)
        if isinstance(value, str):
            return timeutils.normalize_time(timeutils.parse_isotime(value))
    except (ValueError, TypeError, OverflowError):
        pass
    raise InvalidEvent('%s %s is not an ISO 8601 date and time'
                       % (what, json.dumps(value, default=str)))


def _integer(value, what):
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str):
        digits = value.strip()
        if digits[:1] in ('+', '-'):
            digits = digits[1:]
        if not (digits.isdigit() and digits.isascii()):
            value = None
        elif len(digits.lstrip('0')) > 19:
            raise InvalidEvent('%s is outside the 64-bit integer range'
                               % what)
        else:
            value = int(value)
    elif not isinstance(value, int):
        value = None
    if value is None:
        raise InvalidEvent('%s is not an integer' % what)
    if not models.INT_MIN <= value <= models.INT_MAX:
        raise InvalidEvent('%s %d is outside the 64-bit integer range'
                           % (what, value))
    return value


def _float(value, what):
    converted = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        converted = float(value)
    elif isinstance(value, str):
        try:
            converted = float(value)
        except ValueError:
            pass
    if converted is None:
        raise InvalidEvent('%s is not a number' % what)
    if not math.isfinite(converted):
        raise InvalidEvent('%s is not a finite number' % what)
    return converted


def convert_trait_value(dtype, value, what):
    """The value a trait of ``dtype`` stores, or InvalidEvent."""
    if value is None:
        raise InvalidEvent('%s is required' % what)
    if dtype == Trait.INT_TYPE:
        return _integer(value, what)
    if dtype == Trait.FLOAT_TYPE:
        return _float(value, what)
    if dtype == Trait.DATETIME_TYPE:
        return _datetime(value, what)
    if not isinstance(value, str):
        raise InvalidEvent('%s must be a string' % what)
    if not storable(value):
        raise InvalidEvent('%s contains a NUL character or invalid '
                           'Unicode' % what)
    return value[:models.TRAIT_TEXT_MAX]


def _trait_from_object(item, where):
    """``{"name", "type", "value"}``; ``type`` defaults to string."""
    unknown = sorted(set(item) - set(TRAIT_KEYS))
    if unknown:
        raise InvalidEvent('%s has an unknown attribute %s (expected '
                           'name, type, value)'
                           % (where, json.dumps(unknown[0])))
    name = _text(item.get('name'), '%s.name' % where, NAME_MAX)
    type_name = item.get('type')
    if type_name is None:
        type_name = 'string'
    if not isinstance(type_name, str) or type_name not in TYPE_BY_NAME:
        raise InvalidEvent('%s.type %s is not one of string, integer, '
                           'float, datetime'
                           % (where, json.dumps(type_name)))
    return name, TYPE_BY_NAME[type_name], item.get('value')


def _trait_from_triple(item, where):
    """``[name, dtype, value]``, dtype 1 to 4 as Ceilometer numbers them."""
    if len(item) != 3:
        raise InvalidEvent('%s must have 3 items [name, type, value], '
                           'not %d' % (where, len(item)))
    name, dtype, value = item
    name = _text(name, '%s name' % where, NAME_MAX)
    if (isinstance(dtype, bool) or not isinstance(dtype, int)
            or dtype not in NAME_BY_TYPE):
        raise InvalidEvent('%s type %s is not one of 1 (string), '
                           '2 (integer), 3 (float), 4 (datetime)'
                           % (where, json.dumps(dtype, default=str)))
    return name, dtype, value


def _traits(items):
    """Storage traits from a list in either shape; no repeated name+type."""
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise InvalidEvent('traits must be a list')
    traits = []
    seen = {}
    for position, item in enumerate(items):
        where = 'traits[%d]' % position
        if isinstance(item, dict):
            name, dtype, value = _trait_from_object(item, where)
        elif isinstance(item, (list, tuple)):
            name, dtype, value = _trait_from_triple(item, where)
        elif all(hasattr(item, a) for a in ('name', 'dtype', 'value')):
            # A Ceilometer Trait object (the direct publisher).
            name, dtype, value = _trait_from_triple(
                [item.name, item.dtype, item.value], where)
        else:
            raise InvalidEvent('%s must be an object {name, type, value} '
                               'or a list [name, type, value]' % where)
        key = (name, dtype)
        if key in seen:
            raise InvalidEvent('%s repeats the %s trait %s of traits[%d]'
                               % (where, NAME_BY_TYPE[dtype],
                                  json.dumps(name), seen[key]))
        seen[key] = position
        value = convert_trait_value(dtype, value, '%s (%s) value'
                                    % (where, name))
        traits.append(Trait(name, dtype, value))
    return traits


def _raw(raw):
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidEvent('raw must be a JSON object')
    try:
        # As the store will write it, minus what JSON has no room for:
        # NaN and Infinity would come back as text no client can parse.
        size = len(json.dumps(raw, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        raise InvalidEvent('raw cannot be written as standard JSON (NaN, '
                           'Infinity or too deeply nested)') from None
    if size > RAW_MAX_BYTES:
        raise InvalidEvent('raw takes %d bytes as JSON, more than the '
                           'limit of %d' % (size, RAW_MAX_BYTES))
    return raw


def build_event(message_id, event_type, generated, traits, raw):
    """A storage ``Event`` from checked parts, or InvalidEvent.

    ``message_id`` absent: a new UUID; ``generated`` absent: now. Text
    trait values are cut to 255 characters and datetimes made naive UTC,
    as the store keeps them.
    """
    event_type = _text(event_type, 'event_type', NAME_MAX)
    message_id = _text(message_id, 'message_id', MESSAGE_ID_MAX,
                       required=False)
    if generated is None:
        generated = utcnow()
    else:
        generated = _datetime(generated, 'generated')
    return models.Event(message_id=message_id or str(uuid.uuid4()),
                        event_type=event_type,
                        generated=generated,
                        traits=_traits(traits),
                        raw=_raw(raw))


def event_from_object(item):
    """A storage event from one posted JSON object (either shape)."""
    if not isinstance(item, dict):
        raise InvalidEvent('must be a JSON object')
    unknown = sorted(set(item) - set(EVENT_KEYS))
    if unknown:
        raise InvalidEvent('unknown attribute %s (expected %s)'
                           % (json.dumps(unknown[0]),
                              ', '.join(EVENT_KEYS)))
    return build_event(*(item.get(key) for key in EVENT_KEYS))


def parse_body(data):
    """Storage events from a decoded request body.

    Raises ``InvalidEvents`` naming every bad index (a single object is
    index 0), or ``ValueError`` with ``BODY_SHAPE`` for a body that is
    neither an object nor a non-empty list.
    """
    if isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
        if not items:
            raise ValueError('The request body holds no events.')
    else:
        raise ValueError(BODY_SHAPE)
    events = []
    problems = []
    for index, item in enumerate(items):
        try:
            events.append(event_from_object(item))
        except InvalidEvent as err:
            problems.append((index, str(err)))
    if problems:
        raise InvalidEvents(problems)
    return events
