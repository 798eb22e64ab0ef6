"""Benchmark plumbing: a fresh dev stack, a closed-loop HTTP load generator, percentile reports."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.services import SERVICES
from aigym_platform.devstack.stack import DevStack, StackOptions
from bench.cpu import CpuMeter, api_roles, cpu_by_role, difference


@dataclass
class PhaseResult:
    """Throughput and latency of one closed-loop phase."""

    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per role, over the measured seconds
    machine_busy: float = 0.0  # cores busy machine-wide over the measured seconds (others' work too)

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds (q in 0..100)."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def cpu_ms_per_request(self) -> dict[str, float]:
        """CPU milliseconds per completed request, by role."""
        done = self.requests + self.errors
        return {role: 1000 * used / done for role, used in self.cpu_seconds.items()} if done else {}


def progress(label: str, done: int, total: int) -> None:
    """One self-overwriting progress line on stderr."""
    width = 30
    filled = int(width * done / total) if total else width
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
    sys.stderr.flush()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (those that exited count as 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def wait_until_quiet(stack: DevStack, *, busy_below: float = 0.05, timeout: float = 120.0) -> float:
    """Wait until the stack's processes together use under `busy_below` of a core for two seconds in a row
    (seeding through the API leaves event workers, relays and consumers busy for a while, which would
    otherwise eat into the measured phases); return the seconds waited (at most `timeout`)."""
    pids = [pid for process in stack.processes.processes if (pid := process.pid) is not None]
    started = time.monotonic()
    quiet = 0
    previous = _cpu_seconds(pids)
    while quiet < 2 and time.monotonic() - started < timeout:
        time.sleep(1.0)
        current = _cpu_seconds(pids)
        quiet = quiet + 1 if current - previous < busy_below else 0
        previous = current
        progress("waiting for a quiet stack", int(time.monotonic() - started), int(timeout))
    progress("waiting for a quiet stack", 1, 1)
    return time.monotonic() - started


def add_stack_arguments(parser: argparse.ArgumentParser, *, concurrency: int = 16) -> None:
    """Options of the throwaway stack and the closed-loop phases every API benchmark runs."""
    parser.add_argument(
        "--concurrency", type=int, default=concurrency, help="concurrent keep-alive connections"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="server processes per service behind Envoy (the ceiling is measured with the same number)",
    )
    parser.add_argument(
        "--shared-buffers",
        default="128MB",
        help="the embedded PostgreSQL's shared_buffers (its default 128MB; production servers get about a"
        " quarter of their memory)",
    )


async def copy_through_rls(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], records: Sequence[tuple[object, ...]]
) -> None:
    """COPY rows into a tenant table inside the caller's transaction (tenant already set).

    COPY cannot write through row-level security: the rows go into a temporary table, then one
    `INSERT ... SELECT` that the tenant policy checks row by row.
    """
    staged = f"staged_{table}"
    await conn.execute(f"CREATE TEMP TABLE {staged} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
    await conn.copy_records_to_table(staged, records=records, columns=list(columns))
    names = ", ".join(columns)
    await conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged}")


async def vacuum_analyze(owner_url: str) -> None:
    """`VACUUM (ANALYZE)` a service's database as its owner: planner statistics and visibility maps for the
    rows just COPIED in, which autovacuum would otherwise produce at a moment of its choosing (during a
    measured phase, changing its plans and adding its own CPU)."""
    progress("vacuum and analyze", 0, 1)
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    progress("vacuum and analyze", 1, 1)


@contextmanager
def running_stack(
    replicas: int = 1, data_dir: Path | None = None, shared_buffers: str = "128MB"
) -> Iterator[DevStack]:
    """A stack on free ports (embedded PostgreSQL/Redis, services with `replicas` processes each, Envoy):
    throwaway, or kept in `data_dir` so a later run reuses what an earlier one generated."""
    with ExitStack() as exits:
        root = data_dir or Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="aigym-bench-")))
        options = StackOptions(
            data_dir=root,
            gateway_port=free_port(),
            gateway_admin_port=free_port(),
            postgres_port=free_port(),
            redis_port=free_port(),
            service_ports={spec.name: (free_port(), 0) for spec in SERVICES},
            durable=False,
            postgres_settings={"shared_buffers": shared_buffers},
            prefix_output=False,
            log_format="json",
            replicas=replicas,
        )
        stack = DevStack(options)
        try:
            sys.stderr.write("starting the stack...\n")
            stack.start()
            yield stack
        finally:
            stack.stop(grace=3)


@dataclass(frozen=True)
class Request:
    """One HTTP/1.1 request, pre-encoded so the load generator spends its time waiting, not formatting."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        """The request's bytes on the wire (keep-alive)."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"host: {host}", f"content-length: {len(self.body)}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


