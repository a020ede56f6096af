"""The service as an operator runs it: installed commands, real servers.

These start ``panko-clone-dbsync``, ``panko-clone-api`` and gunicorn on
``panko_clone.wsgi.api:application`` as subprocesses, configured only
through what the README documents (``--config-file`` and
``OS_<GROUP>__<OPTION>`` environment variables), and talk to them over
loopback HTTP.
"""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from panko_clone import storage
from tests import helpers

BIN = pathlib.Path(sys.executable).parent
ADMIN = {'X-User-Id': 'u1', 'X-Project-Id': 'p1', 'X-Roles': 'admin'}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def get(url, headers=None, timeout=5):
    """``(status, decoded JSON or text)`` for a GET of ``url``."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


def wait_until_serving(url, process, deadline=30):
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if process.poll() is not None:
            raise AssertionError('server exited with %s' % process.returncode)
        try:
            return get(url, timeout=1)
        except OSError:
            time.sleep(0.2)
    raise AssertionError('server did not answer within %ss' % deadline)


@pytest.fixture
def sqlite_env(tmp_path):
    """The environment of a process configured for a fresh SQLite file."""
    env = dict(os.environ)
    env['OS_DATABASE__CONNECTION'] = 'sqlite:///%s' % (tmp_path / 'p.db')
    env['OS_API__AUTH_MODE'] = 'noauth'
    # Keep the processes away from the developer's own configuration.
    env['HOME'] = str(tmp_path)
    return env


def fill(env):
    """Store two events through the storage API, as the README does."""
    conn = storage.get_connection(env['OS_DATABASE__CONNECTION'],
                                  helpers.make_conf(
                                      env['OS_DATABASE__CONNECTION']))
    conn.record_events([
        helpers.event('e1', 'compute.instance.create.end',
                      traits={'project_id': 'p1', 'user_id': 'u1'}),
        helpers.event('e2', 'compute.instance.delete.end',
                      traits={'project_id': 'p2', 'user_id': 'u2'}),
    ])


def run(command, env):
    return subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=120)


def dbsync(env, *args):
    result = run([str(BIN / 'panko-clone-dbsync'), *args], env)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_dbsync_tells_its_migrations_without_alembic_chatter(sqlite_env):
    output = dbsync(sqlite_env)
    assert 'Running upgrade  -> c3955547bff2' in output
    assert 'setup plugin' not in output


@pytest.fixture
def started(request):
    """Start a server process; it is terminated when the test ends."""
    processes = []

    def start(command, env):
        process = subprocess.Popen(command, env=env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gunicorn(started):
    """Serve ``panko_clone.wsgi.api:application``; yields its base URL."""
    if shutil.which('gunicorn', path=str(BIN)) is None:
        pytest.fail('gunicorn is part of the test extra but is missing')

    def serve(env, workers=1):
        port = free_port()
        server = started([str(BIN / 'gunicorn'), '--workers', str(workers),
                          '--bind', '127.0.0.1:%d' % port,
                          'panko_clone.wsgi.api:application'], env)
        base = 'http://127.0.0.1:%d' % port
        status, versions = wait_until_serving(base + '/', server)
        assert status == 200
        assert versions['versions']['values'][0]['id'] == 'v2'
        return base

    return serve


def test_dbsync_then_gunicorn_workers_serve_the_store(sqlite_env, gunicorn):
    dbsync(sqlite_env)
    fill(sqlite_env)
    base = gunicorn(sqlite_env, workers=2)
    # Several requests, so that both workers are likely to answer some.
    for _ in range(6):
        status, events = get(base + '/v2/events', ADMIN)
        assert status == 200
        assert [e['message_id'] for e in events] == ['e1']
    status, body = get(base + '/v2/events/e2', ADMIN)
    assert status == 404
    assert body['error_message']['faultstring'] == \
        'Event e2 Not Found'
    status, types = get(base + '/v2/event_types', ADMIN)
    assert types == ['compute.instance.create.end',
                     'compute.instance.delete.end']
    assert get(base + '/healthcheck')[0] == 200


@pytest.mark.parametrize('keystone_uri', [
    'http://keystone.invalid:5000/v3',
    # Not configured at all: still a clean 401, not a 500.
    None,
])
def test_keystone_mode_is_the_default_for_wsgi(sqlite_env, gunicorn,
                                               keystone_uri):
    """Without ``auth_mode`` the WSGI app refuses unauthenticated calls."""
    del sqlite_env['OS_API__AUTH_MODE']
    if keystone_uri:
        sqlite_env['OS_KEYSTONE_AUTHTOKEN__WWW_AUTHENTICATE_URI'] = \
            keystone_uri
    dbsync(sqlite_env)
    base = gunicorn(sqlite_env)
    status, body = get(base + '/v2/events', ADMIN)
    assert status == 401
    assert body['error_message']['faultcode'] == 'Client'


def test_dev_server_from_a_config_file(tmp_path, sqlite_env, started):
    config = tmp_path / 'panko_clone.conf'
    config.write_text('[database]\nconnection = %s\n'
                      % sqlite_env.pop('OS_DATABASE__CONNECTION'))
    del sqlite_env['OS_API__AUTH_MODE']
    dbsync(sqlite_env, '--config-file', str(config))
    port = free_port()
    server = started([str(BIN / 'panko-clone-api'), '--config-file',
                      str(config), '--noauth', '--port', str(port)],
                     sqlite_env)
    base = 'http://127.0.0.1:%d' % port
    assert wait_until_serving(base + '/', server)[0] == 200
    assert get(base + '/v2/events', ADMIN) == (200, [])
    status, body = get(base + '/v2/events?limit=0', ADMIN)
    assert status == 400
    assert body['error_message']['faultcode'] == 'Client'


def test_storage_model_round_trip_through_http(sqlite_env, gunicorn):
    """What the storage API wrote is what HTTP clients read."""
    dbsync(sqlite_env)
    conn = storage.get_connection(
        sqlite_env['OS_DATABASE__CONNECTION'],
        helpers.make_conf(sqlite_env['OS_DATABASE__CONNECTION']))
    conn.record_events([helpers.event(
        'e9', 'image.update', generated=helpers.at(hours=1),
        traits={'project_id': 'p1', 'user_id': 'u1', 'size': 42,
                'ratio': 0.5, 'name': 'caf\u00e9'},
        raw={'payload': {'k': [1, 2]}})])
    base = gunicorn(sqlite_env)
    status, event = get(base + '/v2/events/e9', ADMIN)
    assert status == 200
    assert event['generated'] == '2014-01-01T06:00:00'
    assert event['raw'] == {'payload': {'k': [1, 2]}}
    assert {(t['name'], t['type'], t['value']) for t in event['traits']} \
        == {('project_id', 'string', 'p1'), ('user_id', 'string', 'u1'),
            ('size', 'integer', '42'), ('ratio', 'float', '0.5'),
            ('name', 'string', 'caf\u00e9')}

