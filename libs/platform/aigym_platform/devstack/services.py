"""The suite's services as the dev stack and cross-service tests run them (names, modules, ports)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


def target_variable(callee: str) -> str:
    """The environment variable that holds the gRPC target of `callee` (e.g. AIGYM_PROGRAMS_TARGET)."""
    return f"AIGYM_{callee.upper()}_TARGET"


@dataclass(frozen=True)
class ServiceSpec:
    """How to run and migrate one service."""

    name: str
    module: str
    grpc_services: tuple[str, ...]
    grpc_port: int
    metrics_port: int
    # True when `<module>.tasks` has scheduled jobs of its own, so it gets a worker (and beat loads its
    # SCHEDULES) even if it consumes no events.
    jobs: bool = False
    # REST path prefixes the gateway lets through without a token (the service itself decides which of its
    # RPCs accept a call without identity).
    public_path_prefixes: tuple[str, ...] = ()
    # Services it calls over gRPC: each gets `AIGYM_<NAME>_TARGET` (the dev stack and the deployment set it).
    calls: tuple[str, ...] = ()

    @property
    def migrations_dir(self) -> Path:
        """services/<name>/migrations, found through the installed package."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"service package {self.module} is not installed")
        return Path(spec.origin).resolve().parent.parent / "migrations"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("programs", "aigym_programs", ("aigym.programs.v1.ProgramsService",), 50051, 9101),
    ServiceSpec(
        "progress",
        "aigym_progress",
        ("aigym.progress.v1.ProgressService",),
        50052,
        9102,
        jobs=True,
        calls=("programs",),
    ),
    ServiceSpec("analytics", "aigym_analytics", ("aigym.analytics.v1.AnalyticsService",), 50054, 9104),
    ServiceSpec(
        "achievements",
        "aigym_achievements",
        ("aigym.achievements.v1.AchievementsService",),
        50053,
        9103,
        public_path_prefixes=("/v1/credentials/", "/v1/status-lists/", "/v1/issuers/"),
    ),
    ServiceSpec(
        "calendar",
        "aigym_calendar",
        ("aigym.calendar.v1.CalendarService",),
        50055,
        9105,
        public_path_prefixes=(
            "/v1/feeds/",
        ),  # iCalendar feeds: the secret token in the path is the credential
    ),
)
