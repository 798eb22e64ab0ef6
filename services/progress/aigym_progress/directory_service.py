"""The progress service's copy of the learner directory, and whose records a caller may read.

The programs service owns the directory; its `learner_upserted` events replace the local entry (the
consumer records the event id in the inbox in the same transaction, so a redelivery changes nothing, and
an entry older than the stored one is ignored, so events of one learner may arrive in any order).

Read scope (`aigym_platform.teams.readable_learner`): a learner reads their own records; a manager those of
their team (everyone reporting to them directly or through other managers, as the replicated directory
says); client admins, platform admins acting in the tenant and service tokens anyone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from aigym.programs.v1 import events_pb2 as programs_events
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event
from aigym_platform.identity import Identity, Role, TenantId
from aigym_progress.directory_repository import DirectoryRepository, SqlDirectoryRepository

DirectoryRepositoryFactory = Callable[[AsyncSession, TenantId], DirectoryRepository]


def team_scope(identity: Identity) -> str | None:
    """The manager whose team bounds a roster (None: the caller sees every learner of the tenant)."""
    identity.require(Role.MANAGER)
    return None if identity.has_role(Role.CLIENT_ADMIN) else identity.user_id


class DirectoryHandlers:
    """Handlers of programs events the progress service consumes (run in the consumer's unit of work)."""

    def __init__(self, repositories: DirectoryRepositoryFactory = SqlDirectoryRepository) -> None:
        self._repositories = repositories

    async def record_learner_upserted(
        self, uow: UnitOfWork, event: Event[programs_events.LearnerUpserted]
    ) -> None:
        """Replace the local entry of the learner (manager, active) unless a newer change is stored."""
        p = event.payload
        await self._repositories(uow.session, uow.tenant_id).save_learner(
            p.learner_id, p.manager_id.strip(), p.active, event.occurred_at
        )
