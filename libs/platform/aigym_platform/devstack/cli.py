"""`make run`: the whole suite on this machine until Ctrl-C (see README for every setting)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from aigym_platform.devstack.demo import DEMO_TENANT, load_demo
from aigym_platform.devstack.stack import DevStack, StackOptions
from aigym_platform.logs import configure_logging

log = logging.getLogger("aigym.dev")


def options_from_env(data_dir: str | None = None) -> StackOptions:
    """Stack options from AIGYM_* environment variables (the dev stack's only configuration source)."""
    env = os.environ
    return StackOptions(
        data_dir=Path(data_dir or env.get("AIGYM_DATA_DIR", ".data")),
        gateway_port=int(env.get("AIGYM_GATEWAY_PORT", "8080")),
        gateway_admin_port=int(env.get("AIGYM_GATEWAY_ADMIN_PORT", "9901")),
        postgres_port=int(env.get("AIGYM_DEV_POSTGRES_PORT", "55432")),
        redis_port=int(env.get("AIGYM_DEV_REDIS_PORT", "56379")),
        database_url=env.get("AIGYM_DATABASE_URL", ""),
        redis_url=env.get("AIGYM_REDIS_URL", ""),
        smtp_port=int(env.get("AIGYM_DEV_SMTP_PORT", "51025")),
        smtp_url=env.get("AIGYM_SMTP_URL", ""),
        replicas=int(env.get("AIGYM_DEV_REPLICAS", "1")),
    )


def run(args: argparse.Namespace) -> int:
    """Start everything, print how to use it, supervise until a signal or a child dies, stop everything."""
    stack = DevStack(options_from_env(args.data_dir))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stack.start()
        if args.demo:
            count = load_demo(stack.keys, stack.services["programs"].grpc_port)  # type: ignore[arg-type]
            log.info("demo tenant %s loaded (%s programs)", DEMO_TENANT, count)
        print(
            f"\nAI Gym is up.\n  REST gateway:  {stack.gateway_url}   (health: {stack.gateway_url}/healthz)\n"
            f"  token:         make token TENANT={DEMO_TENANT} USER=me ROLE=client_admin\n"
            f'  try:  curl -H "Authorization: Bearer $(make -s token)" {stack.gateway_url}/v1/programs\n'
            f"  email sink:    {stack.smtp_url} (messages in {stack.data_dir / 'mail'})\n"
            f"  data:          {stack.data_dir}\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stop.is_set():
            exited = stack.processes.wait_any(timeout=0.5)
            if exited is not None:
                log.error(
                    "%s exited unexpectedly with %s; stopping the suite", exited.name, exited.returncode
                )
                return 1
        return 0
    except Exception:
        log.exception("the suite failed to start")
        return 1
    finally:
        log.info("stopping")
        stack.stop(grace=6.0)


def main(argv: list[str] | None = None) -> int:
    """`aigym-dev run [--demo]`."""
    parser = argparse.ArgumentParser(prog="aigym-dev", description="Run the AI Gym suite locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser(
        "run",
        help="start PostgreSQL, Redis, every service and Envoy; Ctrl-C stops them",
        description="Embedded PostgreSQL/Redis unless AIGYM_DATABASE_URL/AIGYM_REDIS_URL are set. "
        "Data lives in AIGYM_DATA_DIR (default .data) and survives restarts.",
    )
    run_parser.add_argument("--demo", action="store_true", help="load the demo tenant's data")
    run_parser.add_argument("--data-dir", default=None, help="override AIGYM_DATA_DIR")
    args = parser.parse_args(argv)
    configure_logging("text", os.environ.get("AIGYM_LOG_LEVEL", "INFO"))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
