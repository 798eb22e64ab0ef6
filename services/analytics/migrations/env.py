"""Alembic environment of the analytics service (run through aigym_platform.migrations)."""

from aigym_analytics.tables import Base
from aigym_platform.migrations import run_env

run_env(Base.metadata)
