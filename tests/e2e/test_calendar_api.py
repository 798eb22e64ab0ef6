"""The calendar API over REST through the real Envoy: events, agenda, public iCalendar feeds."""

from __future__ import annotations

import uuid

import httpx
import icalendar
import pytest

from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e

WEEKLY = {
    "kind": "EVENT_KIND_SESSION",
    "title": "Cohort call",
    "startTime": "2026-03-17T08:00:00Z",
    "timeZone": "Europe/Berlin",
    "duration": "3600s",
    "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU"},  # open-ended: still in the feed's window
    "audience": {"kind": "AUDIENCE_KIND_TENANT"},
}


def test_event_agenda_and_public_feed_through_the_gateway(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    coach = tokens.headers(tenant, "manager", user="coach")
    learner = tokens.headers(tenant, "learner", user="ada")

    created = gateway.post("/v1/events", json=WEEKLY, headers=coach)
    assert created.status_code == 200, created.text
    event = created.json()
    agenda = gateway.get(
        "/v1/learners/me/agenda",
        params={
            "startTime": "2026-03-01T00:00:00Z",
            "endTime": "2026-05-01T00:00:00Z",
            "timeZone": "Europe/Berlin",
        },
        headers=learner,
    )
    assert agenda.status_code == 200, agenda.text
    assert [o["localStart"] for o in agenda.json()["occurrences"]][1:3] == [
        "2026-03-24T09:00:00+01:00",
        "2026-03-31T09:00:00+02:00",
    ]

    feed = gateway.post("/v1/learners/me/feeds", json={}, headers=learner)
    assert feed.status_code == 200, feed.text
    url = feed.json()["url"]
    path = httpx.URL(url).path
    assert path.startswith("/v1/feeds/")
    assert path.endswith("/calendar.ics")
    public = gateway.get(path)  # no token: the secret path is the credential
    assert public.status_code == 200, public.text
    assert public.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(public.content)
    (vevent,) = [c for c in calendar.walk("VEVENT")]
    assert str(vevent["UID"]) == f"{event['eventId']}@aigym"
    assert vevent["RRULE"]["FREQ"] == ["WEEKLY"]
    assert [c["TZID"] for c in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]

    single = gateway.get(f"/v1/events/{event['eventId']}/calendar.ics", headers=learner)
    assert single.status_code == 200
    assert single.headers["content-type"].startswith("text/calendar")
    assert gateway.get(f"/v1/events/{event['eventId']}/calendar.ics").status_code == 401

    revoked = gateway.delete(f"/v1/learners/me/feeds/{feed.json()['feedId']}", headers=learner)
    assert revoked.status_code == 200, revoked.text
    assert gateway.get(path).status_code == 404
    assert gateway.get("/v1/feeds/" + "x" * 43 + "/calendar.ics").status_code == 404


def test_invalid_event_is_refused_with_field_details(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    coach = tokens.headers(tenant, "manager", user="coach")

    response = gateway.post("/v1/events", json={**WEEKLY, "timeZone": "Nowhere/Land"}, headers=coach)

    assert response.status_code == 400
    details = response.json()["details"]
    fields = [v["field"] for d in details for v in d.get("fieldViolations", [])]
    assert "event.time_zone" in fields
    learner = tokens.headers(tenant, "learner", user="ada")
    assert gateway.post("/v1/events", json=WEEKLY, headers=learner).status_code == 403
