"""Resident memory: of API processes, and of the in-memory driver.

Figures come from ``/proc/<pid>/status`` (``VmRSS`` now, ``VmHWM`` the
peak), so no extra dependency is needed; on a system without ``/proc``
they are reported as unknown.

``python -m bench.memory N`` fills a fresh in-memory store with ``N``
events in a process of its own (so nothing else the benchmark holds is
counted) and prints the resident size before and after, in KiB.
"""

import gc
import os
import subprocess
import sys

from bench import dataset
from bench import database
from bench import procfs


def fill_and_measure(events, seed):
    """(KiB before, KiB after) filling a memory store with ``events``."""
    conn = database.open_store('memory://')
    gen = dataset.Generator(seed, keep=False)
    gc.collect()
    before = procfs.status_kib(os.getpid(), 'VmRSS')
    while gen.count < events:
        conn.record_events(gen.batch(min(dataset.BATCH,
                                         events - gen.count)))
    gc.collect()
    after = procfs.status_kib(os.getpid(), 'VmRSS')
    return before, after, conn


def memory_driver_rss(events, seed):
    """(KiB before, KiB after, KiB per 100k events), in a child process."""
    out = subprocess.run(
        [sys.executable, '-m', 'bench.memory', str(events), str(seed)],
        check=True, capture_output=True, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    before, after = (int(v) for v in out.stdout.split()[-2:])
    return before, after, (after - before) * 100000.0 / events


def main(argv):
    events = int(argv[0])
    seed = int(argv[1]) if len(argv) > 1 else 1
    before, after, conn = fill_and_measure(events, seed)
    print(before or 0, after or 0)
    del conn
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
