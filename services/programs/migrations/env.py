"""Alembic environment of the programs service (run through aigym_platform.migrations)."""

from aigym_platform.migrations import run_env
from aigym_programs.tables import Base

run_env(Base.metadata)
