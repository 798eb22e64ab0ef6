"""Programs RPCs through a real in-process server and a real PostgreSQL."""

from __future__ import annotations

import base64
import json
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.testing.tokens import TokenFactory, bearer
from aigym_platform.tokens import generate_signing_key

Stub = programs_pb2_grpc.ProgramsServiceStub


def admin(tokens: TokenFactory, tenant: uuid.UUID) -> tuple[tuple[str, str], ...]:
    return bearer(tokens.token(tenant, ["client_admin"], user="admin-1"))


def learner(tokens: TokenFactory, tenant: uuid.UUID) -> tuple[tuple[str, str], ...]:
    return bearer(tokens.token(tenant, ["learner"], user="learner-1"))


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    result = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            result.update({v.field: v.description for v in bad.field_violations})
    return result


async def create(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, title: str = "Leadership 101", **kw: object
) -> pb.Program:
    program = pb.Program(title=title, visibility=pb.VISIBILITY_PUBLIC, **kw)  # type: ignore[arg-type]
    return await stub.CreateProgram(pb.CreateProgramRequest(program=program), metadata=admin(tokens, tenant))


async def test_admin_creates_and_reads_a_draft_program(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    created = await create(
        programs_stub, token_factory, tenant, "  Data   Literacy ", tags=["Data", "data", "ai"]
    )
    assert created.state == pb.PROGRAM_STATE_DRAFT
    assert created.title == "Data Literacy"
    assert list(created.tags) == ["data", "ai"]
    fetched = await programs_stub.GetProgram(
        pb.GetProgramRequest(program_id=created.program_id), metadata=admin(token_factory, tenant)
    )
    assert fetched == created


async def test_rejects_calls_without_a_valid_token(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await programs_stub.ListPrograms(pb.ListProgramsRequest())
    assert missing.value.code() == grpc.StatusCode.UNAUTHENTICATED
    stranger = generate_signing_key("test-user").mint(
        issuer=token_factory.issuer,
        audience="aigym",
        subject="x",
        tenant_id=str(tenant),
        roles=["client_admin"],
    )
    with pytest.raises(grpc.aio.AioRpcError) as forged:
        await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=bearer(stranger))
    assert forged.value.code() == grpc.StatusCode.UNAUTHENTICATED
    expired = token_factory.token(tenant, ["client_admin"], ttl_seconds=-120)
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=bearer(expired))
    assert late.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in (late.value.details() or "")


