"""Where a storage call spends its time, by cProfile.

``python -m bench --profile KEY[,KEY]`` (or ``all``) runs each named
query a few times under cProfile at the last size and prints the
functions with the most time of their own, which is usually enough to
tell Python overhead (ORM, row processing, object building) from time
waiting on the database (the DBAPI's ``execute``/``fetch``).
"""

import cProfile
import io
import os
import pstats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def profile(conn, queries, params, names, runs=5, top=15):
    for query in queries:
        if 'all' not in names and query.key not in names:
            continue
        profiler = cProfile.Profile()
        chosen = params[query.key][:runs]
        profiler.enable()
        for p in chosen:
            list(query.call(conn, p))
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats('tottime').print_stats(top)
        print('\n## profile: %s (%d runs, by own time)' % (query.label,
                                                           len(chosen)))
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines)
                      if line.lstrip().startswith('ncalls')), 0)
        for line in [lines[0]] + lines[start:]:
            if line.strip():
                print(line.replace(ROOT, '').rstrip())
