"""Render the gateway's Envoy config: `python -m aigym_gateway --help`.

Every flag has an `AIGYM_GATEWAY_*` environment variable; a flag given on the command line wins. Upstreams
are written `NAME=HOST:PORT`, optionally followed by `@SERVICE+SERVICE` when the gRPC services are not the
conventional `aigym.<name>.v1.<Name>Service`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from aigym_gateway.config import (
    GatewayConfig,
    JwtConfig,
    UpstreamService,
    default_descriptor_path,
    render,
    render_yaml,
)

ENV_PREFIX = "AIGYM_GATEWAY_"
_LIST_SPLIT = re.compile(r"[,\s]+")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def conventional_service(name: str) -> str:
    """Return the conventional gRPC service of a process named `name` (aigym.programs.v1.ProgramsService)."""
    words = re.split(r"[-_]", name)
    return f"aigym.{''.join(words)}.v1.{''.join(word.capitalize() for word in words)}Service"


def parse_upstream(spec: str) -> UpstreamService:
    """Parse `NAME=HOST:PORT[@SERVICE+SERVICE...]` into an UpstreamService."""
    name, sep, rest = spec.partition("=")
    if not sep or not name:
        raise ValueError(f"upstream {spec!r} is not NAME=HOST:PORT[@SERVICE+SERVICE]")
    target, _, services = rest.partition("@")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"upstream {spec!r} needs HOST:PORT after '='")
    grpc_services = tuple(s for s in services.split("+") if s) or (conventional_service(name),)
    return UpstreamService(name=name, grpc_services=grpc_services, address=host.strip("[]"), port=int(port))


def _split(value: str) -> list[str]:
    return [item for item in _LIST_SPLIT.split(value.strip()) if item]


def _env_bool(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{ENV_PREFIX}{name} must be true or false, got {value!r}")


GATEWAY_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(GatewayConfig) if f.default is not MISSING
}


def _config_default(name: str) -> str:
    return str(GATEWAY_DEFAULTS[name])


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """Return the argument parser; defaults come from `env` (the AIGYM_GATEWAY_* variables)."""

    def default(name: str, fallback: str | None = None) -> str | None:
        return env.get(ENV_PREFIX + name, fallback)

    def default_list(name: str, fallback: Sequence[str] = ()) -> list[str]:
        value = env.get(ENV_PREFIX + name)
        return _split(value) if value is not None else list(fallback)

    parser = argparse.ArgumentParser(
        prog="python -m aigym_gateway",
        description="Render the AI Gym gateway's Envoy bootstrap (YAML) for local runs or Kubernetes.",
        epilog=(
            f"Each option's environment variable, after the {ENV_PREFIX} prefix, is shown in brackets; lists "
            "there are comma separated. An upstream without @SERVICE serves aigym.<name>.v1.<Name>Service."
        ),
    )
    add = parser.add_argument
    add(
        "--upstream",
        action="append",
        dest="upstreams",
        metavar="NAME=HOST:PORT[@SVC+SVC]",
        help="a gRPC service process; repeat for each [UPSTREAMS]",
    )
    add(
        "--descriptor",
        default=default("DESCRIPTOR", default_descriptor_path()),
        help="FileDescriptorSet for the transcoder (default: the one shipped here) [DESCRIPTOR]",
    )
    add("--jwt-issuer", default=default("JWT_ISSUER"), help="expected `iss` of user tokens [JWT_ISSUER]")
    add(
        "--jwt-audience",
        action="append",
        dest="jwt_audiences",
        help="accepted `aud`; repeat for more [JWT_AUDIENCES]",
    )
    add("--jwks-file", default=default("JWKS_FILE"), help="local JWKS file (dev) [JWKS_FILE]")
    add("--jwks-uri", default=default("JWKS_URI"), help="identity provider's JWKS URL [JWKS_URI]")
    add(
        "--forward-payload-header",
        default=default("FORWARD_PAYLOAD_HEADER"),
        help="header carrying the verified JWT payload to services [FORWARD_PAYLOAD_HEADER]",
    )
    add(
        "--listen-address",
        default=default("LISTEN_ADDRESS", _config_default("listen_address")),
        help="[LISTEN_ADDRESS]",
    )
    add(
        "--listen-port",
        type=int,
        default=default("LISTEN_PORT", _config_default("listen_port")),
        help="[LISTEN_PORT]",
    )
    add(
        "--admin-address",
        default=default("ADMIN_ADDRESS", _config_default("admin_address")),
        help="keep it on loopback; the admin API can stop Envoy [ADMIN_ADDRESS]",
    )
    add(
        "--admin-port",
        type=int,
        default=default("ADMIN_PORT", _config_default("admin_port")),
        help="[ADMIN_PORT]",
    )
    add(
        "--dns-discovery",
        action=argparse.BooleanOptionalAction,
        default=_env_bool(default("DNS_DISCOVERY"), "DNS_DISCOVERY"),
        help="STRICT_DNS clusters on (headless) Service names, for Kubernetes [DNS_DISCOVERY]",
    )
    add(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        help="allowed browser origin; repeat [CORS_ORIGINS]",
    )
    add(
        "--rate-limit-rps",
        type=int,
        default=default("RATE_LIMIT_RPS", _config_default("rate_limit_tokens_per_second")),
        help="sustained requests per second for the whole gateway [RATE_LIMIT_RPS]",
    )
    add(
        "--rate-limit-burst",
        type=int,
        default=default("RATE_LIMIT_BURST", _config_default("rate_limit_burst")),
        help="[RATE_LIMIT_BURST]",
    )
    add(
        "--request-timeout",
        type=float,
        default=default("REQUEST_TIMEOUT_SECONDS", _config_default("request_timeout_seconds")),
        help="per-request timeout in seconds [REQUEST_TIMEOUT_SECONDS]",
    )
    add(
        "--max-request-bytes",
        type=int,
        default=default("MAX_REQUEST_BYTES", _config_default("max_request_bytes")),
        help="largest REST request body [MAX_REQUEST_BYTES]",
    )
    add(
        "--public-path-prefix",
        action="append",
        dest="public_path_prefixes",
        help="REST path prefix served without a token, e.g. /v1/feeds/; repeat [PUBLIC_PATH_PREFIXES]",
    )
    add(
        "--healthz-min-healthy-percent",
        type=float,
        default=default("HEALTHZ_MIN_HEALTHY_PERCENT", _config_default("healthz_min_healthy_percent")),
        help="share of each upstream's endpoints that must be healthy for GET /healthz to be 200 "
        "[HEALTHZ_MIN_HEALTHY_PERCENT]",
    )
    add(
        "--stats-port",
        type=int,
        default=default("STATS_PORT"),
        help="serve only GET /stats/prometheus on this port of the listen address (default off) [STATS_PORT]",
    )
    add("--format", choices=("yaml", "json"), default="yaml", help="output format (Envoy reads both)")
    add("--output", "-o", type=Path, help="write here instead of stdout")
    parser.set_defaults(
        env_upstreams=default_list("UPSTREAMS"),
        env_audiences=default_list("JWT_AUDIENCES"),
        env_cors_origins=default_list("CORS_ORIGINS", GATEWAY_DEFAULTS["cors_allowed_origins"]),
        env_public_path_prefixes=default_list("PUBLIC_PATH_PREFIXES"),
    )
    return parser


def config_from_args(args: argparse.Namespace) -> GatewayConfig:
    """Build a GatewayConfig from parsed arguments (flags win over the environment)."""
    specs = args.upstreams or args.env_upstreams
    if not specs:
        raise ValueError(f"name at least one --upstream (or set {ENV_PREFIX}UPSTREAMS)")
    if not args.jwt_issuer:
        raise ValueError(f"--jwt-issuer (or {ENV_PREFIX}JWT_ISSUER) is required")
    jwt = JwtConfig(
        issuer=args.jwt_issuer,
        audiences=tuple(args.jwt_audiences or args.env_audiences),
        jwks_file=args.jwks_file or None,
        jwks_uri=args.jwks_uri or None,
        forward_payload_header=args.forward_payload_header or None,
    )
    return GatewayConfig(
        upstreams=tuple(parse_upstream(spec) for spec in specs),
        descriptor_path=args.descriptor,
        jwt=jwt,
        listen_address=args.listen_address,
        listen_port=int(args.listen_port),
        admin_address=args.admin_address,
        admin_port=int(args.admin_port),
        dns_discovery=args.dns_discovery,
        cors_allowed_origins=tuple(args.cors_origins or args.env_cors_origins),
        rate_limit_tokens_per_second=int(args.rate_limit_rps),
        rate_limit_burst=int(args.rate_limit_burst),
        request_timeout_seconds=float(args.request_timeout),
        max_request_bytes=int(args.max_request_bytes),
        public_path_prefixes=tuple(args.public_path_prefixes or args.env_public_path_prefixes),
        healthz_min_healthy_percent=float(args.healthz_min_healthy_percent),
        stats_port=int(args.stats_port) if args.stats_port else None,
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Render the config named by flags and environment to stdout or --output; 2 on bad settings."""
    environ = os.environ if env is None else env
    try:
        parser = build_parser(environ)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    text = json.dumps(render(cfg), indent=2) + "\n" if args.format == "json" else render_yaml(cfg)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
