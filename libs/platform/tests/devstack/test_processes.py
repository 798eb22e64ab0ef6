from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aigym_platform.devstack.processes import ManagedProcess, ProcessGroup

# A shell that ignores SIGTERM (the ignored disposition survives exec) and says when it is ready.
STUBBORN = ["sh", "-c", 'trap "" TERM; echo ready; exec sleep 60']


def alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def contains(path: Path, text: str) -> Callable[[], bool]:
    return lambda: path.exists() and text in path.read_text()


@pytest.fixture
def processes(spawned: set[int]) -> Iterator[Callable[..., ManagedProcess]]:
    """Factory for started ManagedProcess objects that are all killed after the test."""
    made: list[ManagedProcess] = []

    def start(name: str, argv: list[str], **kwargs: object) -> ManagedProcess:
        process = ManagedProcess(name, argv, **kwargs)  # type: ignore[arg-type]
        made.append(process)
        process.start()
        assert process.pid is not None
        spawned.add(process.pid)
        return process

    try:
        yield start
    finally:
        for process in made:
            process.kill()


def test_terminate_stops_a_sleeping_child_with_sigterm(processes: Callable[..., ManagedProcess]) -> None:
    sleeper = processes("sleeper", ["sleep", "60"])
    started = time.monotonic()

    code = sleeper.terminate(grace=5.0)

    assert code == -signal.SIGTERM
    assert time.monotonic() - started < 2.0
    assert not sleeper.is_running()
    assert sleeper.returncode == -signal.SIGTERM


def test_child_ignoring_sigterm_is_killed_after_the_grace(
    processes: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    log = tmp_path / "stubborn.log"
    stubborn = processes("stubborn", STUBBORN, log_file=log)
    wait_until(contains(log, "ready"))
    started = time.monotonic()

    code = stubborn.terminate(grace=0.5)

    assert code == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 3.0


def test_grandchildren_left_in_the_group_are_killed_with_the_child(
    processes: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = f'(trap "" TERM; exec sleep 60) & echo $! > {pid_file}; wait'
    parent = processes("parent", ["sh", "-c", script])
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip().isdigit())
    grandchild = int(pid_file.read_text())

    parent.terminate(grace=5.0)

    wait_until(lambda: not alive(grandchild), timeout=2.0)


def test_child_is_killed_when_its_parent_dies(spawned: set[int]) -> None:
    script = (
        "import time\n"
        "from aigym_platform.devstack.processes import ManagedProcess\n"
        "child = ManagedProcess('sleeper', ['sleep', '60'])\n"
        "child.start()\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    spawned.add(parent.pid)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        spawned.add(child)
        assert alive(child)

        parent.kill()
        parent.wait()

        wait_until(lambda: not alive(child), timeout=5.0)
    finally:
        parent.kill()
        parent.wait()


def test_output_is_appended_to_the_log_file(processes: Callable[..., ManagedProcess], tmp_path: Path) -> None:
    log = tmp_path / "logs" / "echo.log"
    for word in ("first", "second"):
        assert processes("echo", ["sh", "-c", f"echo {word}; echo {word}-err >&2"], log_file=log).wait(5) == 0

    assert log.read_text().split() == ["first", "first-err", "second", "second-err"]


def test_prefixed_output_names_the_process_on_every_line(
    processes: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    log = tmp_path / "combined.log"
    printer = processes("printer", ["printf", "a\\nb"], log_file=log, prefix_output=True)

    assert printer.wait(5) == 0
    printer.terminate()  # joins the reader thread

    assert log.read_text() == "[printer] a\n[printer] b\n"


def test_prefixed_output_streams_to_the_terminal(
    processes: Callable[..., ManagedProcess], capsys: pytest.CaptureFixture[str]
) -> None:
    printer = processes("term", ["sh", "-c", "echo hello; echo oops >&2"], prefix_output=True)
    printer.wait(5)
    printer.terminate()

    assert capsys.readouterr().out.splitlines() == ["[term] hello", "[term] oops"]


def test_env_is_layered_over_the_parent_environment(
    processes: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    log = tmp_path / "env.log"
    printer = processes(
        "env", ["sh", "-c", 'echo "$AIGYM_PROBE:$PATH"'], env={"AIGYM_PROBE": "x"}, log_file=log
    )
    printer.wait(5)

    assert log.read_text().strip() == f"x:{os.environ['PATH']}"


def test_starting_a_running_process_again_is_refused(processes: Callable[..., ManagedProcess]) -> None:
    sleeper = processes("sleeper", ["sleep", "60"])

    with pytest.raises(RuntimeError, match="already running"):
        sleeper.start()


def test_unstarted_process_reports_nothing() -> None:
    process = ManagedProcess("idle", ["true"])

    assert (process.pid, process.returncode, process.is_running()) == (None, None, False)
    assert process.terminate(1.0) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_user_option_drops_root_uid_and_groups(
    processes: Callable[..., ManagedProcess], tmp_path: Path
) -> None:
    user = pwd.getpwnam("nobody")
    log = tmp_path / "id.log"
    processes("id", ["sh", "-c", "id -u; id -G"], user="nobody", log_file=log).wait(5)

    assert log.read_text().split() == [str(user.pw_uid), str(user.pw_gid)]


def test_stop_all_finishes_within_its_deadline(spawned: set[int], tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    group = ProcessGroup(
        [
            ManagedProcess("first", ["sleep", "60"]),
            ManagedProcess("stubborn", STUBBORN, log_file=log),
            ManagedProcess("last", ["sleep", "60"]),
        ]
    )
    try:
        group.start_all()
        spawned.update(process.pid for process in group.processes if process.pid is not None)
        wait_until(contains(log, "ready"))
        started = time.monotonic()

        group.stop_all(grace=1.0)

        assert time.monotonic() - started < 2.0
        codes = {process.name: process.returncode for process in group.processes}
        assert codes == {"first": -signal.SIGTERM, "stubborn": -signal.SIGKILL, "last": -signal.SIGTERM}
    finally:
        for process in group.processes:
            process.kill()


def test_wait_any_returns_the_first_child_to_exit(spawned: set[int]) -> None:
    group = ProcessGroup(
        [ManagedProcess("steady", ["sleep", "60"]), ManagedProcess("quitter", ["sleep", "0.2"])]
    )
    try:
        group.start_all()
        spawned.update(process.pid for process in group.processes if process.pid is not None)

        assert group.wait_any(timeout=0.05) is None
        exited = group.wait_any(timeout=5.0)

        assert exited is not None
        assert (exited.name, exited.returncode) == ("quitter", 0)
    finally:
        group.stop_all(grace=1.0)
