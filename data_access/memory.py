"""How the C allocator (glibc's malloc) treats this process's big short-lived buffers and its many
threads. Two settings, made once per process by an explicit call at server start-up (serve.py, and
app.py for `streamlit run app.py`): importing a module changes nothing about the process.

- Buffers of 16 MiB and more are mapped for each use and given back to the system at once. An
  argon2 password check works in 19 MiB; glibc raises its mapping threshold after the first such
  buffer is freed and from then on keeps each thread's buffer in that thread's heap: 24 sign-ins at
  once left the process 346 MiB larger instead of 24 MiB (tests/data_access/test_sign_in_memory.py).
- At most two heaps ("arenas") for all threads instead of up to 8 per core: every browser session
  runs its script in a thread of its own, and twenty sessions at once otherwise left ~250 MB behind
  (bench/bench_crowd.py), for no speed gained.

An operator's MALLOC_MMAP_THRESHOLD_ or MALLOC_ARENA_MAX in the environment stays as set. Other C
libraries (musl, macOS) have no mallopt: nothing changes there.
"""
from __future__ import annotations

import ctypes
import os
import threading

M_MMAP_THRESHOLD = -3     # glibc's mallopt parameter numbers
M_ARENA_MAX = -8
BIG_BUFFER = 16 * 2**20
ARENAS = 2

_done: dict[str, bool] = {}
_lock = threading.Lock()


def tune() -> dict[str, bool]:
    """Apply both settings once per process; which ones this call (or an earlier one) applied."""
    with _lock:
        if _done:
            return dict(_done)
        try:
            mallopt = ctypes.CDLL("libc.so.6").mallopt
        except (OSError, AttributeError):
            mallopt = None
        _done["mmap_threshold"] = bool(mallopt and not os.environ.get("MALLOC_MMAP_THRESHOLD_")
                                       and mallopt(M_MMAP_THRESHOLD, BIG_BUFFER))
        _done["arenas"] = bool(mallopt and not os.environ.get("MALLOC_ARENA_MAX") and mallopt(M_ARENA_MAX, ARENAS))
        return dict(_done)
