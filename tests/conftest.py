"""Cross-service fixtures: every service's database provisioned and migrated, plus per-service seeders."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
import pytest_asyncio

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.devstack.services import SERVICES
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_programs.directory import LearnerEntry
from aigym_programs.directory_service import DirectoryService
from aigym_programs.domain import ProgramDraft
from aigym_programs.enrollment_service import EnrollmentRequest, EnrollmentsService
from aigym_programs.service import ProgramsService
from aigym_programs.structure import Node, NodeKind, Rule

Seeder = Callable[[ServiceDatabase, uuid.UUID], Awaitable[None]]


@pytest_asyncio.fixture(scope="session")
async def service_databases(postgres: tuple[str, str]) -> dict[str, ServiceDatabase]:
    """Every service's database, migrated to head."""
    admin_url, prefix = postgres
    return {
        spec.name: await provision_and_migrate(admin_url, spec.name, spec.migrations_dir, prefix=prefix)
        for spec in SERVICES
    }


async def _seed_programs(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        service = ProgramsService(uow_factory(create_sessionmaker(engine)))
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        structure = [
            Node("root", NodeKind.SET, rule=Rule.ALL_ANY_ORDER),
            Node("course", NodeKind.COURSE, "root", course_id="seed-course"),
        ]
        program = await service.create_program(
            admin, ProgramDraft(title="Seeded program"), structure=structure
        )
        await service.publish_program(admin, program.program_id)
        enrollments = EnrollmentsService(uow_factory(create_sessionmaker(engine)))
        await enrollments.enroll(admin, program.program_id, EnrollmentRequest("seed-learner"))
        directory = DirectoryService(uow_factory(create_sessionmaker(engine)))
        await directory.upsert_learner(admin, LearnerEntry("seed-learner", "Seed Learner"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def seeders() -> dict[str, Seeder]:
    """One seeder per service. Each must leave at least one row in every tenant table of its service, so
    the isolation test can prove RLS hides them: a new table without seeded rows makes that test fail."""
    return {"programs": _seed_programs}
