"""Alembic environment of the achievements service (run through aigym_platform.migrations)."""

from aigym_achievements.tables import Base
from aigym_platform.migrations import run_env

run_env(Base.metadata)
