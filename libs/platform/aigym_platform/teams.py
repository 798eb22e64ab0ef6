"""Whose records a caller may read, by the reporting lines of a service's copy of the learner directory.

The programs service owns the directory; services that scope managers to their team keep a copy (a table
with `tenant_id`, `learner_id` and `manager_id`, filled from `learner_upserted`). A learner reads their own
records; a manager those of their team, i.e. everyone reporting to them directly or through other
managers; client admins, platform admins acting in the tenant and service tokens anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import FromClause, Select, exists, literal, select

from aigym_platform.errors import PermissionDenied
from aigym_platform.identity import Identity, Role

ReportsTo = Callable[[str, str], Awaitable[bool]]


async def readable_learner(identity: Identity, learner_id: str, reports_to: ReportsTo, what: str) -> str:
    """The learner whose `what` the caller reads: themselves (`me` or empty), a member of their team, or
    anyone for admins; `reports_to(learner, manager)` asks the service's directory copy.

    PERMISSION_DENIED names what is missing: the manager role, or the learner's place in the caller's team
    (reason LEARNER_OUT_OF_SCOPE).
    """
    learner = readable_without_directory(identity, learner_id)
    if learner is not None:
        return learner
    if not identity.has_role(Role.MANAGER):
        raise PermissionDenied(f"reading another learner's {what} requires the manager role")
    if not await reports_to(learner_id, identity.user_id):
        raise PermissionDenied(
            f"learner {learner_id} is not in your team: a manager reads the {what} of their direct and "
            "indirect reports only",
            reason="LEARNER_OUT_OF_SCOPE",
        )
    return learner_id


def readable_without_directory(identity: Identity, learner_id: str) -> str | None:
    """The learner whose records the caller reads when the directory is not needed to decide (themselves,
    or anyone for admins); None when it is (another learner, for a manager or to be refused).

    PERMISSION_DENIED without the learner role, as `readable_learner`.
    """
    identity.require(Role.LEARNER)
    if not learner_id or identity.is_self(learner_id):
        return identity.user_id
    if identity.has_role(Role.CLIENT_ADMIN):
        return learner_id
    return None


def reports_to_query(
    directory: FromClause, tenant_id: uuid.UUID, learner_id: str, manager_id: str
) -> Select[tuple[bool]]:
    """Whether `learner_id` reports to `manager_id` in `directory`, directly or through other managers.

    Walks up from the learner (one primary-key step per level) rather than down the whole team; UNION, not
    UNION ALL, so a cycle in the reporting lines ends the walk. An empty `manager_id` column means none.
    """
    c = directory.c
    chain = (
        select(c.manager_id.label("manager_id"))
        .where(c.tenant_id == tenant_id, c.learner_id == learner_id, c.manager_id != "")
        .cte("chain", recursive=True)
    )
    above = directory.alias("above")
    chain = chain.union(
        select(above.c.manager_id)
        .join(chain, above.c.learner_id == chain.c.manager_id)
        .where(above.c.tenant_id == tenant_id, above.c.manager_id != "")
    )
    return select(exists(select(literal(1)).select_from(chain).where(chain.c.manager_id == manager_id)))


def team_query(directory: FromClause, tenant_id: uuid.UUID, manager_id: str) -> Select[tuple[str]]:
    """The learner ids of everyone reporting to `manager_id` in `directory`, directly or through other
    managers (the manager themselves excluded, even inside a cycle of reporting lines).

    Walks down from the manager one level per step; UNION, not UNION ALL, so a cycle ends the walk.
    """
    c = directory.c
    team = (
        select(c.learner_id.label("learner_id"))
        .where(c.tenant_id == tenant_id, c.manager_id == manager_id)
        .cte("team", recursive=True)
    )
    below = directory.alias("below")
    team = team.union(
        select(below.c.learner_id)
        .join(team, below.c.manager_id == team.c.learner_id)
        .where(below.c.tenant_id == tenant_id)
    )
    return select(team.c.learner_id).where(team.c.learner_id != manager_id)
