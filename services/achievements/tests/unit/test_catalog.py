"""Unit tests of the per-process cache of active badges (pure code)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aigym_achievements import catalog
from aigym_achievements.catalog import BadgeCatalog
from aigym_achievements.domain import Badge, BadgeDraft, new_badge
from aigym_achievements.rules import AllOf, Count, CourseCompleted, FactType, MilestoneReached, Rule

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def badge(name: str, rule: Rule) -> Badge:
    return new_badge(BadgeDraft(display_name=name, rule=rule), "admin", NOW)


def test_badges_are_served_only_at_the_revision_they_were_read_at_and_by_fact_type() -> None:
    cache, tenant = BadgeCatalog(), uuid.uuid4()
    blocks = badge("Blocks", Count(FactType.BLOCK_COMPLETED, min_count=2))
    both = badge("Both", AllOf((CourseCompleted("c1"), MilestoneReached("p1"))))
    cache.put(tenant, 3, [blocks, both])
    assert cache.get(tenant, 2) is None
    assert cache.get(tenant, 4) is None
    assert cache.get(uuid.uuid4(), 3) is None
    active = cache.get(tenant, 3)
    assert active is not None
    assert [b.display_name for b in active.looking_at(FactType.BLOCK_COMPLETED)] == ["Blocks"]
    assert [b.display_name for b in active.looking_at(FactType.MILESTONE_REACHED)] == ["Both"]
    assert [b.display_name for b in active.looking_at(FactType.COURSE_COMPLETED)] == ["Both"]
    assert active.looking_at(FactType.PROGRAM_COMPLETED) == ()


def test_an_older_read_never_replaces_a_newer_revision() -> None:
    cache, tenant = BadgeCatalog(), uuid.uuid4()
    cache.put(tenant, 5, [])
    stale = cache.put(tenant, 4, [badge("Old", CourseCompleted("c1"))])
    assert stale.revision == 4  # the caller still evaluates with what it read
    assert cache.get(tenant, 5) is not None
    assert cache.get(tenant, 4) is None


def test_the_longest_unrefreshed_tenant_is_dropped_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "MAX_TENANTS", 2)
    cache = BadgeCatalog()
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache.put(first, 1, [])
    cache.put(second, 1, [])
    cache.put(first, 2, [])  # refreshed: now the most recent
    cache.put(third, 1, [])
    assert cache.get(second, 1) is None
    assert cache.get(first, 2) is not None
    assert cache.get(third, 1) is not None
