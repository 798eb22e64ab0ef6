"""xAPI mapping of completions and sessions: verbs, activity ids, results, stable statement ids."""

from __future__ import annotations

import datetime as dt
import uuid

from aigym_progress.domain import Completion
from aigym_progress.sessions import EndReason, LearningSession, SessionKind, SessionState
from aigym_progress.xapi import (
    VERB_COMPLETED,
    VERB_PROGRESSED,
    VERB_TERMINATED,
    XapiContext,
    completion_statements,
    duration,
    session_statement,
)

T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
CTX = XapiContext("https://lms.example", "https://lms.example/xapi/", "t-1")


def completion(value: float, *, course_completed: bool = False, score: float | None = None) -> Completion:
    return Completion(
        uuid.uuid4(),
        "l-1",
        "c-1",
        "quiz",
        value,
        score,
        None,
        2,
        1,
        True,
        value >= 1,
        course_completed,
        T0,
        "l-1",
    )


def test_a_full_completion_is_completed_the_block_with_its_result() -> None:
    record = completion(1.0, score=0.9)
    [statement] = completion_statements(CTX, record)
    assert statement["id"] == str(record.completion_id)
    assert statement["verb"]["id"] == VERB_COMPLETED
    assert statement["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example", "name": "l-1"},
    }
    assert statement["object"]["id"] == "https://lms.example/xapi/tenants/t-1/courses/c-1/blocks/quiz"
    assert statement["result"]["score"] == {"scaled": 0.9}
    assert (statement["result"]["completion"], statement["result"]["success"]) == (True, True)
    assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith("/courses/c-1")
    assert statement["timestamp"] == "2026-11-02T09:00:00Z"


def test_a_partial_completion_is_progressed_without_a_score() -> None:
    [statement] = completion_statements(CTX, completion(0.4))
    assert statement["verb"]["id"] == VERB_PROGRESSED
    assert "score" not in statement["result"]
    assert "success" not in statement["result"]  # no verdict yet: `false` would read as failed
    assert statement["result"]["extensions"] == {"https://w3id.org/xapi/cmi5/result/extensions/progress": 40}


def test_completing_the_course_adds_a_course_statement_with_a_stable_id() -> None:
    record = completion(1.0, course_completed=True)
    block, course = completion_statements(CTX, record)
    assert course["object"]["id"] == "https://lms.example/xapi/tenants/t-1/courses/c-1"
    assert course["verb"]["id"] == VERB_COMPLETED
    assert course["id"] == completion_statements(CTX, record)[1]["id"] != block["id"]


def test_a_session_is_terminated_with_its_duration() -> None:
    session = LearningSession(
        uuid.uuid4(),
        "l-1",
        "c-1",
        SessionKind.ONLINE,
        SessionState.CLOSED,
        T0,
        T0 + dt.timedelta(seconds=3723),
        "l-1",
        end_time=T0 + dt.timedelta(seconds=3723),
        end_reason=EndReason.IDLE_TIMEOUT,
    )
    statement = session_statement(CTX, session)
    assert statement["verb"]["id"] == VERB_TERMINATED
    assert statement["result"] == {"duration": "PT1H2M3S"}
    assert "registration" not in statement["context"]  # a session is not an attempt of the course
    assert statement["context"]["extensions"][
        "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
    ] == str(session.session_id)
    assert (
        statement["context"]["extensions"]["https://lms.example/xapi/extensions/end-reason"] == "idle_timeout"
    )
    assert statement["id"] == session_statement(CTX, session)["id"]
    assert (duration(0), duration(59), duration(3600)) == ("PT0S", "PT59S", "PT1H")
