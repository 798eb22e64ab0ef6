"""Pieces shared by the services' in-memory fakes (domain unit tests only; real stacks everywhere else)."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Self

from google.protobuf.message import Message

from aigym_platform.events.registry import REGISTRY
from aigym_platform.identity import Identity, TenantId


class ReadOnlyUnit:
    """Mix in before a fake unit of work to give it `ReadUnit`'s contract: it reads, and committing,
    auditing or publishing fails the test (the real read unit has none of them)."""

    async def commit(self) -> None:
        raise AssertionError("a read unit cannot commit")

    async def audit(self, action: str, resource_type: str, resource_id: str, **_: object) -> None:
        raise AssertionError("a read unit cannot audit")

    async def publish(self, event_type: str, subject: str, payload: Message, **_: object) -> str:
        raise AssertionError("a read unit cannot publish")


class PublishedEvent(NamedTuple):
    """An outbox row a fake unit of work committed."""

    tenant_id: TenantId
    event_type: str
    subject: str
    payload: Message


AuditRecord = tuple[TenantId, str, str, str]


class FakeStoreLog(Protocol):
    """What a service's fake store keeps besides its rows: the committed audit entries and events."""

    audit: list[AuditRecord]
    events: list[PublishedEvent]


class FakeUnitOfWorkBase:
    """UnitOfWork's transaction semantics for a service's fake: `__aenter__` opens the unit's private copy
    of the tenant's rows (`open_session`), `commit` makes it the committed state (`commit_session`) together
    with the unit's audit entries and events; leaving without commit drops all three."""

    def __init__(self, store: Any, tenant_id: TenantId, identity: Identity | None) -> None:
        self._store, self.tenant_id, self.identity = store, tenant_id, identity
        self._audit: list[AuditRecord] = []
        self._events: list[PublishedEvent] = []
        self.session: Any = None

    def open_session(self) -> Any:
        """The unit's private copy of its tenant's committed rows (the fake session)."""
        raise NotImplementedError

    def commit_session(self) -> None:
        """Make `self.session`'s rows its tenant's committed rows."""
        raise NotImplementedError

    def reading(self) -> Self:
        """Like UnitOfWork.reading: the same tenant and caller, and nothing can be written."""
        unit: type[FakeUnitOfWorkBase] = type(self)
        reader: Self = _read_only(unit)(self._store, self.tenant_id, self.identity)
        return reader

    async def __aenter__(self) -> Self:
        self.session = self.open_session()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.session = None

    async def commit(self) -> None:
        self.commit_session()
        log: FakeStoreLog = self._store
        log.audit.extend(self._audit)
        log.events.extend(self._events)

    async def audit(self, action: str, resource_type: str, resource_id: str, **_: object) -> None:
        self._audit.append((self.tenant_id, action, resource_type, resource_id))

    async def publish(self, event_type: str, subject: str, payload: Message, **_: object) -> str:
        spec = REGISTRY.get(event_type)  # the real outbox refuses unregistered types and wrong payloads too
        assert isinstance(payload, spec.payload), (event_type, type(payload))
        self._events.append(PublishedEvent(self.tenant_id, event_type, subject, payload))
        return str(uuid.uuid4())


_READ_ONLY: dict[type[FakeUnitOfWorkBase], type[Any]] = {}


def _read_only(unit: type[FakeUnitOfWorkBase]) -> type[Any]:
    """`unit` with ReadUnit's contract mixed in (committing, auditing or publishing fails the test)."""
    if unit not in _READ_ONLY:
        _READ_ONLY[unit] = type(f"{unit.__name__}Reading", (ReadOnlyUnit, unit), {})
    return _READ_ONLY[unit]
