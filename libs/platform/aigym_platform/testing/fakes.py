"""Pieces shared by the services' in-memory fakes (domain unit tests only; real stacks everywhere else)."""

from __future__ import annotations

from google.protobuf.message import Message


class ReadOnlyUnit:
    """Mix in before a fake unit of work to give it `ReadUnit`'s contract: it reads, and committing,
    auditing or publishing fails the test (the real read unit has none of them)."""

    async def commit(self) -> None:
        raise AssertionError("a read unit cannot commit")

    async def audit(self, action: str, resource_type: str, resource_id: str, **_: object) -> None:
        raise AssertionError("a read unit cannot audit")

    async def publish(self, event_type: str, subject: str, payload: Message, **_: object) -> str:
        raise AssertionError("a read unit cannot publish")
