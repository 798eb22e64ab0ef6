"""`make token`: print a dev JWT the local gateway and services accept (nothing else on stdout)."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER, ensure_dev_keys
from aigym_platform.identity import Role

DEFAULT_DATA_DIR = ".data"


def main(argv: list[str] | None = None) -> int:
    """Parse flags, mint the token with the dev user key, print it."""
    parser = argparse.ArgumentParser(
        prog="aigym-token",
        description="Print a dev JWT signed with the dev stack's key (AIGYM_DATA_DIR/keys).",
    )
    parser.add_argument("--tenant", default="", help="tenant UUID (default: the demo tenant)")
    parser.add_argument("--user", default="", help="user id, the token's `sub` (default: dev-user)")
    parser.add_argument(
        "--role", default="client_admin", help="comma-separated roles (default: client_admin)"
    )
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds (default: 8 h)")
    parser.add_argument("--data-dir", default=os.environ.get("AIGYM_DATA_DIR", DEFAULT_DATA_DIR))
    args = parser.parse_args(argv)
    from aigym_platform.devstack.demo import DEMO_TENANT

    tenant = args.tenant or str(DEMO_TENANT)
    try:
        uuid.UUID(tenant)
    except ValueError:
        print(f"--tenant must be a UUID, got {tenant!r}", file=sys.stderr)
        return 2
    roles = [r.strip() for r in (args.role or "client_admin").split(",") if r.strip()]
    unknown = sorted(set(roles) - {r.value for r in Role})
    if unknown:
        print(f"unknown role(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    keys = ensure_dev_keys(Path(args.data_dir) / "keys")
    token = keys.user_key.mint(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        subject=args.user or "dev-user",
        tenant_id=tenant,
        roles=roles,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
