"""Shared fixtures for the devstack tests: every server or child a test starts is checked for leaks."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

_SPAWNED: set[int] = set()


@pytest.fixture(scope="session", autouse=True)
def _no_leaked_processes() -> Iterator[None]:
    """After the session, fail if anything in the process groups our tests started is still alive."""
    yield
    listing = subprocess.run(
        ["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True, check=True
    )
    leaked = []
    for line in listing.stdout.splitlines():
        pid, pgid, state, _args = line.split(None, 3)
        if not state.startswith("Z") and (int(pid) in _SPAWNED or int(pgid) in _SPAWNED):
            leaked.append(line)
    assert not leaked, "processes left running:\n" + "\n".join(leaked)


@pytest.fixture(scope="session")
def spawned() -> set[int]:
    """Record here the pid of every process (group leader) a test starts; the session checks none survive."""
    return _SPAWNED
