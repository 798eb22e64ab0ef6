"""The chart endpoint: the overview's daily series or a program's funnel as a PNG."""

from __future__ import annotations

from aigym_analytics.rendering import Chart, Table, to_png
from aigym_analytics.service import AnalyticsService, RangeRequest
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import InvalidArgument
from aigym_platform.identity import Identity


class ChartService:
    """Renders dashboard data as charts, with the dashboards' scoping."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._dashboards = AnalyticsService(uow)

    async def chart(self, identity: Identity, chart: str, requested: RangeRequest, program_id: str) -> bytes:
        """PNG bytes of `overview` or `program-funnel`."""
        if chart == "overview":
            result = await self._dashboards.overview(identity, requested)
            rows = [
                (d.date.isoformat(), d.active_learners, d.course_completions, d.block_completions)
                for d in result.series.days
            ]
            table = Table(
                "Overview", ["date", "active learners", "course completions", "block completions"], rows
            )
            spec = Chart(
                "line",
                "date",
                ("active learners", "course completions", "block completions"),
                f"Activity {result.span.start} .. {result.span.end} ({result.span.time_zone})",
            )
            return to_png(table, spec)
        if not program_id:
            raise InvalidArgument.for_field("program_id", "is required for program-funnel", reason="REQUIRED")
        program = await self._dashboards.program_performance(identity, program_id, requested)
        table = Table("Funnel", ["step", "enrollments"], [(label, n) for _, label, n in program.funnel])
        return to_png(table, Chart("bar", "step", ("enrollments",), f"{program.title or program_id}: funnel"))
