"""Repository-wide pytest hooks: report how long each notebook took under nbval.

The per-notebook wall times printed at the end of `make test` are the run times quoted in
the README's notebook table.
"""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

_NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        if item.fspath.ext == ".ipynb":
            _NOTEBOOK_SECONDS[item.fspath.basename] += time.perf_counter() - start


def pytest_terminal_summary(terminalreporter):
    if not _NOTEBOOK_SECONDS:
        return
    terminalreporter.section("notebook run times (nbval, all cells)")
    for name, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        terminalreporter.write_line(f"{name:<40} {seconds:6.1f} s")
