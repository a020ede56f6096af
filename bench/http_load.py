"""The HTTP API under uWSGI or gunicorn, and a load generator on loopback.

The server is the module-level app (``panko_clone.wsgi.api:application``)
run by several worker processes, each loading the app itself:

- ``uwsgi`` (the default; OpenStack's deployment tooling serves its
  APIs with it) parses HTTP in C, one request per connection
  (``--http-socket``). Its ``--http11-socket`` keeps a connection
  alive, but then the worker serving it serves nothing else until the
  client closes it: with 8 clients and 4 workers, 4 clients waited
  for the whole load (runs up to 38 in RESULTS.md measured that);
- ``gunicorn`` with ``gthread`` workers of one thread each, or ``sync``
  (see WORKER_CLASSES), parses HTTP in Python (bench/RESULTS.md
  compares the two).

That app reads oslo.config's default locations, so the benchmark
writes ``panko_clone.conf`` into ``<tmp>/.panko_clone/`` and starts the
server with ``HOME=<tmp>``: the workers then serve the ``panko+noauth``
pipeline on the bench database (identity headers trusted as sent) and
nothing of the caller's own configuration leaks in.

The load generator is threads, each with one keep-alive
``http.client`` connection (re-opened whenever the server closes it),
issuing requests back to back until the time is up; what each thread
got is counted, so a client left waiting shows. It shares the
machine's cores with the server, so the figures are a lower bound on
what the server alone would sustain.
"""

import collections
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from bench import dataset
from bench import procfs
from bench import storage_timings

CONFIG = """[DEFAULT]
debug = false

[api]
auth_mode = noauth

[database]
connection = %s
"""

# gunicorn worker classes the bench runs: ``sync`` answers one request
# per connection and closes it; ``gthread`` (here one thread a worker,
# so still one request at a time) keeps connections alive between
# requests, as keystoneauth sessions and proxies keep them.
WORKER_CLASSES = ('gthread', 'sync')

# WSGI servers the bench runs the API under.
SERVERS = ('uwsgi', 'gunicorn')

APP = 'panko_clone.wsgi.api:application'

# ``per_client``: what ``ok`` counts, for each client thread.
Load = collections.namedtuple('Load', 'ok errors statuses latencies '
                                      'elapsed per_client')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def uwsgi_command():
    """The uwsgi program beside this Python (a virtualenv's), or on PATH.

    RuntimeError, saying how to install it, when there is none.
    """
    beside = os.path.join(os.path.dirname(sys.executable), 'uwsgi')
    found = beside if os.access(beside, os.X_OK) else shutil.which('uwsgi')
    if found is None:
        raise RuntimeError(
            "no uwsgi program: pip install uwsgi (part of the test extra; "
            'it compiles, with gcc and the Python headers), or pass '
            '--http-server gunicorn')
    return found


class Server:
    """A WSGI server serving the API on ``url``'s database.

    A context manager; ``server`` is one of SERVERS, ``worker_class``
    (one of WORKER_CLASSES) applies to gunicorn.
    """

    def __init__(self, url, workers, tmpdir, worker_class='gthread',
                 server='uwsgi'):
        if worker_class not in WORKER_CLASSES:
            raise ValueError('worker class must be one of %s'
                             % (WORKER_CLASSES,))
        if server not in SERVERS:
            raise ValueError('server must be one of %s' % (SERVERS,))
        self.url = url
        self.workers = workers
        self.worker_class = worker_class
        self.server = server
        self.home = os.path.join(tmpdir, 'server-home')
        self.port = _free_port()
        self.process = None
        self.log_path = os.path.join(tmpdir, '%s.log' % server)

    def _command(self):
        bind = '127.0.0.1:%d' % self.port
        if self.server == 'gunicorn':
            return [sys.executable, '-m', 'gunicorn', '--workers',
                    str(self.workers), '--worker-class', self.worker_class,
                    '--threads', '1', '--bind', bind, '--timeout', '300',
                    APP]
        command = [uwsgi_command(), '--http-socket', bind,
                   # It closes each connection after the answer; saying
                   # so lets a client open the next one instead of
                   # finding this one closed.
                   '--add-header', 'Connection: close', '--master',
                   '--processes', str(self.workers),
                   # Each worker loads the app (and opens its pool), as
                   # gunicorn's workers do.
                   '--lazy-apps', '--need-app', '--die-on-term',
                   '--disable-logging', '--harakiri', '300',
                   '--module', APP]
        if sys.prefix != sys.base_prefix:
            command += ['--virtualenv', sys.prefix]
        return command

    def __enter__(self):
        command = self._command()
        os.makedirs(os.path.join(self.home, '.panko_clone'), exist_ok=True)
        with open(os.path.join(self.home, '.panko_clone',
                               'panko_clone.conf'), 'w') as conf:
            conf.write(CONFIG % self.url)
        env = dict(os.environ, HOME=self.home)
        env.pop('OS_DATABASE__CONNECTION', None)
        self.log = open(self.log_path, 'w')
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(
                __file__))))
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                                  timeout=5)
                conn.request('GET', '/')
                if conn.getresponse().status == 200:
                    conn.close()
                    # Every worker loads the app on its own.
                    self._warm()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        with open(self.log_path) as log:
            tail = log.read()[-2000:]
        raise RuntimeError('%s did not start:\n%s' % (self.server, tail))

    def _warm(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=60)
        for _ in range(self.workers * 4):
            conn.request('GET', '/v2/event_types', headers=ADMIN)
            conn.getresponse().read()
            conn.close()

    def peak_rss(self):
        """{pid: peak KiB} of the master and each worker."""
        pids = [self.process.pid] + procfs.children(self.process.pid)
        return {pid: procfs.status_kib(pid, 'VmHWM') for pid in pids}

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, 'log', None) is not None:
            self.log.close()
        return False


