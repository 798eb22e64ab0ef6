"""CPU time and wake-ups of a benchmark's processes by role, read from /proc.

A benchmark and everything it started (its descendants: the dev stack's servers, workers, PostgreSQL's
backends, Redis, Envoy) are classified by command line into roles; the benchmark process itself is the
load's role (producer, load generator). CPU per event or request says where the work goes and is what a
same-run ratio compares; machine-wide busy time shows how much of the cores other work took.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

# (substring of the command line, role): the first match wins, so PostgreSQL comes before service names
# (a backend's title names its database, e.g. "postgres: ... aigym_progress ...").
EVENT_ROLES: tuple[tuple[str, str], ...] = (
    ("jobs.worker", "worker"),
    ("events.relay", "relay"),
    ("redis-server", "redis"),
    ("postgres", "postgres"),
)


def api_roles(service: str) -> tuple[tuple[str, str], ...]:
    """Roles of an API benchmark of `service` through the gateway: the service's server processes, Envoy,
    PostgreSQL, Redis, event workers and relays, and the other services' servers."""
    return (
        ("postgres", "postgres"),
        ("redis-server", "redis"),
        ("jobs.worker", "workers"),
        ("events.relay", "workers"),
        ("envoy", "envoy"),
        (f"aigym_{service}", service),
        ("aigym_", "other services"),
    )


class CpuMeter:
    """CPU seconds and wake-ups of this benchmark's processes by role, and machine CPU.

    CPU per event grows when other work shares the cores (caches, scheduling); the voluntary context
    switches per event (a thread blocked until a message arrived: one per round trip waited for, per
    wake-up of an idle server process) count the message traffic itself and hardly depend on the
    machine's load, so they compare runs made at different loads.
    """

    def __init__(self, roles: Sequence[tuple[str, str]] = EVENT_ROLES, self_role: str = "producer") -> None:
        self.roles = tuple(roles)
        self.self_role = self_role
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self.sample()

    def sample(self) -> dict[str, float]:
        """Cumulative CPU seconds per role, `wake:<role>` voluntary context switches, `machine` (all busy
        time) and `wall` (monotonic seconds)."""
        stats: dict[int, tuple[int, float, str]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmd:
                    fields = stat.read().rsplit(")", 1)[1].split()
                    cmdline = cmd.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick, cmdline)
        ours, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, (ppid, _, _) in stats.items() if ppid == parent and pid not in ours]
            ours.update(children)
            frontier.extend(children)
        totals: dict[str, float] = {}
        for pid in ours & set(stats):
            _, seconds, cmdline = stats[pid]
            role = (
                self.self_role
                if pid == os.getpid()
                else next((n for k, n in self.roles if k in cmdline), "other")
            )
            # Per process (`role@pid`), so a process that exits between two samples drops out of their
            # difference instead of taking its whole CPU time with it.
            totals[f"{role}@{pid}"] = seconds
            totals[f"wake:{role}@{pid}"] = _wakeups(pid)
        with open("/proc/stat") as stat:
            cpu = [int(v) for v in stat.readline().split()[1:]]
        totals["machine"] = (sum(cpu[:8]) - cpu[3] - cpu[4]) / self.tick  # all but idle and iowait
        totals["wall"] = time.monotonic()
        return totals

    def report(self, label: str, events: int) -> None:
        """Print CPU milliseconds and wake-ups per event by role since the last report, and cores busy
        machine-wide."""
        now = self.sample()
        used = difference(self.start, now)
        self.start = now
        cpu = cpu_by_role(used)
        calls = _by_role({k[5:]: v for k, v in used.items() if k.startswith("wake:")})
        ours = sum(cpu.values())
        parts = " ".join(f"{k}={1000 * v / events:.2f}" for k, v in cpu.items())
        print(
            f"{label} cpu ms/event: {parts}; all ours {1000 * ours / events:.2f};"
            f" cores busy: ours {ours / used['wall']:.2f}, machine {used['machine'] / used['wall']:.2f}",
            flush=True,
        )
        parts = " ".join(f"{k}={v / events:.1f}" for k, v in calls.items())
        print(
            f"{label} wake-ups/event: {parts}; all ours {sum(calls.values()) / events:.1f}",
            flush=True,
        )


def cpu_by_role(used: dict[str, float]) -> dict[str, float]:
    """The CPU seconds per role of a difference of two samples (without wake-ups, machine and wall)."""
    return _by_role({k: v for k, v in used.items() if k not in ("machine", "wall") and ":" not in k})


def _by_role(per_process: dict[str, float]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for key, value in per_process.items():
        role = key.rpartition("@")[0] or key
        totals[role] = totals.get(role, 0.0) + value
    return dict(sorted(totals.items()))


def difference(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What was used between two samples, per key (processes that started meanwhile count from zero;
    those that exited are left out)."""
    return {k: after[k] - before.get(k, 0.0) for k in after}


def _wakeups(pid: int) -> float:
    """Voluntary context switches of all threads of a process so far (0 if it is gone)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
    except OSError:
        pass
    return float(total)
