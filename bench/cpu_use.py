"""CPU time spent per HTTP request, by who spent it.

On a small machine the API workers, the database server and the load
generator share the cores, so requests/s alone cannot say what bounds a
rate. Around each load the benchmark reads the CPU time (user + system,
from ``/proc/<pid>/stat``) of the API processes, of the local database
server's processes (found by name; none for SQLite, which runs inside
the workers) and of its own process (the client threads), and divides
each by the requests served. Their sum over the machine's cores is the
rate at which the cores would be saturated.
"""

import os
import time

from bench import procfs

# Process names (``/proc/<pid>/comm``) of each back end's server.
SERVER_NAMES = {
    'postgresql': ('postgres',),
    'mysql': ('mariadbd', 'mysqld'),
}


def cpu_seconds(pids):
    """User + system CPU seconds of ``pids``; a vanished one counts 0."""
    ticks = os.sysconf('SC_CLK_TCK')
    total = 0.0
    for pid in pids:
        fields = procfs.stat_fields(pid)
        if fields is not None:
            total += (int(fields[procfs.USER_TICKS])
                      + int(fields[procfs.SYSTEM_TICKS])) / ticks
    return total


def server_pids(backend):
    """Pids of the local processes of ``backend``'s database server."""
    names = SERVER_NAMES.get(backend, ())
    if not names:
        return []
    return [pid for pid in procfs.pids()
            if procfs.command_name(pid) in names]


class DatabaseMeter:
    """CPU seconds the local database server spent since created.

    A server may start backends meanwhile (a new connection): those
    count from zero, and must still be running when ``spent`` is read.
    """

    def __init__(self, backend):
        self.backend = backend
        self.before = {pid: cpu_seconds([pid])
                       for pid in server_pids(backend)}

    def spent(self):
        return sum(cpu_seconds([pid]) - self.before.get(pid, 0.0)
                   for pid in server_pids(self.backend))


class Meter:
    """CPU seconds spent from ``__init__`` to ``spent()``, by party.

    ``api_pid`` is the WSGI server's master (its workers are its
    children); ``backend`` is a SQLAlchemy backend name.
    """

    def __init__(self, api_pid, backend):
        self.api_pids = [api_pid] + procfs.children(api_pid)
        self.before = {'api': cpu_seconds(self.api_pids),
                       'client': time.process_time()}
        self.database = DatabaseMeter(backend)

    def spent(self):
        """{'api', 'database', 'client': CPU seconds} since created."""
        return {
            'api': cpu_seconds(self.api_pids) - self.before['api'],
            'database': self.database.spent(),
            'client': time.process_time() - self.before['client'],
        }


def per_request(spent, requests):
    """``spent`` in milliseconds per request (None with no requests)."""
    if not requests:
        return None
    return {party: seconds * 1000 / requests
            for party, seconds in spent.items()}
