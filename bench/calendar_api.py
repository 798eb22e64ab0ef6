"""Calendar API through Envoy: the agenda and the iCalendar feed of a learner subject to 50 recurring series.

Seeds one tenant with 50 recurring series in several time zones (weekly, daily, monthly, some with
overrides and EXDATEs; all for the whole tenant, so one learner sees every one) plus noise tenants, then
runs closed-loop phases against the REST gateway: the no-op ceiling (Ping), the learner's agenda over one
year (first page of 100 and a page deep in the year), and the learner's feed. Throughput is reported as a
ratio to the ceiling measured in the same run; targets: agenda p95 < 20 ms, feed p95 < 50 ms. Figures are
recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import httpx
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER
from aigym_platform.devstack.stack import DevStack
from bench.harness import (
    Request,
    add_stack_arguments,
    load_summary,
    progress,
    report,
    run_phases,
    running_stack,
)

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]
RULES = [
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=DAILY;INTERVAL=7",
    "FREQ=MONTHLY",
    "FREQ=WEEKLY;COUNT=60",
]


def token(stack: DevStack, tenant: uuid.UUID, user: str, role: str) -> str:
    """A token of `tenant` signed with the stack's dev key."""
    assert stack.keys is not None
    return stack.keys.user_key.mint(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        subject=user,
        tenant_id=str(tenant),
        roles=[role],
        ttl_seconds=3600,
    )


def stamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


async def seed(stack: DevStack, tenant: uuid.UUID, series: int, start: datetime) -> None:
    """`series` recurring events for the whole tenant, some with an override and an EXDATE."""
    metadata = (("authorization", f"Bearer {token(stack, tenant, 'bench-coach', 'manager')}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services['calendar'].grpc_port}") as channel:
        stub = calendar_pb2_grpc.CalendarServiceStub(channel)
        for i in range(series):
            first = start + timedelta(days=i % 7, hours=6 + i % 10)
            event = pb.Event(
                kind=pb.EVENT_KIND_SESSION,
                title=f"Series {i:02d}",
                start_time=stamp(first),
                time_zone=ZONES[i % len(ZONES)],
                duration=Duration(seconds=3600),
                recurrence=pb.Recurrence(rrule=RULES[i % len(RULES)]),
                audience=pb.Audience(kind=pb.AUDIENCE_KIND_TENANT),
            )
            created = await stub.CreateEvent(pb.CreateEventRequest(event=event), metadata=metadata)
            if i % 5 == 0:  # a moved occurrence (skipped when DST shifted the second one's UTC time)
                second = first + _step(RULES[i % len(RULES)])
                with contextlib.suppress(grpc.aio.AioRpcError):
                    await stub.UpdateOccurrence(
                        pb.UpdateOccurrenceRequest(
                            event_id=created.event_id,
                            occurrence_id=_oid(second),
                            occurrence=pb.OccurrenceChange(
                                title="Moved", start_time=stamp(second + timedelta(hours=2))
                            ),
                            update_mask=FieldMask(paths=["title", "start_time"]),
                        ),
                        metadata=metadata,
                    )
            progress(f"seeding tenant {str(tenant)[:8]}", i + 1, series)


def _step(rule: str) -> timedelta:
    if "MONTHLY" in rule:
        return timedelta(days=0)  # the first occurrence itself
    if "INTERVAL=2" in rule:
        return timedelta(days=14)
    return timedelta(days=7)


def _oid(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


async def feed_path(stack: DevStack, tenant: uuid.UUID) -> str:
    """The learner's feed path (token in it)."""
    metadata = (("authorization", f"Bearer {token(stack, tenant, 'bench-learner', 'learner')}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services['calendar'].grpc_port}") as channel:
        stub = calendar_pb2_grpc.CalendarServiceStub(channel)
        feed = await stub.CreateFeed(pb.CreateFeedRequest(learner_id="me"), metadata=metadata)
    return "/v1/feeds/" + str(feed.url).split("/v1/feeds/")[1]


async def deep_page_token(stack: DevStack, tenant: uuid.UUID, query: str, pages: int) -> str:
    """The page token `pages` pages into the year (through the gateway, as a client would page)."""
    auth = {"authorization": f"Bearer {token(stack, tenant, 'bench-learner', 'learner')}"}
    next_token = ""
    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        for _ in range(pages):
            response = await client.get(
                f"/v1/learners/me/agenda?{query}&pageToken={next_token}", headers=auth
            )
            next_token = str(response.json().get("nextPageToken", ""))
    return next_token


async def run(stack: DevStack, args: argparse.Namespace) -> None:
    """Seed, measure every phase, print the table."""
    tenant = uuid.uuid4()
    year_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    await seed(stack, tenant, args.series, year_start)
    for _ in range(args.noise_tenants):
        await seed(stack, uuid.uuid4(), args.series // 5, year_start)
    auth = {"authorization": f"Bearer {token(stack, tenant, 'bench-learner', 'learner')}"}
    end = year_start + timedelta(days=365)
    query = (
        f"startTime={year_start.strftime('%Y-%m-%dT%H:%M:%SZ')}&endTime={end.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        "&timeZone=Europe/Berlin&pageSize=100"
    )
    deep = await deep_page_token(stack, tenant, query, 12)
    feed = await feed_path(stack, tenant)
    phases = [
        ("no-op ceiling (Ping)", lambda _: Request("GET", "/v1/calendar:ping", auth)),
        (
            "agenda, 1 year, first page (100)",
            lambda _: Request("GET", f"/v1/learners/me/agenda?{query}", auth),
        ),
        (
            "agenda, 1 year, page 13 (100)",
            lambda _: Request("GET", f"/v1/learners/me/agenda?{query}&pageToken={deep}", auth),
        ),
        ("feed (.ics, 50 series)", lambda _: Request("GET", feed)),
    ]
    results = await run_phases(stack, phases, args, "calendar")
    print(
        f"\ncalendar API through Envoy ({load_summary(args)}), "
        f"{args.series} recurring series visible to the learner, window one year\n"
    )
    print(report(results, results[0]))


def main() -> None:
    """Parse flags, start a throwaway stack, run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=50, help="recurring series the learner sees")
    parser.add_argument("--noise-tenants", type=int, default=2, help="other tenants (each with series/5)")
    add_stack_arguments(parser, concurrency=4)
    args = parser.parse_args()
    with running_stack(args.replicas, shared_buffers=args.shared_buffers) as stack:
        asyncio.run(run(stack, args))


if __name__ == "__main__":
    main()
