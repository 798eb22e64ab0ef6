"""xAPI 1.0.3 statements of a learner's completions and sessions (pure mapping, no I/O).

Mapping (documented in the service README):

- Actor: an Agent identified by account: `{"homePage": <home page>, "name": <learner id>}`.
- Activities: `<base>/tenants/<tenant>/courses/<course>` (type `http://adlnet.gov/expapi/activities/course`)
  and `<base>/tenants/<tenant>/courses/<course>/blocks/<block>` (type `.../activities/module`).
- A recorded completion with value 1 is `completed` the block, below 1 it is `progressed`; its result
  carries `completion`, `score.scaled` (when scored), `success` (the block counts as completed) and the
  value as the cmi5 progress extension (0..100). A completion that completed the course adds a second
  statement: `completed` the course.
- A closed session (or an approved offline one) is `terminated` the course with `result.duration` (its
  active time under the stored algorithm) and context extensions naming the session, its kind, end reason
  and algorithm.
- Statement ids are UUIDs derived from the record ids, so exporting the same record twice yields the same
  statement (an LRS ignores the duplicate).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from aigym_progress.domain import Completion
from aigym_progress.sessions import LearningSession

VERSION = "1.0.3"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
VERB_TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
TYPE_COURSE = "http://adlnet.gov/expapi/activities/course"
TYPE_MODULE = "http://adlnet.gov/expapi/activities/module"
EXT_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
EXT_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
_NAMESPACE = uuid.UUID("6f1a2b0c-5d0e-4a8f-9a51-1c7e7f1d2a43")


@dataclass(frozen=True)
class XapiContext:
    """Where statements point: the platform's home page for accounts and the base of activity ids."""

    home_page: str
    activity_base: str
    tenant_id: str

    def course(self, course_id: str) -> str:
        """The activity id of a course."""
        return f"{self.activity_base.rstrip('/')}/tenants/{self.tenant_id}/courses/{course_id}"

    def block(self, course_id: str, block_id: str) -> str:
        """The activity id of a block."""
        return f"{self.course(course_id)}/blocks/{block_id}"

    @property
    def extension(self) -> str:
        """Prefix of this platform's own context extensions."""
        return f"{self.activity_base.rstrip('/')}/extensions"


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _actor(ctx: XapiContext, learner_id: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": ctx.home_page, "name": learner_id}}


def _activity(activity_id: str, kind: str, name: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": activity_id,
        "definition": {"type": kind, "name": {"und": name}},
    }


def _verb(iri: str) -> dict[str, Any]:
    return {"id": iri, "display": {"en-US": iri.rsplit("/", 1)[-1]}}


def duration(seconds: int) -> str:
    """An ISO 8601 duration as xAPI wants it (`PT1H2M3S`, `PT0S`)."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return f"PT{text or '0S'}"


def completion_statements(ctx: XapiContext, completion: Completion) -> list[dict[str, Any]]:
    """The statements of one recorded completion (the block, and the course if it completed it)."""
    result: dict[str, Any] = {
        "completion": completion.value >= 1.0,
        "extensions": {EXT_PROGRESS: round(completion.value * 100)},
    }
    if (
        completion.value >= 1.0
    ):  # whether a finished block met its minimum score; a partial one has no verdict
        result["success"] = completion.block_completed
    if completion.score is not None:
        result["score"] = {"scaled": completion.score}
    context = {
        "contextActivities": {
            "parent": [_activity(ctx.course(completion.course_id), TYPE_COURSE, completion.course_id)]
        },
        "extensions": {
            f"{ctx.extension}/course-revision": completion.course_revision,
            f"{ctx.extension}/attempt": completion.attempt,
        },
    }
    statements = [
        {
            "id": str(completion.completion_id),
            "version": VERSION,
            "actor": _actor(ctx, completion.learner_id),
            "verb": _verb(VERB_COMPLETED if completion.value >= 1.0 else VERB_PROGRESSED),
            "object": _activity(
                ctx.block(completion.course_id, completion.block_id), TYPE_MODULE, completion.block_id
            ),
            "result": result,
            "context": context,
            "timestamp": _stamp(completion.create_time),
        }
    ]
    if completion.course_completed:
        statements.append(
            {
                "id": str(uuid.uuid5(_NAMESPACE, f"course-completed:{completion.completion_id}")),
                "version": VERSION,
                "actor": _actor(ctx, completion.learner_id),
                "verb": _verb(VERB_COMPLETED),
                "object": _activity(ctx.course(completion.course_id), TYPE_COURSE, completion.course_id),
                "result": {"completion": True, "success": True},
                "context": {"extensions": context["extensions"]},
                "timestamp": _stamp(completion.create_time),
            }
        )
    return statements


def session_statement(ctx: XapiContext, session: LearningSession) -> dict[str, Any]:
    """The `terminated` statement of a closed session (with its active time as the duration)."""
    assert session.end_time is not None
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"session-terminated:{session.session_id}")),
        "version": VERSION,
        "actor": _actor(ctx, session.learner_id),
        "verb": _verb(VERB_TERMINATED),
        "object": _activity(ctx.course(session.course_id), TYPE_COURSE, session.course_id),
        "result": {"duration": duration(session.active_seconds)},
        "context": {
            "extensions": {
                EXT_SESSION: str(session.session_id),
                f"{ctx.extension}/session-kind": session.kind.value,
                f"{ctx.extension}/end-reason": session.end_reason.value if session.end_reason else "",
                f"{ctx.extension}/time-on-task-algorithm": session.algorithm,
                f"{ctx.extension}/start-time": _stamp(session.start_time),
            },
        },
        "timestamp": _stamp(session.end_time),
    }
