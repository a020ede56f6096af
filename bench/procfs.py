"""Processes as ``/proc`` lists them: the one place the bench reads it.

On a system without ``/proc`` every reader here finds nothing, and the
figures built on them are reported as unknown or zero.
"""

import os

# Fields of ``/proc/<pid>/stat`` counted from the one after the command
# name (proc(5) numbers them from 1 with the pid and the name first).
PARENT = 1
USER_TICKS = 11
SYSTEM_TICKS = 12


def pids():
    """Ids of every process now running."""
    try:
        entries = os.listdir('/proc')
    except OSError:
        return []
    return [int(entry) for entry in entries if entry.isdigit()]


def stat_fields(pid):
    """``/proc/<pid>/stat`` after the command name; None once it is gone.

    The command name may hold spaces and parentheses, so the fields are
    those after its last ')'.
    """
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return None


def status_kib(pid, field):
    """``field`` (e.g. ``VmHWM``) of ``/proc/<pid>/status`` in KiB.

    None once the process is gone or when the field is missing.
    """
    try:
        with open('/proc/%d/status' % pid) as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def command_name(pid):
    """``/proc/<pid>/comm``, or None once the process is gone."""
    try:
        with open('/proc/%d/comm' % pid) as comm:
            return comm.read().strip()
    except OSError:
        return None


def children(pid):
    """Ids of the direct children of ``pid``, sorted."""
    found = []
    for candidate in pids():
        fields = stat_fields(candidate)
        if fields is not None and int(fields[PARENT]) == pid:
            found.append(candidate)
    return sorted(found)
