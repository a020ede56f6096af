"""Plain-text tables: figures only, nothing judged or asserted."""

import os
import time

# Iterations of the reference loop (0.3-0.4 s on this project's 2-core
# machine).
REFERENCE_ITERATIONS = 10000000


def reference_ms(runs=3):
    """Milliseconds a fixed pure-Python loop takes, best of ``runs``.

    The same machine ran this project's code at very different speeds
    from one hour or day to the next; printed beside the figures, this
    says how fast the CPU was while they were taken, so two runs can be
    compared through it.
    """
    best = None
    for _ in range(runs):
        began = time.process_time()
        total = 0
        for number in range(REFERENCE_ITERATIONS):
            total += number
        spent = time.process_time() - began
        best = spent if best is None else min(best, spent)
    return best * 1000.0


def load_average():
    """The one-minute load average as text (what ``uptime`` shows)."""
    try:
        return '%.2f' % os.getloadavg()[0]
    except OSError:
        return '?'


def size_label(size):
    if size % 1000000 == 0:
        return '%dM' % (size // 1000000)
    if size % 1000 == 0:
        return '%dk' % (size // 1000)
    return str(size)


def ms(value):
    return '-' if value is None else '%.2f' % value


def ratio(a, b):
    if a is None or b is None or not b:
        return '-'
    return '%.2f' % (a / b)


def table(title, header, rows):
    """Print ``rows`` (lists of strings) under ``header``, aligned."""
    widths = [max(len(str(row[i])) for row in [header] + rows)
              for i in range(len(header))]

    def fmt(row):
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width)
                  for cell, width in zip(row[1:], widths[1:])]
        return ' | '.join(cells)

    print()
    print('## ' + title)
    print(fmt(header))
    print('-+-'.join('-' * w for w in widths))
    for row in rows:
        print(fmt(row))


def query_table(sizes, queries, storage, floor, loads):
    """Per size: storage median/p95, rows, floor median, ratio; scaling."""
    header = ['query']
    for size in sizes:
        label = size_label(size)
        header += ['%s med ms' % label, '%s p95 ms' % label,
                   '%s rows' % label, '%s floor ms' % label,
                   '%s x floor' % label]
    if len(sizes) > 1:
        header.append('%s/%s' % (size_label(sizes[-1]),
                                 size_label(sizes[0])))
    rows = []
    for query in queries:
        row = [query.label]
        for size in sizes:
            got = storage[size][query.key]
            base = floor[size].get(query.key)
            row += [ms(got.median), ms(got.p95), str(got.rows),
                    ms(base.median if base else None),
                    ratio(got.median, base.median if base else None)]
        if len(sizes) > 1:
            row.append(ratio(storage[sizes[-1]][query.key].median,
                             storage[sizes[0]][query.key].median))
        rows.append(row)
    table('storage queries (ms; floor = hand-written SQL on the raw '
          'DBAPI connection; load ' + ', '.join(
              '%s: %s' % (size_label(s), loads[s]) for s in sizes) + ')',
          header, rows)


def per_thousand_table(sizes, storage, floor, key, label):
    """Milliseconds per 1,000 rows returned, for row-heavy calls."""
    rows = []
    for size in sizes:
        got = storage[size][key]
        base = floor[size].get(key)
        per = (got.median * 1000.0 / got.rows) if got.rows else None
        floor_per = (base.median * 1000.0 / base.rows
                     if base and base.rows else None)
        rows.append(['%s at %s' % (label, size_label(size)), str(got.rows),
                     ms(per), ms(floor_per), ratio(per, floor_per)])
    table('per 1,000 rows returned', ['query', 'rows', 'ms/1k rows',
                                      'floor ms/1k', 'x floor'], rows)


def aggregated_table(sizes, storage, floor, queries):
    """Statistics per 1,000 events they aggregate.

    A statistics answer has a row per bucket or group, but its work is
    every event it counts; both sides are divided by the storage
    answer's count, since the floor answers the same question.
    ``queries``: (key, label) pairs.
    """
    rows = []
    for key, label in queries:
        for size in sizes:
            got = storage[size][key]
            base = floor[size].get(key)
            events = got.events
            per = got.median * 1000.0 / events if events else None
            floor_per = (base.median * 1000.0 / events
                         if base and events else None)
            rows.append(['%s at %s' % (label, size_label(size)),
                         str(got.events), ms(got.median), ms(per),
                         ms(floor_per), ratio(per, floor_per)])
    table('statistics per 1,000 events aggregated',
          ['query', 'events', 'ms', 'ms/1k events', 'floor ms/1k',
           'x floor'], rows)
