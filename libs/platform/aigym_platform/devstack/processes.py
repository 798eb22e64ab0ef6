"""Child processes of the dev/test stack (services, Envoy, Celery, servers) that never outlive their parent.

Every child runs in its own process group, so a Ctrl-C in the terminal reaches only the supervisor, which then
stops the children in order (`ProcessGroup.stop_all`). On Linux each child also gets PR_SET_PDEATHSIG=SIGKILL,
so it dies even when the supervisor itself is SIGKILLed. The kernel sends that signal when the *thread* that
spawned the child exits, so start children from a long-lived thread (normally the main thread).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

_PR_SET_PDEATHSIG = 1
# setpriv sets the death signal, but if the parent died before that the signal never comes and the child
# would live on as an orphan. This shell runs after the signal is set: it execs the command only while its
# parent is still the process that spawned it (argument 1).
_UNLESS_ORPHANED = ("/bin/sh", "-c", '[ "$PPID" = "$1" ] || exit 137; shift; exec "$@"', "aigym-launch")
_TERMINAL_LOCK = threading.Lock()


@functools.cache
def _prctl() -> Callable[..., object] | None:
    """Resolve libc's prctl in the parent: loading a library after fork() may deadlock."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    fn: Callable[..., object] = prctl
    return fn


@functools.cache
def _setpriv() -> str | None:
    """util-linux's setpriv if it can set a parent-death signal (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    path = shutil.which("setpriv")
    if path is None:
        return None
    try:
        usage = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "--pdeathsig" in usage.stdout else None


def _die_with_parent() -> Callable[[], None] | None:
    """Build a preexec_fn that makes the child receive SIGKILL when the spawning thread exits."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent_pid = os.getpid()

    def setup() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # The parent may have died between fork() and prctl(); then the signal would never come.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)

    return setup


def _write_terminal(data: bytes) -> None:
    with _TERMINAL_LOCK, contextlib.suppress(OSError, ValueError):
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()