RequestFactory = Callable[[int], Request]


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (content-length or chunked); return its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    }
    if headers.get(b"transfer-encoding") == b"chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status


async def closed_loop(
    name: str,
    host: str,
    port: int,
    make_request: RequestFactory,
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
    meter: CpuMeter | None = None,
) -> PhaseResult:
    """Run `concurrency` keep-alive connections back to back for warmup + seconds; measure after the warmup.

    A minimal HTTP/1.1 client on asyncio streams: generic clients cost milliseconds of CPU per request on
    this 2-core machine and would measure themselves instead of the server.
    """
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    authority = f"{host}:{port}"

    async def worker(worker_id: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            i = 0
            while (now := time.perf_counter()) < stop_at:
                writer.write(make_request(worker_id * 1_000_000 + i).encode(authority))
                i += 1
                status = await _read_response(reader)
                done = time.perf_counter()
                if now >= measure_from:
                    if status == 200:
                        counts["ok"] += 1
                        latencies.append((done - now) * 1000)
                    else:
                        counts["errors"] += 1
        finally:
            writer.close()

    async def measure_cpu() -> dict[str, float]:
        if meter is None:
            return {}
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        before = meter.sample()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        return difference(before, meter.sample())

    used, *_ = await asyncio.gather(measure_cpu(), *(worker(w) for w in range(concurrency)))
    result = PhaseResult(name, counts["ok"], counts["errors"], seconds, latencies)
    if used:
        result.cpu_seconds = cpu_by_role(used)
        result.machine_busy = used["machine"] / used["wall"]
    return result


def report(results: list[PhaseResult], ceiling: PhaseResult) -> str:
    """A Markdown table of the phases with throughput as a ratio of the ceiling measured in the same run."""
    lines = [
        "| phase | req/s | ratio to ceiling | p50 ms | p95 ms | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        ratio = result.rps / ceiling.rps if ceiling.rps else float("nan")
        median = statistics.median(result.latencies_ms or [0])
        lines.append(
            f"| {result.name} | {result.rps:,.0f} | {ratio:.0%} | {median:.1f}"
            f" | {result.percentile(95):.1f} | {result.percentile(99):.1f} | {result.errors} |"
        )
    return "\n".join(lines) + "\n\n" + cpu_report(results)


def cpu_report(results: list[PhaseResult]) -> str:
    """A Markdown table of CPU milliseconds per request by role in each phase (where the work goes), and
    the cores busy machine-wide (above the roles' sum: other work shared the machine)."""
    roles = sorted({role for result in results for role in result.cpu_seconds})
    if not roles:
        return ""
    lines = [
        "| phase | CPU ms/request: " + " / ".join(roles) + " = all | cores busy: ours / machine |",
        "| --- | --- | --- |",
    ]
    for result in results:
        per = result.cpu_ms_per_request()
        ours = sum(result.cpu_seconds.values()) / result.seconds
        lines.append(
            f"| {result.name} | "
            + " / ".join(f"{per.get(role, 0.0):.2f}" for role in roles)
            + f" = **{sum(per.values()):.2f}** | {ours:.2f} / {result.machine_busy:.2f} |"
        )
    return "\n".join(lines)


async def run_phases(
    stack: DevStack,
    phases: Sequence[tuple[str, RequestFactory]],
    args: argparse.Namespace,
    service: str,
) -> list[PhaseResult]:
    """Wait for a quiet stack (the seeding's events consumed), vacuum and analyze `service`'s database as a
    bulk import should end, then run each phase through the gateway, metering the CPU of every role
    (`service`'s servers, Envoy, PostgreSQL, ..., this load generator)."""
    await asyncio.to_thread(wait_until_quiet, stack)
    await vacuum_analyze(stack.services[service].database.owner_url)
    meter = CpuMeter(api_roles(service), self_role="load generator")
    results = []
    for name, factory in phases:
        progress(name, 0, 1)
        results.append(
            await closed_loop(
                name,
                "127.0.0.1",
                stack.options.gateway_port,
                factory,
                concurrency=args.concurrency,
                seconds=args.seconds,
                warmup=args.warmup,
                meter=meter,
            )
        )
        progress(name, 1, 1)
    return results


def load_summary(args: argparse.Namespace) -> str:
    """How the phases ran, for a report's heading."""
    return (
        f"{args.replicas} server process(es) per service, concurrency {args.concurrency}, "
        f"{args.seconds:.0f} s per phase"
    )
