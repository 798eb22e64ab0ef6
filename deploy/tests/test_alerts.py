"""The PrometheusRule: every alert reads metrics that exist and is explained in deploy/README.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import aigym_platform.events.metrics
import aigym_platform.metrics  # registers the RPC metrics
from deploy.kustomize import build

MONITORING = Path(__file__).resolve().parent.parent / "k8s" / "monitoring"
README = Path(__file__).resolve().parent.parent / "README.md"
# Envoy 1.40 names as its /stats/prometheus prints them for the rendered gateway (checked against a running
# gateway; the gRPC per-code counters are envoy_cluster_grpc_<code>).
ENVOY_METRICS = {
    "envoy_cluster_membership_healthy",
    "envoy_http_downstream_rq_xx",
    "envoy_http_downstream_rq_total",
    "envoy_cluster_grpc_total",
    "envoy_http_local_rate_limit_rate_limited",
}
KUBE_STATE_METRICS = {
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_job_status_failed",
    "kube_pod_container_status_restarts_total",
}
LABELS = re.compile(r"\{[^}]*\}|\b(?:by|without)\s*\([^)]*\)")  # matchers and groupings name labels
METRIC = re.compile(r"\b(?:aigym|envoy|kube)_[A-Za-z0-9_]+")


def rules() -> list[dict[str, Any]]:
    [rule_set] = build(MONITORING)
    assert rule_set["metadata"]["namespace"] == "aigym"
    return [rule for group in rule_set["spec"]["groups"] for rule in group["rules"]]


def aigym_metric_names() -> set[str]:
    aigym_platform.events.metrics.OUTBOX_BACKLOG.labels("probe")  # labelled metrics print samples once used
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    names.update(f"{n}_total" for n in list(names))  # counters without samples yet
    names.update(f"{n}_{suffix}" for n in list(names) for suffix in ("bucket", "sum", "count"))
    return {name for name in names if name.startswith("aigym_")}


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: str(rule["alert"]))
def test_alert_reads_known_metrics_and_is_documented(rule: dict[str, Any]) -> None:
    expression = LABELS.sub("", rule["expr"])
    used = set(METRIC.findall(expression))
    assert used, "every alert reads at least one metric"
    known = aigym_metric_names() | ENVOY_METRICS | KUBE_STATE_METRICS
    assert used <= known, used - known
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert rule["annotations"]["summary"]
    assert rule["annotations"]["description"]
    assert f"`{rule['alert']}`" in README.read_text(), "explain the alert in deploy/README.md"
