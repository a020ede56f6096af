"""Stand-ins for what Ceilometer hands to, and sends from, publishers.

Ceilometer is not a dependency, so the tests rebuild the two things of
it that panko_clone meets, with exactly their shape: the event model
(``message_id``, ``event_type``, ``generated``, ``traits`` of
``name``/``dtype``/``value``, ``raw``, and ``serialize()`` turning
datetimes into ISO text and traits into ``(name, dtype, value)``), and
what the stock http publisher does with a URL and a list of events: the
publisher's own options and the credentials come out of the URL, the
rest is the target; each POST is ``requests``' with
``Content-type: application/json`` and the credentials as HTTP Basic
auth, one JSON list per call when ``batch`` is true (the default), one
object per request otherwise.
"""

import urllib.parse

from oslo_serialization import jsonutils
from oslo_utils import strutils
import requests

PUBLISHER_PARAMETERS = ('timeout', 'max_retries', 'batch', 'verify_ssl',
                        'raw_only', 'clientcert', 'clientkey')


def _iso(value):
    return value.isoformat() if hasattr(value, 'isoformat') else value


class Trait:
    NONE_TYPE, TEXT_TYPE, INT_TYPE, FLOAT_TYPE, DATETIME_TYPE = range(5)

    def __init__(self, name, dtype, value):
        self.name = name
        self.dtype = dtype
        self.value = value

    def serialize(self):
        return self.name, self.dtype, _iso(self.value)


class Event:
    def __init__(self, message_id, event_type, generated, traits, raw):
        self.message_id = message_id
        self.event_type = event_type
        self.generated = generated
        self.traits = traits
        self.raw = raw

    def serialize(self):
        return {'message_id': self.message_id,
                'event_type': self.event_type,
                'generated': _iso(self.generated),
                'traits': [t.serialize() for t in self.traits],
                'raw': self.raw}


def http_publish(url, events):
    """POST ``events`` to ``url`` as Ceilometer's http publisher would.

    Returns the ``requests`` responses, one per POST made.
    """
    parsed = urllib.parse.urlsplit(url)
    params = urllib.parse.parse_qs(parsed.query)
    options = {name: params.pop(name)[-1] for name in PUBLISHER_PARAMETERS
               if name in params}
    batch = strutils.bool_from_string(options.get('batch', True))
    timeout = int(options.get('timeout', 5))
    auth = None
    netloc = parsed.netloc
    if parsed.username:
        auth = (parsed.username, parsed.password)
        netloc = netloc.replace('%s:%s@' % auth, '')
    target = urllib.parse.urlunsplit([
        parsed.scheme, netloc, parsed.path, urllib.parse.urlencode(params),
        parsed.fragment])
    data = [event.serialize() for event in events]
    session = requests.Session()
    headers = {'Content-type': 'application/json'}
    bodies = [data] if batch else data
    return [session.post(target, data=jsonutils.dumps(body),
                         headers=headers, timeout=timeout, auth=auth)
            for body in bodies if body]
