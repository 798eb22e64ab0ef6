"""Thin gRPC adapter of the calendar service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

from typing import Any

import grpc
from google.api import httpbody_pb2
from google.protobuf import empty_pb2

from aigym.calendar.v1 import calendar_pb2, calendar_pb2_grpc
from aigym_calendar import mappers
from aigym_calendar.feed_service import FeedService
from aigym_calendar.service import CalendarService
from aigym_platform.identity import current_identity

Context = grpc.aio.ServicerContext[Any, Any]
ICS = "text/calendar; charset=utf-8"
FOLLOWING = calendar_pb2.EDIT_SCOPE_THIS_AND_FOLLOWING


# The generated base class is untyped (generated code is outside mypy).
class CalendarServicer(calendar_pb2_grpc.CalendarServiceServicer):  # type: ignore[misc]
    """gRPC face of CalendarService and FeedService."""

    def __init__(self, service: CalendarService, feeds: FeedService) -> None:
        self._service = service
        self._feeds = feeds

    async def CreateEvent(
        self, request: calendar_pb2.CreateEventRequest, context: Context
    ) -> calendar_pb2.Event:
        """Create an event."""
        event = await self._service.create_event(
            current_identity(), mappers.draft_from_proto(request.event), request.request_id
        )
        return mappers.event_to_proto(event)

    async def GetEvent(self, request: calendar_pb2.GetEventRequest, context: Context) -> calendar_pb2.Event:
        """Return an event."""
        return mappers.event_to_proto(await self._service.get_event(current_identity(), request.event_id))

    async def ListEvents(
        self, request: calendar_pb2.ListEventsRequest, context: Context
    ) -> calendar_pb2.ListEventsResponse:
        """List events."""
        events, token = await self._service.list_events(
            current_identity(),
            kind=mappers.kind_from_proto(request.kind),
            program_id=request.program_id,
            show_cancelled=request.show_cancelled,
            requested_page_size=request.page_size,
            page_token=request.page_token,
        )
        return calendar_pb2.ListEventsResponse(
            events=[mappers.event_to_proto(e) for e in events], next_page_token=token
        )

    async def UpdateEvent(
        self, request: calendar_pb2.UpdateEventRequest, context: Context
    ) -> calendar_pb2.Event:
        """Update the whole series."""
        event = await self._service.update_event(
            current_identity(),
            request.event.event_id,
            mappers.patch_from_proto(request.event, list(request.update_mask.paths)),
            request.event.etag,
        )
        return mappers.event_to_proto(event)

    async def DeleteEvent(
        self, request: calendar_pb2.DeleteEventRequest, context: Context
    ) -> empty_pb2.Empty:
        """Cancel the whole event."""
        await self._service.delete_event(current_identity(), request.event_id, request.etag)
        return empty_pb2.Empty()

    async def CancelOccurrence(
        self, request: calendar_pb2.CancelOccurrenceRequest, context: Context
    ) -> calendar_pb2.Event:
        """Cancel one occurrence or this and following."""
        event = await self._service.cancel_occurrence(
            current_identity(), request.event_id, request.occurrence_id, request.scope == FOLLOWING
        )
        return mappers.event_to_proto(event)

    async def UpdateOccurrence(
        self, request: calendar_pb2.UpdateOccurrenceRequest, context: Context
    ) -> calendar_pb2.UpdateOccurrenceResponse:
        """Override one occurrence or split the series."""
        event, new_event = await self._service.update_occurrence(
            current_identity(),
            request.event_id,
            request.occurrence_id,
            mappers.occurrence_patch_from_proto(request.occurrence, list(request.update_mask.paths)),
            request.scope == FOLLOWING,
        )
        response = calendar_pb2.UpdateOccurrenceResponse(event=mappers.event_to_proto(event))
        if new_event is not None:
            response.new_event.CopyFrom(mappers.event_to_proto(new_event))
        return response

    async def CreateSignup(
        self, request: calendar_pb2.CreateSignupRequest, context: Context
    ) -> calendar_pb2.Signup:
        """Sign up (or join the waitlist)."""
        signup = await self._service.create_signup(current_identity(), request.event_id, request.learner_id)
        return mappers.signup_to_proto(signup)

    async def DeleteSignup(
        self, request: calendar_pb2.DeleteSignupRequest, context: Context
    ) -> empty_pb2.Empty:
        """Withdraw a sign-up."""
        await self._service.delete_signup(current_identity(), request.event_id, request.learner_id)
        return empty_pb2.Empty()

    async def ListSignups(
        self, request: calendar_pb2.ListSignupsRequest, context: Context
    ) -> calendar_pb2.ListSignupsResponse:
        """List sign-ups."""
        signups, token = await self._service.list_signups(
            current_identity(), request.event_id, request.page_size, request.page_token
        )
        return calendar_pb2.ListSignupsResponse(
            signups=[mappers.signup_to_proto(s) for s in signups], next_page_token=token
        )

    async def ListAgenda(
        self, request: calendar_pb2.ListAgendaRequest, context: Context
    ) -> calendar_pb2.ListAgendaResponse:
        """A learner's agenda."""
        entries, token, zone_name = await self._service.agenda(
            current_identity(),
            request.learner_id,
            mappers.time_from_proto(request.start_time),
            mappers.time_from_proto(request.end_time),
            time_zone=request.time_zone,
            requested_page_size=request.page_size,
            page_token=request.page_token,
            show_cancelled=request.show_cancelled,
        )
        return calendar_pb2.ListAgendaResponse(
            occurrences=[mappers.entry_to_proto(e, zone_name) for e in entries],
            next_page_token=token,
            time_zone=zone_name,
        )

    async def CheckConflicts(
        self, request: calendar_pb2.CheckConflictsRequest, context: Context
    ) -> calendar_pb2.CheckConflictsResponse:
        """Who already has something at the proposed times."""
        conflicts, checked, truncated = await self._service.check_conflicts(
            current_identity(),
            draft=mappers.draft_from_proto(request.event) if request.HasField("event") else None,
            event_id=request.event_id,
            end_time=mappers.time_from_proto(request.end_time) if request.HasField("end_time") else None,
            max_conflicts=request.max_conflicts,
        )
        return calendar_pb2.CheckConflictsResponse(
            conflicts=[mappers.conflict_to_proto(*c) for c in conflicts],
            learners_checked=checked,
            truncated=truncated,
        )

    async def CreateFeed(
        self, request: calendar_pb2.CreateFeedRequest, context: Context
    ) -> calendar_pb2.Feed:
        """Create a secret feed URL."""
        issued = await self._feeds.create_feed(current_identity(), request.learner_id)
        return mappers.feed_to_proto(issued.feed, issued)

    async def ListFeeds(
        self, request: calendar_pb2.ListFeedsRequest, context: Context
    ) -> calendar_pb2.ListFeedsResponse:
        """List feeds."""
        feeds = await self._feeds.list_feeds(current_identity(), request.learner_id)
        return calendar_pb2.ListFeedsResponse(feeds=[mappers.feed_to_proto(f) for f in feeds])

    async def RotateFeed(
        self, request: calendar_pb2.RotateFeedRequest, context: Context
    ) -> calendar_pb2.Feed:
        """Rotate a feed's token."""
        issued = await self._feeds.rotate_feed(current_identity(), request.learner_id, request.feed_id)
        return mappers.feed_to_proto(issued.feed, issued)

    async def DeleteFeed(self, request: calendar_pb2.DeleteFeedRequest, context: Context) -> empty_pb2.Empty:
        """Revoke a feed."""
        await self._feeds.delete_feed(current_identity(), request.learner_id, request.feed_id)
        return empty_pb2.Empty()

    async def GetFeedCalendar(
        self, request: calendar_pb2.GetFeedCalendarRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        """The public feed (no identity: the token is the credential)."""
        return httpbody_pb2.HttpBody(
            content_type=ICS, data=await self._feeds.feed_calendar(request.feed_token)
        )

    async def GetEventCalendar(
        self, request: calendar_pb2.GetEventCalendarRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        """One event as .ics."""
        data = await self._feeds.event_calendar(current_identity(), request.event_id)
        return httpbody_pb2.HttpBody(content_type=ICS, data=data)

    async def GetCalendarSettings(
        self, request: calendar_pb2.GetCalendarSettingsRequest, context: Context
    ) -> calendar_pb2.CalendarSettings:
        """A learner's settings."""
        return mappers.settings_to_proto(
            await self._service.get_settings(current_identity(), request.learner_id)
        )

    async def UpdateCalendarSettings(
        self, request: calendar_pb2.UpdateCalendarSettingsRequest, context: Context
    ) -> calendar_pb2.CalendarSettings:
        """Replace a learner's settings."""
        settings = await self._service.update_settings(
            current_identity(), request.learner_id, mappers.settings_from_proto(request.settings)
        )
        return mappers.settings_to_proto(settings)

    async def Ping(self, request: calendar_pb2.PingRequest, context: Context) -> calendar_pb2.PingResponse:
        """Who the service thinks the caller is."""
        identity = current_identity()
        response = calendar_pb2.PingResponse(
            service="calendar",
            user_id=identity.user_id,
            tenant_id=str(identity.tenant_id),
            roles=sorted(r.value for r in identity.roles),
        )
        response.server_time.GetCurrentTime()
        return response
