"""Fixtures of the deployment tests: every kustomization rendered once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deploy.kustomize import build

K8S = Path(__file__).resolve().parent.parent / "k8s"
KUSTOMIZATIONS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Objects of the base and of each overlay, rendered by the built-in kustomize subset."""
    return {name: build(path) for name, path in KUSTOMIZATIONS.items()}
