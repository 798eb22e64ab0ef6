"""Alembic environment of the platform's event-test schema (run through aigym_platform.migrations)."""

from sqlalchemy import MetaData

from aigym_platform.migrations import run_env

run_env(MetaData())
