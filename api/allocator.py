"""The C allocator of a serving worker: how many malloc arenas its threads share.

glibc gives threads that allocate at the same time arenas of their own (up to
eight per core), and memory freed in one arena is only ever reused by it.  A
gthread worker's request threads take turns at the searcher (a search holds its
lock), yet each leaves its numpy temporaries in its own arena: on 100,000
articles a worker with 4 threads grew to 490-520 MB, against 300 MB with one
arena and no measurable change in CPU per request (``bench/load_100k.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's malloc.h


def limit_arenas(arenas: int) -> bool:
    """Let this process's threads share at most *arenas* malloc arenas (0 leaves glibc's
    default).  Call it before threads start.  False where the C library is not glibc."""
    if arenas <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_ARENA_MAX, arenas) == 1
