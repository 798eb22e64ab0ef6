"""Celery runtime: app factory, async bridge, worker and beat entry points, per-tenant fan-out."""
