"""One BLAS thread while an optimiser works on small problems (through threadpoolctl).

scipy's L-BFGS-B calls BLAS on vectors of a few dozen numbers; with OpenBLAS running several
threads, each iteration then costs milliseconds instead of microseconds (about 100 times
slower on a loaded 2-core machine, measured for both the mixed models and the two-level
SEM). The limit applies to the whole process while the context is open.
"""

from __future__ import annotations

import functools

from threadpoolctl import ThreadpoolController

__all__ = ["single_thread_blas"]


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_thread_blas():
    """Context manager limiting the BLAS libraries to one thread while it is open."""
    return _controller().limit(limits=1, user_api="blas")
