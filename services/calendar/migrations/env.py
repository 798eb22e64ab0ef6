"""Alembic environment of the calendar service (run through aigym_platform.migrations)."""

from aigym_calendar.tables import Base
from aigym_platform.migrations import run_env

run_env(Base.metadata)