class ManagedProcess:
    """One child process in its own process group, stopped with SIGTERM then SIGKILL, never left behind.

    `env` entries are layered over the parent's environment (plus PYTHONUNBUFFERED=1 unless set, so Python
    children's logs show up as they happen). Output is appended to `log_file`, or inherited
    when it is None; with `prefix_output` every line is prefixed with `[name] ` (a reader thread copies it to
    the log file or to sys.stdout). `user` runs the child as that system user (the parent must be root).
    When the child exits, any of its own children still left in its process group are SIGKILLed.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log_file: Path | None = None,
        cwd: Path | None = None,
        prefix_output: bool = False,
        user: str | None = None,
    ) -> None:
        if not argv:
            raise ValueError(f"{name}: argv must not be empty")
        self.name = name
        self.argv: tuple[str, ...] = tuple(argv)
        self.log_file = log_file
        self.cwd = cwd
        self.prefix_output = prefix_output
        self.user = user
        self._env = dict(env) if env is not None else {}
        self._popen: subprocess.Popen[bytes] | None = None
        self._pidfd: int | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ManagedProcess(name={self.name!r}, pid={self.pid}, running={self.is_running()})"

    @property
    def pid(self) -> int | None:
        """Pid of the most recently started child (None before the first start)."""
        return None if self._popen is None else self._popen.pid

    @property
    def returncode(self) -> int | None:
        """Exit code of the last child (negative signal number if killed), None while running or unstarted."""
        if self._popen is None:
            return None
        self._check_exited()
        return self._popen.returncode

    def is_running(self) -> bool:
        """Return True while the child has been started and has not exited."""
        return self._popen is not None and not self._check_exited()

    def start(self) -> None:
        """Spawn the child; raise RuntimeError if it is still running from an earlier start."""
        with self._lock:
            if self.is_running():
                raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
            env = {**os.environ, **self._env}
            env.setdefault("PYTHONUNBUFFERED", "1")
            uid: int | None = None
            gid: int | None = None
            extra_groups: list[int] | None = None
            if self.user is not None:
                entry = pwd.getpwnam(self.user)
                if entry.pw_uid != os.geteuid():
                    # Drop root's supplementary groups too, not only the uid.
                    uid, gid, extra_groups = entry.pw_uid, entry.pw_gid, []
                    env.update(HOME=entry.pw_dir, USER=self.user, LOGNAME=self.user)
            log: IO[bytes] | None = None
            if self.log_file is not None:
                self.log_file.parent.mkdir(parents=True, exist_ok=True)
                log = self.log_file.open("ab")
            stdout: IO[bytes] | int | None = subprocess.PIPE if self.prefix_output else log
            launcher = _setpriv()
            argv: list[str] = list(self.argv)
            spawn: dict[str, object] = {}
            if launcher is not None:
                # setpriv sets the death signal and drops privileges, then execs the command: Popen needs
                # no preexec_fn and no credential changes and can spawn with vfork, so the fork handlers
                # of gRPC's threads never run in a child (they can abort it before exec).
                argv = [launcher, "--pdeathsig", "KILL"]
                if uid is not None and gid is not None:
                    argv += ["--reuid", str(uid), "--regid", str(gid), "--clear-groups"]
                argv += ["--", *_UNLESS_ORPHANED, str(os.getpid()), *self.argv]
            else:
                spawn = {
                    "preexec_fn": _die_with_parent(),
                    "user": uid,
                    "group": gid,
                    "extra_groups": extra_groups,
                }
            try:
                popen = subprocess.Popen(  # type: ignore[call-overload]
                    argv,
                    stdin=subprocess.DEVNULL,  # a background process group reading the tty would be stopped
                    stdout=stdout,
                    stderr=None if stdout is None else subprocess.STDOUT,
                    env=env,
                    cwd=self.cwd,
                    process_group=0,
                    **spawn,
                )
            except BaseException:
                if log is not None:
                    log.close()
                raise
            self._popen = popen
            self._pidfd = _open_pidfd(popen.pid)
            if self.prefix_output:
                assert popen.stdout is not None
                self._reader = threading.Thread(
                    target=self._pump, args=(popen.stdout, log), name=f"{self.name}-output", daemon=True
                )
                self._reader.start()
            elif log is not None:
                log.close()

    def send_signal(self, sig: int, *, group: bool = True) -> None:
        """Send `sig` to the child's whole process group (or only to the child); no-op once it exited."""
        with self._lock:
            if self._popen is None or self._check_exited():
                return
            pid = self._popen.pid
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, sig)
                    return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the child to exit and return its exit code; None if still running after `timeout`."""
        if self._popen is None:
            return None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._check_exited():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            _sleep_until_exit([self._pidfd], remaining)
        return self._popen.returncode

    def terminate(self, grace: float = 5.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after `grace` s; return the exit code (None if unstarted)."""
        if self._popen is None:
            return None
        if self.is_running():
            self.send_signal(signal.SIGTERM)
            if self.wait(grace) is None:
                return self.kill()
        return self.wait()

    def kill(self) -> int | None:
        """SIGKILL the process group at once and reap the child; return its exit code (None if unstarted)."""
        self.send_signal(signal.SIGKILL)
        return self.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.terminate()

    def _check_exited(self) -> bool:
        """Return True if the child exited; reap it (after sweeping its process group) the first time."""
        with self._lock:
            popen = self._popen
            if popen is None or popen.returncode is not None:
                return True
            try:
                # WNOWAIT leaves the child a zombie, so its pid (our process group id) cannot be reused yet.
                status = os.waitid(os.P_PID, popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                popen.wait()  # someone else reaped it; Popen copes and records returncode 0
            else:
                if status is None:
                    return False
                # Orphaned grandchildren would keep running without PDEATHSIG: the group dies with its leader.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(popen.pid, signal.SIGKILL)
                popen.wait()
            self._release()
            return True

    def _release(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        if self._reader is not None:
            self._reader.join(timeout=2.0)
            self._reader = None

    def _pump(self, stream: IO[bytes], sink: IO[bytes] | None) -> None:
        prefix = f"[{self.name}] ".encode()
        try:
            with contextlib.suppress(OSError, ValueError):
                for line in iter(stream.readline, b""):
                    data = prefix + (line if line.endswith(b"\n") else line + b"\n")
                    if sink is None:
                        _write_terminal(data)
                    else:
                        sink.write(data)
                        sink.flush()
        finally:
            stream.close()
            if sink is not None:
                sink.close()


class ProcessGroup:
    """Several ManagedProcess started in order and stopped in reverse order within one deadline.

    Typical supervisor loop: `start_all()`, then `wait_any()` until a child exits or KeyboardInterrupt
    arrives (children do not see the terminal's Ctrl-C: they run in their own process groups), then
    `stop_all()`.
    """

    def __init__(self, processes: Iterable[ManagedProcess] = ()) -> None:
        self._processes: list[ManagedProcess] = list(processes)

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        """The processes in start order."""
        return tuple(self._processes)

    def add(self, process: ManagedProcess) -> ManagedProcess:
        """Append `process` (started after the ones already added, stopped before them) and return it."""
        self._processes.append(process)
        return process

    def start_all(self) -> None:
        """Start every process not already running, in order; on failure stop those started and re-raise."""
        started: list[ManagedProcess] = []
        try:
            for process in self._processes:
                if not process.is_running():
                    process.start()
                    started.append(process)
        except BaseException:
            _stop(started, grace=5.0)
            raise

    def stop_all(self, grace: float = 8.0) -> None:
        """SIGTERM every running process (last started first), SIGKILL whatever still runs after `grace` s."""
        _stop(self._processes, grace)

    def wait_any(self, timeout: float | None = None) -> ManagedProcess | None:
        """Return the first started process found exited, blocking up to `timeout` s (None: forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            running: list[ManagedProcess] = []
            for process in self._processes:
                if process.pid is None:
                    continue
                if not process.is_running():
                    return process
                running.append(process)
            remaining = None if deadline is None else deadline - time.monotonic()
            if not running or (remaining is not None and remaining <= 0):
                return None
            _sleep_until_exit([process._pidfd for process in running], remaining)

    def __enter__(self) -> Self:
        self.start_all()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()


def _stop(processes: Sequence[ManagedProcess], grace: float) -> None:
    deadline = time.monotonic() + grace
    running = [process for process in reversed(processes) if process.is_running()]
    # Signal everyone first so their shutdowns overlap; the total stays within `grace` plus the SIGKILLs.
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        process.wait(max(0.0, deadline - time.monotonic()))
    for process in running:
        if process.is_running():
            process.kill()


def _open_pidfd(pid: int) -> int | None:
    """Open a pidfd (Linux >= 5.3): it becomes readable when the process exits, so waits need no polling."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return None
    try:
        fd: int = pidfd_open(pid)
    except OSError:
        return None
    return fd


def _sleep_until_exit(pidfds: Sequence[int | None], timeout: float | None) -> None:
    """Block until a process behind `pidfds` exits or `timeout` passes (polls if a pidfd is missing)."""
    fds = [fd for fd in pidfds if fd is not None]
    if fds and len(fds) == len(pidfds):
        select.select(fds, [], [], timeout)
    else:
        time.sleep(0.02 if timeout is None else max(0.0, min(timeout, 0.02)))
