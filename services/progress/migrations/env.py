"""Alembic environment of the progress service (run through aigym_platform.migrations)."""

from aigym_platform.migrations import run_env
from aigym_progress.tables import Base

run_env(Base.metadata)
