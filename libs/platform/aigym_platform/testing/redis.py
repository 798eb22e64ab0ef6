"""A real Redis for tests: external when AIGYM_TEST_REDIS_URL is set, else an embedded server."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

TEST_REDIS_ENV = "AIGYM_TEST_REDIS_URL"


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Yield a Redis URL. An external server gets a random database 1-15 so parallel runs rarely meet."""
    external = os.environ.get(TEST_REDIS_ENV, "")
    if external:
        parts = urlsplit(external)
        yield urlunsplit(parts._replace(path=f"/{random.randint(1, 15)}"))  # noqa: S311
        return
    from aigym_platform.devstack.ports import free_port
    from aigym_platform.devstack.redis import EmbeddedRedis

    server = EmbeddedRedis(workdir / "redis", free_port(), appendonly=False, log_file=workdir / "redis.log")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
