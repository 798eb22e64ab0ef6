"""Reports and charts through the real server: validation, ownership, etag, run now, downloads, charts."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym.analytics.v1 import analytics_pb2_grpc
from aigym_platform.testing.tokens import TokenFactory, bearer
from services.analytics.tests.feeder import Feeder
from services.analytics.tests.integration.test_dashboards_rpc import seed, span, violations

Stub = analytics_pb2_grpc.AnalyticsServiceStub


def who(tokens: TokenFactory, tenant: uuid.UUID, user: str, role: str) -> Any:
    return bearer(tokens.token(tenant, [role], user=user))


def definition(**kw: Any) -> pb.Report:
    values: dict[str, Any] = {
        "title": "Program P weekly",
        "type": pb.REPORT_TYPE_PROGRAM,
        "program_id": "p",
        "format": pb.REPORT_FORMAT_PDF,
        "schedule": pb.ReportSchedule(
            frequency=pb.FREQUENCY_WEEKLY, local_time="08:00", weekday=1, time_zone="Europe/Berlin"
        ),
        "recipients": [pb.Recipient(webhook_url="http://127.0.0.1:9/hook", webhook_secret="x")],
        "period_days": 30,
    }
    values.update(kw)
    return pb.Report(**values)


async def test_report_lifecycle_run_now_and_download(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    admin = who(token_factory, tenant, "admin", "client_admin")
    created = await analytics_stub.CreateReport(pb.CreateReportRequest(report=definition()), metadata=admin)
    assert created.next_run_time.seconds > 0
    assert created.etag == 'W/"1"'
    assert created.recipients[0].webhook_secret == ""  # never returned
    listed = await analytics_stub.ListReports(pb.ListReportsRequest(), metadata=admin)
    assert [r.report_id for r in listed.reports] == [created.report_id]

    changed = await analytics_stub.UpdateReport(
        pb.UpdateReportRequest(
            report_id=created.report_id,
            report=pb.Report(title="Renamed", etag=created.etag),
            update_mask=FieldMask(paths=["title"]),
        ),
        metadata=admin,
    )
    assert (changed.title, changed.etag, changed.program_id) == ("Renamed", 'W/"2"', "p")
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await analytics_stub.UpdateReport(
            pb.UpdateReportRequest(
                report_id=created.report_id, report=pb.Report(title="X", etag=created.etag)
            ),
            metadata=admin,
        )
    assert stale.value.code() is grpc.StatusCode.ABORTED

    run = await analytics_stub.RunReport(pb.RunReportRequest(report_id=created.report_id), metadata=admin)
    assert (run.trigger, run.state, run.retrying) == ("manual", "succeeded", 1)  # nobody listens on port 9
    content = await analytics_stub.GetReportRunContent(
        pb.GetReportRunContentRequest(report_id=created.report_id, run_id=run.run_id), metadata=admin
    )
    assert content.content_type == "application/pdf"
    assert content.data[:5] == b"%PDF-"
    deliveries = await analytics_stub.ListReportDeliveries(
        pb.ListReportDeliveriesRequest(report_id=created.report_id, run_id=run.run_id), metadata=admin
    )
    assert [(d.channel, d.status, d.code) for d in deliveries.deliveries] == [
        ("webhook", "transient_failure", "connection_failed")
    ]
    assert deliveries.deliveries[0].HasField("next_attempt_time")

    manager = who(token_factory, tenant, "boss", "manager")
    with pytest.raises(grpc.aio.AioRpcError) as hidden:  # managers see only their own reports
        await analytics_stub.GetReport(pb.GetReportRequest(report_id=created.report_id), metadata=manager)
    assert hidden.value.code() is grpc.StatusCode.NOT_FOUND
    learner = who(token_factory, tenant, "l1", "learner")
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await analytics_stub.CreateReport(pb.CreateReportRequest(report=definition()), metadata=learner)
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED

    await analytics_stub.DeleteReport(pb.DeleteReportRequest(report_id=created.report_id), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await analytics_stub.GetReport(pb.GetReportRequest(report_id=created.report_id), metadata=admin)
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND
    runs = await analytics_stub.ListReportRuns(
        pb.ListReportRunsRequest(report_id=created.report_id), metadata=admin
    )
    assert [r.run_id for r in runs.runs] == [run.run_id]  # the history stays readable


async def test_invalid_definitions_name_every_field(
    analytics_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(token_factory, tenant, "admin", "client_admin")
    bad = definition(
        program_id="",
        schedule=pb.ReportSchedule(frequency=pb.FREQUENCY_CRON, cron="61 * * * *"),
        recipients=[pb.Recipient(email="not-an-address"), pb.Recipient(webhook_url="https://h.example/x")],
    )
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await analytics_stub.CreateReport(pb.CreateReportRequest(report=bad), metadata=admin)
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert violations(error.value) == {
        "report.program_id": "REQUIRED",
        "report.schedule.cron": "INVALID_CRON",
        "report.recipients[0].email": "INVALID_EMAIL",
        "report.recipients[1].webhook_secret": "REQUIRED",
    }
    with pytest.raises(grpc.aio.AioRpcError) as no_type:
        await analytics_stub.CreateReport(
            pb.CreateReportRequest(report=definition(type=pb.REPORT_TYPE_UNSPECIFIED)), metadata=admin
        )
    assert violations(no_type.value) == {"report.type": "REQUIRED"}
    listed = await analytics_stub.ListReports(pb.ListReportsRequest(), metadata=admin)
    assert list(listed.reports) == []  # nothing half-written


async def test_charts_are_png_and_scoped(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    admin = who(token_factory, tenant, "admin", "client_admin")
    for chart, program in (("overview", ""), ("program-funnel", "p")):
        png = await analytics_stub.GetChart(
            pb.GetChartRequest(chart=chart, range=span(), program_id=program), metadata=admin
        )
        assert png.content_type == "image/png"
        assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await analytics_stub.GetChart(
            pb.GetChartRequest(chart="program-funnel", program_id="p"),
            metadata=who(token_factory, tenant, "l1", "learner"),
        )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await analytics_stub.GetChart(pb.GetChartRequest(chart="pie"), metadata=admin)
    assert unknown.value.code() is grpc.StatusCode.INVALID_ARGUMENT
