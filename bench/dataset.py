"""The synthetic event store every benchmark fills.

Events are shaped like the ones PANKO-COSTS.md measured Panko 10 with:
twelve traits each (seven text, three integer, one float, one
datetime), twenty event types, a hundred projects, three hundred users
(each in one project), a few percent of events without a
``project_id`` trait. The generator is seeded, so two runs with one
seed store the same events and time the same queries.

Events arrive as Ceilometer delivers them (``--arrival ordered``, the
default): in the order they happened, one every 2.6 s on average (a
million events make thirty days), each up to five minutes late. Every
index that holds ``generated`` then grows at its end, as in production.
``--arrival random`` spreads ``generated`` uniformly over thirty days
instead, so every such index takes inserts at random places: the
store the earlier figures in bench/RESULTS.md were measured on.
"""

import datetime
import random
import time
import uuid

from panko_clone.storage import models

BATCH = 100
DAYS = 30
START = datetime.datetime(2024, 1, 1)
ARRIVALS = ('ordered', 'random')
# Ordered arrival: mean spacing (1M events in DAYS) and the most an
# event may arrive after its successors.
SPACING_US = DAYS * 86400 * 10 ** 6 // 1000000
LATENESS_US = 300 * 10 ** 6

N_TYPES = 20
N_PROJECTS = 100
N_USERS = 300
N_HOSTS = 200
NO_PROJECT_SHARE = 0.03
MEMORY_STEP = 256
MEMORY_STEPS = 256          # memory_mb in 256 .. 65536
MEMORY_WINDOW = 2           # a range query spans 3 steps: ~1.2% of events

Trait = models.Trait

EVENT_TYPES = ['%s.%s' % (family, action)
               for family in ('compute.instance', 'volume', 'network',
                              'image', 'identity.project')
               for action in ('create.end', 'delete.end', 'update',
                              'exists')]
PROJECTS = ['project-%03d' % i for i in range(N_PROJECTS)]
# Every user belongs to one project, so (project, user) pairs exist.
USERS = ['user-%03d' % i for i in range(N_USERS)]
USER_PROJECT = {user: PROJECTS[i % N_PROJECTS]
                for i, user in enumerate(USERS)}
HOSTS = ['compute-%03d.example.org' % i for i in range(N_HOSTS)]
SERVICES = ['nova', 'cinder', 'neutron', 'glance', 'keystone', 'heat',
            'swift', 'octavia']
STATES = ['active', 'building', 'deleted', 'error', 'shutoff']

API_TYPE_NAMES = {Trait.TEXT_TYPE: 'string', Trait.INT_TYPE: 'integer',
                  Trait.FLOAT_TYPE: 'float',
                  Trait.DATETIME_TYPE: 'datetime'}


def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Generator:
    """Deterministic synthetic events.

    With ``keep`` (the default) it remembers ``(generated, message_id,
    project_id, user_id)`` of every event it made, so queries can pick
    parameters that exist in the store; the memory measurement turns
    that off so only the store's own footprint is counted.
    """

    def __init__(self, seed, keep=True, arrival='ordered'):
        if arrival not in ARRIVALS:
            raise ValueError('arrival must be one of %s' % (ARRIVALS,))
        self.rng = random.Random(seed)
        self.keep = keep
        self.ordered = arrival == 'ordered'
        self.made = []
        self.count = 0

    def _generated(self):
        if self.ordered:
            offset = (self.count * SPACING_US
                      - self.rng.randrange(LATENESS_US))
        else:
            offset = self.rng.randrange(DAYS * 86400 * 10 ** 6)
        return START + datetime.timedelta(microseconds=offset)

    def event(self):
        rng = self.rng
        generated = self._generated()
        message_id = _uuid(rng)
        user = rng.choice(USERS)
        project = USER_PROJECT[user]
        if rng.random() < NO_PROJECT_SHARE:
            project = None
        launched = generated - datetime.timedelta(
            seconds=rng.randrange(7 * 86400))
        traits = [
            Trait('user_id', Trait.TEXT_TYPE, user),
            Trait('resource_id', Trait.TEXT_TYPE, _uuid(rng)),
            Trait('host', Trait.TEXT_TYPE, rng.choice(HOSTS)),
            Trait('service', Trait.TEXT_TYPE, rng.choice(SERVICES)),
            Trait('state', Trait.TEXT_TYPE, rng.choice(STATES)),
            Trait('request_id', Trait.TEXT_TYPE, 'req-' + _uuid(rng)),
            Trait('memory_mb', Trait.INT_TYPE,
                  MEMORY_STEP * rng.randint(1, MEMORY_STEPS)),
            Trait('vcpus', Trait.INT_TYPE, rng.choice((1, 2, 4, 8, 16))),
            Trait('disk_gb', Trait.INT_TYPE, rng.choice((0, 10, 20, 40,
                                                          80, 160))),
            Trait('cpu_util', Trait.FLOAT_TYPE,
                  round(rng.uniform(0, 100), 6)),
            Trait('launched_at', Trait.DATETIME_TYPE, launched),
        ]
        if project is not None:
            traits.insert(0, Trait('project_id', Trait.TEXT_TYPE, project))
        self.count += 1
        if self.keep:
            self.made.append((generated, message_id, project, user))
        return models.Event(message_id=message_id,
                            event_type=rng.choice(EVENT_TYPES),
                            generated=generated, traits=traits, raw={})

    def batch(self, size=BATCH):
        return [self.event() for _ in range(size)]


def some_day(rng, gen):
    """Midnight starting the day of a random stored event.

    A day the store has events on, whichever the arrival: an ordered
    store of 10,000 events spans only its first seven hours.
    """
    generated = rng.choice(gen.made)[0]
    return datetime.datetime.combine(generated.date(), datetime.time())


def add_arguments(parser):
    """The options that choose the store: ``--seed`` and ``--arrival``."""
    parser.add_argument('--seed', type=int, default=20240101)
    parser.add_argument('--arrival', choices=ARRIVALS, default='ordered',
                        help='events in time order, up to five minutes '
                        'late (default), or at random times over %d '
                        'days' % DAYS)


def fill(conn, gen, target):
    """Record events until ``gen`` has made ``target``.

    Returns ``(events/s, seconds)``, counting only the time spent inside
    ``record_events`` (batches of ``BATCH``), not generating events.
    """
    spent = 0.0
    count = 0
    while gen.count < target:
        batch = gen.batch(min(BATCH, target - gen.count))
        began = time.perf_counter()
        conn.record_events(batch)
        spent += time.perf_counter() - began
        count += len(batch)
    return (count / spent if spent else float('nan')), spent


def middle_marker(gen):
    """message_id of the event in the middle of the default order."""
    ordered = sorted((generated, mid) for generated, mid, _, _ in gen.made)
    return ordered[len(ordered) // 2][1]


def api_event(event):
    """``event`` in the API's JSON shape, as ``POST /v2/events`` takes it."""
    return {
        'message_id': event.message_id,
        'event_type': event.event_type,
        'generated': event.generated.isoformat(),
        'traits': [{'name': t.name, 'type': API_TYPE_NAMES[t.dtype],
                    'value': (t.value.isoformat()
                              if t.dtype == Trait.DATETIME_TYPE
                              else str(t.value))}
                   for t in event.traits],
        'raw': event.raw,
    }
