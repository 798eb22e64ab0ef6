"""Thin gRPC adapter of the achievements service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

import uuid
from typing import Any

import grpc

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym.achievements.v1 import achievements_pb2_grpc
from aigym_achievements import mappers
from aigym_achievements.award_service import AwardsService
from aigym_achievements.public_service import PublicService
from aigym_achievements.service import BadgesService
from aigym_platform.errors import InvalidArgument
from aigym_platform.identity import current_identity

Context = grpc.aio.ServicerContext[Any, Any]

# RPCs that need no token (the gateway lets their REST paths through without one).
PUBLIC_METHODS = tuple(
    f"/aigym.achievements.v1.AchievementsService/{name}"
    for name in ("GetCredential", "GetStatusList", "GetIssuer")
)


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class AchievementsServicer(achievements_pb2_grpc.AchievementsServiceServicer):  # type: ignore[misc]
    """gRPC face of the badges, awards and public services."""

    def __init__(self, badges: BadgesService, awards: AwardsService, public: PublicService) -> None:
        self._badges = badges
        self._awards = awards
        self._public = public

    async def CreateBadge(self, request: pb.CreateBadgeRequest, context: Context) -> pb.Badge:
        """Create a draft badge."""
        badge = await self._badges.create_badge(current_identity(), mappers.draft_from_proto(request.badge))
        return mappers.badge_to_proto(badge)

    async def GetBadge(self, request: pb.GetBadgeRequest, context: Context) -> pb.Badge:
        """Return one badge."""
        return mappers.badge_to_proto(
            await self._badges.get_badge(current_identity(), uuid.UUID(request.badge_id))
        )

    async def ListBadges(self, request: pb.ListBadgesRequest, context: Context) -> pb.ListBadgesResponse:
        """Return a page of badges."""
        page = await self._badges.list_badges(
            current_identity(),
            state=mappers.BADGE_STATES.get(request.state),
            tag=request.tag,
            program_id=request.program_id,
            size=request.page_size,
            token=request.page_token,
        )
        return pb.ListBadgesResponse(
            badges=[mappers.badge_to_proto(b) for b in page.badges], next_page_token=page.next_page_token
        )

    async def UpdateBadge(self, request: pb.UpdateBadgeRequest, context: Context) -> pb.Badge:
        """Update the masked fields of a badge."""
        badge = await self._badges.update_badge(
            current_identity(),
            _uuid(request.badge.badge_id, "badge.badge_id"),
            mappers.draft_from_proto(request.badge),
            list(request.update_mask.paths),
            request.badge.etag,
        )
        return mappers.badge_to_proto(badge)

    async def ActivateBadge(self, request: pb.ActivateBadgeRequest, context: Context) -> pb.Badge:
        """Activate a draft badge (optionally with a retroactive backfill)."""
        badge = await self._badges.activate_badge(
            current_identity(), uuid.UUID(request.badge_id), backfill=request.backfill, etag=request.etag
        )
        return mappers.badge_to_proto(badge)

    async def ArchiveBadge(self, request: pb.ArchiveBadgeRequest, context: Context) -> pb.Badge:
        """Archive a badge."""
        badge = await self._badges.archive_badge(
            current_identity(), uuid.UUID(request.badge_id), request.etag
        )
        return mappers.badge_to_proto(badge)

    async def SimulateBadge(
        self, request: pb.SimulateBadgeRequest, context: Context
    ) -> pb.SimulateBadgeResponse:
        """Who would earn a badge now."""
        rule = mappers.rule_from_proto(request.rule) if request.HasField("rule") else None
        result = await self._badges.simulate(
            current_identity(), uuid.UUID(request.badge_id), rule, request.page_size
        )
        return pb.SimulateBadgeResponse(
            earners=[
                pb.SimulatedAward(
                    learner_id=learner, evidence_event_ids=list(outcome.evidence), already_awarded=held
                )
                for learner, outcome, held in result.earners
            ],
            earner_count=result.earner_count,
            learner_count=result.learner_count,
        )

    async def CreateAward(self, request: pb.CreateAwardRequest, context: Context) -> pb.Award:
        """Award a badge by hand."""
        award = await self._awards.award_manually(
            current_identity(), uuid.UUID(request.badge_id), request.award.learner_id, request.award.reason
        )
        return mappers.award_to_proto(award)

    async def ListAwards(self, request: pb.ListAwardsRequest, context: Context) -> pb.ListAwardsResponse:
        """Return a page of a badge's awards."""
        page = await self._awards.list_awards(
            current_identity(),
            uuid.UUID(request.badge_id),
            mappers.AWARD_STATES.get(request.state),
            request.page_size,
            request.page_token,
        )
        return pb.ListAwardsResponse(
            awards=[mappers.award_to_proto(a) for a in page.awards], next_page_token=page.next_page_token
        )

    async def RevokeAward(self, request: pb.RevokeAwardRequest, context: Context) -> pb.Award:
        """Revoke an award."""
        award = await self._awards.revoke(current_identity(), uuid.UUID(request.award_id), request.reason)
        return mappers.award_to_proto(award)

    async def SuspendAward(self, request: pb.SuspendAwardRequest, context: Context) -> pb.Award:
        """Suspend or reinstate an award."""
        award = await self._awards.suspend(
            current_identity(), uuid.UUID(request.award_id), request.reason, reinstate=request.reinstate
        )
        return mappers.award_to_proto(award)

    async def ListLearnerAchievements(
        self, request: pb.ListLearnerAchievementsRequest, context: Context
    ) -> pb.ListLearnerAchievementsResponse:
        """A learner's awards and progress toward other badges."""
        result = await self._awards.learner_achievements(current_identity(), request.learner_id)
        response = pb.ListLearnerAchievementsResponse(
            awards=[mappers.award_to_proto(a) for a in result.awards]
        )
        for badge_id, badge in result.badges.items():
            response.badges[str(badge_id)].CopyFrom(mappers.badge_to_proto(badge))
        for badge, progress in result.in_progress:
            response.in_progress.add(badge=mappers.badge_to_proto(badge), percent=round(progress * 100, 2))
        return response

    async def GetLeaderboard(self, request: pb.GetLeaderboardRequest, context: Context) -> pb.Leaderboard:
        """A program's leaderboard."""
        rows = await self._awards.leaderboard(current_identity(), request.program_id, request.page_size)
        return pb.Leaderboard(
            program_id=request.program_id,
            entries=[
                pb.LeaderboardEntry(
                    rank=r.rank,
                    learner_id=r.learner_id,
                    display_name=r.display_name,
                    badge_count=r.badge_count,
                )
                for r in rows
            ],
        )

    async def GetAchievementSettings(
        self, request: pb.GetAchievementSettingsRequest, context: Context
    ) -> pb.AchievementSettings:
        """The tenant's settings."""
        return mappers.settings_to_proto(await self._badges.get_settings(current_identity()))

    async def UpdateAchievementSettings(
        self, request: pb.UpdateAchievementSettingsRequest, context: Context
    ) -> pb.AchievementSettings:
        """Update the tenant's settings."""
        settings = await self._badges.update_settings(
            current_identity(), mappers.settings_from_proto(request.settings), list(request.update_mask.paths)
        )
        return mappers.settings_to_proto(settings)

    async def GetCredential(self, request: pb.GetCredentialRequest, context: Context) -> pb.Credential:
        """Public: a credential and its status."""
        view = await self._public.credential(uuid.UUID(request.credential_id))
        return pb.Credential(
            credential_id=str(view.credential_id),
            jwt=view.jwt,
            credential=mappers.struct(view.claims),
            status=mappers.CREDENTIAL_STATUS[view.status],
        )

    async def GetStatusList(self, request: pb.GetStatusListRequest, context: Context) -> pb.StatusList:
        """Public: a status list credential."""
        view = await self._public.status_list(uuid.UUID(request.status_list_id))
        return pb.StatusList(
            status_list_id=str(view.list_id),
            status_purpose=view.purpose,
            jwt=view.jwt,
            credential=mappers.struct(view.claims),
        )

    async def GetIssuer(self, request: pb.GetIssuerRequest, context: Context) -> pb.Issuer:
        """Public: a tenant's issuer profile."""
        view = await self._public.issuer(uuid.UUID(request.tenant_id))
        return pb.Issuer(
            issuer_id=view.issuer_id, profile=mappers.struct(view.profile), jwks=mappers.struct(view.jwks)
        )

    async def Ping(self, request: pb.PingRequest, context: Context) -> pb.PingResponse:
        """Echo the verified caller without touching storage."""
        identity = current_identity()
        response = pb.PingResponse(
            service="achievements",
            user_id=identity.user_id,
            tenant_id=str(identity.tenant_id),
            roles=sorted(role.value for role in identity.roles),
        )
        response.server_time.GetCurrentTime()
        return response


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument.for_field(field, "must be a UUID") from None