ADMIN = {'X-User-Id': 'bench-admin', 'X-Project-Id': 'project-000',
         'X-Roles': 'admin'}


def _admin_of(project):
    return dict(ADMIN, **{'X-Project-Id': project})


def listing_request(gen):
    """An admin of a random project lists its first 100 events."""
    def make(rng):
        return ('GET', '/v2/events?limit=100', None,
                _admin_of(rng.choice(dataset.PROJECTS)))
    return make


def show_request(gen):
    """An admin of an event's project fetches that event."""
    def make(rng):
        while True:
            _, mid, project, _ = rng.choice(gen.made)
            if project is not None:
                break
        return 'GET', '/v2/events/' + mid, None, _admin_of(project)
    return make


def statistics_request(gen):
    """An admin's one-minute histogram of its project over one day."""
    def make(rng):
        p = storage_timings._p_day(rng, gen)
        query = urllib.parse.urlencode([
            ('q.field', 'start_timestamp'), ('q.op', 'ge'),
            ('q.value', p['start'].isoformat()),
            ('q.field', 'end_timestamp'), ('q.op', 'le'),
            ('q.value', p['end'].isoformat()),
            ('period', '60'), ('aggregate.func', 'count')])
        return ('GET', '/v2/events/statistics?' + query, None,
                _admin_of(rng.choice(dataset.PROJECTS)))
    return make


REQUESTS = [
    ('listing', 'HTTP listing, 100 events', listing_request),
    ('show', 'HTTP show one event', show_request),
    ('statistics', 'HTTP statistics (1-min, 1 day)', statistics_request),
]


def _client(port, next_request, ok_statuses, counted_by, out):
    """Send requests until ``next_request()`` gives None, on one socket.

    ``counted_by(body)`` says how much an answer with an ``ok_statuses``
    status counts for (1 request, or the events a POST created).
    """
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=300)
    latencies = []
    statuses = collections.Counter()
    errors = 0
    counted = 0
    try:
        while True:
            request = next_request()
            if request is None:
                break
            method, path, body, headers = request
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                statuses['connection error'] += 1
                conn.close()
                continue
            spent = time.perf_counter() - began
            statuses[response.status] += 1
            if response.status in ok_statuses:
                latencies.append(spent * 1000)
                counted += counted_by(data)
            else:
                errors += 1
            if response.will_close:
                conn.close()
    finally:
        conn.close()
        out.append((latencies, errors, statuses, counted))


def _drive(port, request_sources, ok_statuses, counted_by):
    """One client thread per request source, run to the end; a Load."""
    out = []
    began = time.perf_counter()
    threads = [threading.Thread(target=_client, args=(
        port, source, ok_statuses, counted_by, out))
        for source in request_sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies = [v for lat, _, _, _ in out for v in lat]
    statuses = collections.Counter()
    for _, _, counted, _ in out:
        statuses.update(counted)
    per_client = [c for _, _, _, c in out]
    return Load(sum(per_client), sum(e for _, e, _, _ in out),
                statuses, latencies, elapsed, per_client)


def run_load(port, make, concurrency, seconds, seed, ok=(200,)):
    """Drive ``make(rng)`` requests from ``concurrency`` threads."""
    deadline = time.perf_counter() + seconds

    def source(rng):
        return lambda: (make(rng) if time.perf_counter() < deadline
                        else None)

    return _drive(port, [source(random.Random('%s-%d' % (seed, i)))
                         for i in range(concurrency)],
                  ok, lambda data: 1)


def post_ingest(port, gen, events, concurrency, seed):
    """POST ``events`` new events in batches of 100; a ``Load``.

    Batches are made up front (generation is not timed) and shared out
    among the threads in order.
    """
    batches = []
    for start in range(0, events, dataset.BATCH):
        size = min(dataset.BATCH, events - start)
        batches.append(json.dumps(
            [dataset.api_event(e) for e in gen.batch(size)]))
    lock = threading.Lock()
    pending = list(reversed(batches))
    headers = dict(ADMIN, **{'Content-Type': 'application/json'})

    def make(rng):
        with lock:
            if not pending:
                return None
            return 'POST', '/v2/events', pending.pop(), headers

    def created(data):
        return len(json.loads(data).get('created', ()))

    return _drive(port, [lambda: make(None)] * concurrency, (201,),
                  created)


