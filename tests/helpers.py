"""Builders and readers shared by the storage and API tests."""

import datetime
import os

from panko_clone import storage
from panko_clone.storage import models

Trait = models.Trait

T0 = datetime.datetime(2014, 1, 1, 5, 0, 0)


def at(days=0, hours=0, minutes=0, seconds=0, microseconds=0):
    """A naive UTC datetime this far after ``T0``."""
    return T0 + datetime.timedelta(days=days, hours=hours, minutes=minutes,
                                   seconds=seconds,
                                   microseconds=microseconds)


def trait(name, value, dtype=None):
    """A storage trait; the type follows the Python type of ``value``."""
    if dtype is None:
        if isinstance(value, bool):
            raise TypeError('no boolean traits')
        if isinstance(value, int):
            dtype = Trait.INT_TYPE
        elif isinstance(value, float):
            dtype = Trait.FLOAT_TYPE
        elif isinstance(value, datetime.datetime):
            dtype = Trait.DATETIME_TYPE
        else:
            dtype = Trait.TEXT_TYPE
    return Trait(name, dtype, value)


def event(message_id, event_type='Foo', generated=T0, traits=None,
          raw=None):
    """A storage event; ``traits`` a dict of name to value, or Traits."""
    if isinstance(traits, dict):
        traits = [trait(name, value) for name, value in traits.items()]
    return models.Event(message_id=message_id, event_type=event_type,
                        generated=generated, traits=list(traits or []),
                        raw=raw)


def fetch(conn, pagination=None, **filter_args):
    """The events ``get_events`` yields for an EventFilter of these args."""
    event_filter = storage.EventFilter(**filter_args)
    return list(conn.get_events(event_filter, pagination))


def ids(events):
    return [e.message_id for e in events]


def trait_tuples(traits):
    """Traits as sorted ``(name, dtype, value)`` tuples, for comparison."""
    return sorted(((t.name, t.dtype, t.value) for t in traits),
                  key=lambda t: (t[0], t[1], repr(t[2])))


def as_tuple(ev):
    """An event in a form that compares regardless of trait order."""
    return (ev.message_id, ev.event_type, ev.generated,
            trait_tuples(ev.traits), ev.raw)


def flatten(nested, prefix=''):
    """``{'a': {'b': True}}`` -> ``{'a:b': True}``."""
    flat = {}
    for key, value in nested.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, name + ':'))
        else:
            flat[name] = value
    return flat


# The capability keys every driver reports (CONTRACT section 3).
CAPABILITY_KEYS = {
    'events:query:simple',
    'events:create',
    'events:delete',
    'events:statistics:groupby',
    'events:statistics:aggregation:standard',
    'events:statistics:aggregation:selectable:count',
    'events:statistics:aggregation:selectable:min',
    'events:statistics:aggregation:selectable:max',
    'events:statistics:aggregation:selectable:avg',
    'events:statistics:aggregation:selectable:sum',
}


# A small, varied store used by the filter and RBAC tests.
#
# id  type  generated  name     size ratio when        project user
# a   Foo   T0         alpha    1    0.5   T0+1h       p1      u1
# b   Foo   T0+1d      bravo    2    1.5   T0+1d+1h    p1      u2
# c   Bar   T0+2d      charlie  3    2.5   T0+2d+1h    p2      u1
# d   Bar   T0+3d      delta    4    3.5   T0+3d+1h    -       u3
# e   Zoo   T0+4d      echo     5    4.5   T0+4d+1h    p2      u2
# f   Zoo   T0+5d      (no traits at all)
ALL_IDS = ['a', 'b', 'c', 'd', 'e', 'f']


def sample_events():
    rows = [
        ('a', 'Foo', 'alpha', 1, 0.5, 'p1', 'u1'),
        ('b', 'Foo', 'bravo', 2, 1.5, 'p1', 'u2'),
        ('c', 'Bar', 'charlie', 3, 2.5, 'p2', 'u1'),
        ('d', 'Bar', 'delta', 4, 3.5, None, 'u3'),
        ('e', 'Zoo', 'echo', 5, 4.5, 'p2', 'u2'),
    ]
    events = []
    for day, (mid, etype, name, size, ratio, project, user) in enumerate(
            rows):
        traits = {'name': name, 'size': size, 'ratio': ratio,
                  'when': at(days=day, hours=1), 'user_id': user}
        if project is not None:
            traits['project_id'] = project
        events.append(event(mid, etype, at(days=day), traits,
                            raw={'id': mid, 'nested': {'n': day}}))
    events.append(event('f', 'Zoo', at(days=5), None, raw={}))
    return events


def make_conf(url):
    """A fresh configuration pointing at ``url``, connecting once only."""
    from panko_clone import service

    conf = service.prepare_service(argv=[], config_files=[])
    conf.set_override('connection', url, 'database')
    conf.set_override('max_retries', 0, 'storage')
    return conf


# ------------------------------------------------------------------- API

# Personas, as the noauth pipeline reads them from the request headers.
ADMIN = {'X-User-Id': 'u-admin', 'X-Project-Id': 'proj-admin',
         'X-Roles': 'admin'}
MEMBER = {'X-User-Id': 'user-a', 'X-Project-Id': 'proj-a',
          'X-Roles': 'member'}
SYSTEM_READER = {'X-User-Id': 'sys-reader', 'X-Roles': 'reader',
                 'OpenStack-System-Scope': 'all'}

ERROR_KEYS = {'faultcode', 'faultstring', 'debuginfo'}


def q_params(*filters, **extra):
    """Query-string parameters for ``q`` filters given as dicts.

    Attributes are matched by position, so when one filter names an
    attribute every filter gets it (with the documented default).
    """
    defaults = {'field': None, 'op': 'eq', 'type': 'string', 'value': None}
    used = [a for a in ('field', 'op', 'type', 'value')
            if any(a in f for f in filters)]
    params = []
    for f in filters:
        for attr in used:
            params.append(('q.' + attr, f.get(attr, defaults[attr])))
    params.extend(extra.items())
    return params


def assert_error(resp, status, faultstring=None, faultcode='Client'):
    """``resp`` is the JSON error the contract describes; its faultstring."""
    assert resp.status_int == status, (resp.status, resp.text[:500])
    assert resp.content_type == 'application/json', resp.headers
    body = resp.json
    assert set(body) == {'error_message'}, body
    error = body['error_message']
    assert set(error) == ERROR_KEYS, error
    assert error['faultcode'] == faultcode, error
    assert error['debuginfo'] is None, error
    assert isinstance(error['faultstring'], str), error
    assert 'Traceback' not in error['faultstring'], error
    if faultstring is not None:
        assert error['faultstring'] == faultstring
    return error['faultstring']


def api_event(message_id, event_type, generated, traits, raw):
    """An event as the API shows it; ``traits`` as (name, type, value)."""
    return {'message_id': message_id, 'event_type': event_type,
            'generated': generated,
            'traits': [{'name': n, 'type': t, 'value': v}
                       for n, t, v in sorted(traits)],
            'raw': raw}


def write_policy(path, text):
    """Write a policy file, its mtime pushed past any granularity.

    oslo.policy reloads a file whose modification time changed; two
    writes within one tick of the file system would look unchanged.
    Returns the path as a string, as ``policy_file`` takes it.
    """
    path.write_text(text)
    stamp = os.stat(path).st_mtime + 10
    os.utime(path, (stamp, stamp))
    return str(path)
