"""A process-wide cache of each tenant's active badges (rules parsed), keyed by the tenant's badge revision.

A trigger bumps the revision in the transaction of every badge write, and the consumer reads the revision
in the statement that reads the learner's state, so an event evaluated after a badge change committed sees
the change: its revision differs from the cached one and the badges are read again. Shared by the threads
of a worker process (a lock guards the map; badges are immutable values).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from aigym_achievements.domain import Badge
from aigym_achievements.evaluator import Compiled, compile_rule
from aigym_achievements.rules import FactType, fact_types

MAX_TENANTS = 2000
"""Tenants a process keeps badges of; past it the longest-unrefreshed tenant is dropped (and re-read)."""


@dataclass(frozen=True)
class ActiveBadges:
    """A tenant's active badges at one revision, by the fact types their rules look at (oldest first),
    with each badge's rule compiled for evaluation (`evaluator.compile_rule`)."""

    revision: int
    by_fact_type: dict[FactType, tuple[Badge, ...]]
    compiled: dict[uuid.UUID, Compiled]

    @classmethod
    def of(cls, revision: int, badges: Iterable[Badge]) -> ActiveBadges:
        """Index `badges` (oldest first) by fact type and compile their rules."""
        index: dict[FactType, list[Badge]] = {}
        compiled: dict[uuid.UUID, Compiled] = {}
        for badge in badges:
            compiled[badge.badge_id] = compile_rule(badge.rule, badge.program_id)
            for fact_type in fact_types(badge.rule):
                index.setdefault(fact_type, []).append(badge)
        return cls(revision, {k: tuple(v) for k, v in index.items()}, compiled)

    def looking_at(self, fact_type: FactType) -> tuple[Badge, ...]:
        """The badges whose rule looks at `fact_type`."""
        return self.by_fact_type.get(fact_type, ())


class BadgeCatalog:
    """Active badges per tenant, valid for exactly one badge revision each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tenants: dict[uuid.UUID, ActiveBadges] = {}

    def get(self, tenant_id: uuid.UUID, revision: int) -> ActiveBadges | None:
        """The tenant's active badges if cached at exactly `revision`."""
        with self._lock:
            cached = self._tenants.get(tenant_id)
        return cached if cached is not None and cached.revision == revision else None

    def put(self, tenant_id: uuid.UUID, revision: int, badges: Iterable[Badge]) -> ActiveBadges:
        """Cache badges read at `revision` or later (never replacing a newer revision) and return them."""
        active = ActiveBadges.of(revision, badges)
        with self._lock:
            cached = self._tenants.get(tenant_id)
            if cached is None or cached.revision <= revision:
                self._tenants.pop(tenant_id, None)
                self._tenants[tenant_id] = active  # insertion order: the most recently read last
                while len(self._tenants) > MAX_TENANTS:
                    del self._tenants[next(iter(self._tenants))]
        return active
