"""mcbi.stats.blas: one BLAS thread inside the context, the previous setting after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json
import numpy  # loads OpenBLAS
from threadpoolctl import threadpool_info, threadpool_limits
from mcbi.stats.blas import single_thread_blas

def blas():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

threadpool_limits(2, user_api="blas")
before = blas()
with single_thread_blas():
    inside = blas()
print(json.dumps([before, inside, blas()]))
"""


def test_one_thread_inside_and_restored_after() -> None:
    # a fresh interpreter without the thread variables the Makefile exports, so that BLAS
    # really starts with two threads
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    before, inside, after = json.loads(out)
    assert before and all(n == 2 for n in before)
    assert all(n == 1 for n in inside)
    assert after == before
