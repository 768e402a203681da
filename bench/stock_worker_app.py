"""plankg's app under gunicorn's stock ``gthread`` worker, for the worker decision (issue 13):

    PLANKG_BENCH_STORE=DIR gunicorn -k gthread --threads 16 bench.stock_worker_app:app

The same ``create_app`` as ``plankg serve``, the same settings, but none of plankg's worker
class: queries then run on the executor's engine threads (no connection thread to run them
on), and there are no head/body deadlines, eviction, retirement, memory watch or sandbox.
``bench_server.py --stock-worker`` serves it beside ``plankg serve``, with the result cache off
(``PLANKG_RESULT_CACHE_MIB=0``): it is compared with ``plankg-nocache``.
"""

from __future__ import annotations

import os

from plankg.server import create_app
from plankg.server.serving.serve import settings_from_env

app = create_app({**settings_from_env(), "STORE": os.environ["PLANKG_BENCH_STORE"]})
