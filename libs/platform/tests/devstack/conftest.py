"""Shared fixtures for the devstack tests: every server or child a test starts is checked for leaks."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

_SPAWNED: set[int] = set()


def _working_in(base: Path) -> list[str]:
    """Processes working under `base`: PostgreSQL backends leave the postmaster's process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = os.readlink(entry / "cwd")
                if cwd == str(base) or cwd.startswith(f"{base}/"):
                    found.append(f"{entry.name} in {cwd}: {(entry / 'cmdline').read_bytes()!r}")
            except OSError:
                continue
    return found


@pytest.fixture(scope="session", autouse=True)
def _no_leaked_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session, fail if a process group a test started, or a server in a test dir, lives on."""
    yield
    ps = ["ps", "-eo", "pid=,pgid=,stat=,args="]
    listing = subprocess.run(ps, capture_output=True, text=True, check=True)
    leaked = []
    for line in listing.stdout.splitlines():
        pid, pgid, state, _args = line.split(None, 3)
        if not state.startswith("Z") and (int(pid) in _SPAWNED or int(pgid) in _SPAWNED):
            leaked.append(line)
    leaked += _working_in(tmp_path_factory.getbasetemp())
    assert not leaked, "processes left running:\n" + "\n".join(leaked)


@pytest.fixture(scope="session")
def spawned() -> set[int]:
    """Record here the pid of every process (group leader) a test starts; the session checks none survive."""
    return _SPAWNED
