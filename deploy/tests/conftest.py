"""Fixtures of the deployment tests: every kustomization rendered once per session."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate.utils
import pytest

from deploy.kustomize import build

K8S = Path(__file__).resolve().parent.parent / "k8s"
KUSTOMIZATIONS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Objects of the base and of each overlay, rendered by the built-in kustomize subset."""
    return {name: build(path) for name, path in KUSTOMIZATIONS.items()}


@pytest.fixture(scope="session", autouse=True)
def cached_kubernetes_schemas() -> Iterator[None]:
    """kubernetes-validate re-reads its 2 MB schema files for every object; they never change: read once."""
    original = kubernetes_validate.utils.schema_contents
    kubernetes_validate.utils.schema_contents = functools.cache(original)
    yield
    kubernetes_validate.utils.schema_contents = original
