"""Payloads of the events the programs service publishes (types and consumers: the platform's registry)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from google.protobuf import timestamp_pb2

from aigym.programs.v1 import events_pb2
from aigym_programs.directory import LearnerEntry
from aigym_programs.enrollment import Enrollment


def timestamp(value: dt.datetime) -> timestamp_pb2.Timestamp:
    """A protobuf Timestamp of an aware datetime."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def enrollment_subject(enrollment: Enrollment) -> str:
    """The event subject of an enrolment (the resource name's tail)."""
    return f"enrollments/{enrollment.enrollment_id}"


def program_published(
    program_id: str, version: int, title: str, course_ids: Iterable[str]
) -> events_pb2.ProgramPublished:
    """aigym.programs.program_published.v1."""
    return events_pb2.ProgramPublished(
        program_id=program_id, version=version, title=title, course_ids=sorted(course_ids)
    )


def enrollment_created(enrollment: Enrollment) -> events_pb2.EnrollmentCreated:
    """aigym.programs.enrollment_created.v1."""
    dates = enrollment.dates
    return events_pb2.EnrollmentCreated(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        program_version=enrollment.program_version,
        start_time=timestamp(dates.start),
        due_time=timestamp(dates.due) if dates.due else None,
        end_time=timestamp(dates.end) if dates.end else None,
        state=enrollment.state.value,
    )


def enrollment_completed(enrollment: Enrollment, when: dt.datetime) -> events_pb2.EnrollmentCompleted:
    """aigym.programs.enrollment_completed.v1."""
    return events_pb2.EnrollmentCompleted(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        program_version=enrollment.program_version,
        completed_at=timestamp(when),
    )


def enrollment_reopened(
    enrollment: Enrollment, previous_complete_time: dt.datetime, reason: str, when: dt.datetime
) -> events_pb2.EnrollmentReopened:
    """aigym.programs.enrollment_reopened.v1 (`enrollment` as it is after reopening)."""
    return events_pb2.EnrollmentReopened(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        program_version=enrollment.program_version,
        previous_completed_at=timestamp(previous_complete_time),
        reopened_at=timestamp(when),
        reason=reason,
        progress=enrollment.progress,
    )


def milestone_reached(
    enrollment: Enrollment, node_id: str, title: str, when: dt.datetime
) -> events_pb2.MilestoneReached:
    """aigym.programs.milestone_reached.v1."""
    return events_pb2.MilestoneReached(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        node_id=node_id,
        title=title,
        reached_at=timestamp(when),
    )


def program_archived(program_id: str, version: int) -> events_pb2.ProgramArchived:
    """aigym.programs.program_archived.v1."""
    return events_pb2.ProgramArchived(program_id=program_id, version=version)


def enrollment_approved(enrollment: Enrollment, approved_by: str) -> events_pb2.EnrollmentApproved:
    """aigym.programs.enrollment_approved.v1."""
    return events_pb2.EnrollmentApproved(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        approved_by=approved_by,
    )


def enrollment_withdrawn(enrollment: Enrollment) -> events_pb2.EnrollmentWithdrawn:
    """aigym.programs.enrollment_withdrawn.v1."""
    return events_pb2.EnrollmentWithdrawn(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
    )


def enrollment_dates_changed(enrollment: Enrollment) -> events_pb2.EnrollmentDatesChanged:
    """aigym.programs.enrollment_dates_changed.v1."""
    dates = enrollment.dates
    return events_pb2.EnrollmentDatesChanged(
        enrollment_id=str(enrollment.enrollment_id),
        program_id=str(enrollment.program_id),
        learner_id=enrollment.learner_id,
        start_time=timestamp(dates.start),
        due_time=timestamp(dates.due) if dates.due else None,
        end_time=timestamp(dates.end) if dates.end else None,
    )


def enrollment_migrated(before: Enrollment, after: Enrollment) -> events_pb2.EnrollmentMigrated:
    """aigym.programs.enrollment_migrated.v1."""
    return events_pb2.EnrollmentMigrated(
        enrollment_id=str(after.enrollment_id),
        program_id=str(after.program_id),
        learner_id=after.learner_id,
        from_version=before.program_version,
        to_version=after.program_version,
        progress=after.progress,
        completed=after.complete_time is not None,
    )


def learner_upserted(entry: LearnerEntry) -> events_pb2.LearnerUpserted:
    """aigym.programs.learner_upserted.v1."""
    return events_pb2.LearnerUpserted(
        learner_id=entry.learner_id,
        display_name=entry.display_name,
        email=entry.email,
        time_zone=entry.time_zone,
        locale=entry.locale,
        manager_id=entry.manager_id,
        teams=list(entry.teams),
        active=entry.active,
    )


def learner_deactivated(learner_id: str) -> events_pb2.LearnerDeactivated:
    """aigym.programs.learner_deactivated.v1."""
    return events_pb2.LearnerDeactivated(learner_id=learner_id)
