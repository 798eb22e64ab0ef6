"""The optional stats listener: Prometheus reads Envoy's stats while the admin interface stays on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aigym_gateway.__main__ import main as cli_main
from aigym_gateway.config import (
    GatewayConfig,
    JwtConfig,
    UpstreamService,
    default_descriptor_path,
    render_yaml,
)
from aigym_gateway.stats import STATS_CLUSTER, STATS_PATH
from aigym_platform.devstack.envoy import envoy_process
from aigym_platform.devstack.ports import free_port, wait_for_port
from aigym_platform.tokens import generate_signing_key, write_jwks

PROGRAMS = "aigym.programs.v1.ProgramsService"


def config(tmp_path: Path, **overrides: object) -> GatewayConfig:
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, [generate_signing_key("stats-test")])
    fields: dict[str, object] = {
        "upstreams": (UpstreamService("programs", (PROGRAMS,), "127.0.0.1", free_port()),),
        "descriptor_path": default_descriptor_path(),
        "jwt": JwtConfig(issuer="aigym-dev", audiences=("aigym",), jwks_file=str(jwks)),
        "listen_port": free_port(),
        "admin_port": free_port(),
        **overrides,
    }
    return GatewayConfig(**fields)  # type: ignore[arg-type]


def test_stats_port_must_not_clash_with_the_other_ports(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    with pytest.raises(ValueError, match="stats_port must differ"):
        config(tmp_path, admin_port=cfg.admin_port, stats_port=cfg.admin_port)


def test_cli_adds_the_stats_listener_only_when_asked(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, [generate_signing_key("stats-cli")])
    argv = ["--upstream", "programs=127.0.0.1:50051", "--jwt-issuer", "i", "--jwt-audience", "a"]
    argv += ["--jwks-file", str(jwks), "--format", "json", "--output"]
    assert cli_main([*argv, str(tmp_path / "plain.json")], env={}) == 0
    assert cli_main([*argv, str(tmp_path / "stats.json")], env={"AIGYM_GATEWAY_STATS_PORT": "9102"}) == 0

    assert '"stats"' not in (tmp_path / "plain.json").read_text()
    assert '"port_value": 9102' in (tmp_path / "stats.json").read_text()


def test_envoy_serves_prometheus_stats_and_nothing_else_of_the_admin_api(tmp_path: Path) -> None:
    cfg = config(tmp_path, stats_port=free_port())
    path = tmp_path / "envoy.yaml"
    path.write_text(render_yaml(cfg))
    envoy = envoy_process(path, log_file=tmp_path / "envoy.log")
    with envoy:
        assert cfg.stats_port is not None
        wait_for_port("127.0.0.1", cfg.stats_port, timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{cfg.stats_port}", timeout=5) as client:
            stats = client.get(STATS_PATH)
            assert stats.status_code == 200
            assert "envoy_cluster_upstream_rq_total" in stats.text or "envoy_server_live" in stats.text
            assert client.post("/quitquitquit").status_code == 404
            assert client.post(STATS_PATH).status_code == 404
            assert client.get("/clusters").status_code == 404
        assert envoy.is_running()
    assert STATS_CLUSTER == "envoy_admin"