async def test_learner_cannot_create_programs(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await programs_stub.CreateProgram(
            pb.CreateProgramRequest(program=pb.Program(title="Sneaky")),
            metadata=learner(token_factory, tenant),
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=admin(token_factory, tenant))
    assert list(listed.programs) == []


async def test_malformed_input_returns_field_violations_and_writes_nothing(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    request = pb.CreateProgramRequest(program=pb.Program(title="x" * 201, tags=["Bad Tag!"]))
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await programs_stub.CreateProgram(request, metadata=admin(token_factory, tenant))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = field_violations(invalid.value)
    assert "program.title" in violations
    assert "program.tags[0]" in violations
    with pytest.raises(grpc.aio.AioRpcError) as blank:
        await create(programs_stub, token_factory, tenant, "   ")
    assert field_violations(blank.value) == {"program.title": "must not be blank"}
    with pytest.raises(grpc.aio.AioRpcError) as bad_id:
        await programs_stub.GetProgram(
            pb.GetProgramRequest(program_id="nope"), metadata=admin(token_factory, tenant)
        )
    assert bad_id.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "program_id" in field_violations(bad_id.value)
    listed = await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=admin(token_factory, tenant))
    assert list(listed.programs) == []


async def test_other_tenants_programs_are_not_found(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    created = await create(programs_stub, token_factory, tenant)
    other = uuid.uuid4()
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await programs_stub.GetProgram(
            pb.GetProgramRequest(program_id=created.program_id), metadata=admin(token_factory, other)
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    assert created.title not in (hidden.value.details() or "")
    listed = await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=admin(token_factory, other))
    assert list(listed.programs) == []


async def test_client_sent_tenant_header_changes_nothing(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    victim = uuid.uuid4()
    await create(programs_stub, token_factory, victim, "Victim's program")
    metadata = (*admin(token_factory, tenant), ("x-tenant-id", str(victim)))
    listed = await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=metadata)
    assert list(listed.programs) == []


async def test_only_platform_admin_may_act_in_a_named_tenant(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    await create(programs_stub, token_factory, tenant, "Visible to the platform admin")
    impostor = (*admin(token_factory, uuid.uuid4()), ("x-aigym-tenant", str(tenant)))
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=impostor)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    operator = bearer(token_factory.token(None, ["platform_admin"], user="ops-1"))
    listed = await programs_stub.ListPrograms(
        pb.ListProgramsRequest(), metadata=(*operator, ("x-aigym-tenant", str(tenant)))
    )
    assert [p.title for p in listed.programs] == ["Visible to the platform admin"]


async def test_create_is_idempotent_per_request_id(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    request = pb.CreateProgramRequest(program=pb.Program(title="Once"), request_id="upload-42")
    first = await programs_stub.CreateProgram(request, metadata=admin(token_factory, tenant))
    again = await programs_stub.CreateProgram(request, metadata=admin(token_factory, tenant))
    assert again.program_id == first.program_id
    listed = await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=admin(token_factory, tenant))
    assert len(listed.programs) == 1
    # The same key for another program is a client mistake, not a silent return of the first one.
    other = pb.CreateProgramRequest(program=pb.Program(title="Something else"), request_id="upload-42")
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await programs_stub.CreateProgram(other, metadata=admin(token_factory, tenant))
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already used" in (reused.value.details() or "")
    # A clone's key is its own: the same string there makes a clone, not the program above.
    clone = pb.CloneProgramRequest(program_id=first.program_id, request_id="upload-42")
    copied = await programs_stub.CloneProgram(clone, metadata=admin(token_factory, tenant))
    assert copied.program_id != first.program_id
    assert (await programs_stub.CloneProgram(clone, metadata=admin(token_factory, tenant))) == copied


async def test_list_pages_filters_and_hides_drafts_from_learners(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    titles = [f"Program {i:02d}" for i in range(7)]
    for i, title in enumerate(titles):
        await create(programs_stub, token_factory, tenant, title, tags=["odd" if i % 2 else "even"])
    seen: list[str] = []
    token = ""
    while True:
        page = await programs_stub.ListPrograms(
            pb.ListProgramsRequest(page_size=3, page_token=token), metadata=admin(token_factory, tenant)
        )
        seen += [p.title for p in page.programs]
        token = page.next_page_token
        if not token:
            break
    assert seen == list(reversed(titles))
    odd = await programs_stub.ListPrograms(
        pb.ListProgramsRequest(tag="odd"), metadata=admin(token_factory, tenant)
    )
    assert {p.title for p in odd.programs} == {titles[1], titles[3], titles[5]}
    searched = await programs_stub.ListPrograms(
        pb.ListProgramsRequest(query="gram 04"), metadata=admin(token_factory, tenant)
    )
    assert [p.title for p in searched.programs] == ["Program 04"]
    as_learner = await programs_stub.ListPrograms(
        pb.ListProgramsRequest(), metadata=learner(token_factory, tenant)
    )
    assert list(as_learner.programs) == []
    first = await programs_stub.ListPrograms(
        pb.ListProgramsRequest(page_size=2), metadata=admin(token_factory, tenant)
    )
    with pytest.raises(grpc.aio.AioRpcError) as changed:
        await programs_stub.ListPrograms(
            pb.ListProgramsRequest(page_size=2, page_token=first.next_page_token, tag="odd"),
            metadata=admin(token_factory, tenant),
        )
    assert changed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A token whose position a client edited (its filters intact) is the client's mistake, not a crash.
    data = json.loads(base64.urlsafe_b64decode(first.next_page_token + "=="))
    data["v"][0] = "last tuesday"
    edited = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    with pytest.raises(grpc.aio.AioRpcError) as tampered:
        await programs_stub.ListPrograms(
            pb.ListProgramsRequest(page_size=2, page_token=edited), metadata=admin(token_factory, tenant)
        )
    assert tampered.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(tampered.value) == {"page_token": "page_token is malformed"}


async def test_update_applies_mask_and_detects_stale_etag(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    created = await create(programs_stub, token_factory, tenant, "Before")
    change = pb.Program(program_id=created.program_id, title="After", description="new", etag=created.etag)
    updated = await programs_stub.UpdateProgram(
        pb.UpdateProgramRequest(program=change, update_mask=field_mask_pb2.FieldMask(paths=["title"])),
        metadata=admin(token_factory, tenant),
    )
    assert (updated.title, updated.description) == ("After", "")
    assert updated.etag != created.etag
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await programs_stub.UpdateProgram(
            pb.UpdateProgramRequest(
                program=change, update_mask=field_mask_pb2.FieldMask(paths=["description"])
            ),
            metadata=admin(token_factory, tenant),
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    with pytest.raises(grpc.aio.AioRpcError) as immutable:
        await programs_stub.UpdateProgram(
            pb.UpdateProgramRequest(
                program=pb.Program(program_id=created.program_id, title="x"),
                update_mask=field_mask_pb2.FieldMask(paths=["state"]),
            ),
            metadata=admin(token_factory, tenant),
        )
    assert immutable.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask" in field_violations(immutable.value)


async def test_delete_removes_drafts(
    programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    created = await create(programs_stub, token_factory, tenant)
    await programs_stub.DeleteProgram(
        pb.DeleteProgramRequest(program_id=created.program_id), metadata=admin(token_factory, tenant)
    )
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await programs_stub.GetProgram(
            pb.GetProgramRequest(program_id=created.program_id), metadata=admin(token_factory, tenant)
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
