"""NetworkPolicies: deny everything, then allow exactly the flows the suite needs."""

from __future__ import annotations

from deploy import catalogue as c
from deploy.workloads import COMPONENT, NAME, Obj, labels, meta

MONITORING_NAMESPACE = "monitoring"  # where Prometheus runs (its pods may scrape :9101)


def policy(
    name: str, pod_selector: Obj, *, ingress: list[Obj] | None = None, egress: list[Obj] | None = None
) -> Obj:
    """A NetworkPolicy; a direction listed with no rules denies that direction for the selected pods."""
    types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec: Obj = {"podSelector": pod_selector, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, labels(name, "network-policy")),
        "spec": spec,
    }


def tcp(*ports: int) -> list[Obj]:
    """TCP port entries."""
    return [{"protocol": "TCP", "port": port} for port in ports]


def pods(name: str, component: str) -> Obj:
    """A peer: pods of one workload in this namespace."""
    return {"podSelector": {"matchLabels": {NAME: name, COMPONENT: component}}}


def monitoring() -> Obj:
    """A peer: every pod of the namespace Prometheus runs in."""
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}


def common_policies() -> list[Obj]:
    """Default deny in both directions for every pod of the namespace, and DNS for all of them."""
    return [
        policy("default-deny", {}, ingress=[], egress=[]),
        policy(
            "allow-dns",
            {},
            egress=[
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        ),
    ]


def service_policies(svc: c.DeployedService, callers: list[str]) -> list[Obj]:
    """Ingress to the gRPC pods (gateway, callers), metrics scrapes of every pod, egress of every pod."""
    from_peers = [pods("gateway", "gateway"), *(pods(caller, "grpc") for caller in callers)]
    ingress = [{"from": from_peers, "ports": tcp(c.GRPC_PORT)}]
    scrapes = [{"from": [monitoring()], "ports": tcp(c.METRICS_PORT)}]
    # PostgreSQL and Redis are managed services outside the cluster in production: allowed by port (narrow
    # to their CIDRs with an overlay patch when they are known). 443 is the identity provider's JWKS.
    egress = [
        {"ports": tcp(c.POSTGRES_PORT, c.REDIS_PORT)},
        {"ports": tcp(c.HTTPS_PORT)},
    ]
    if svc.options.calls:
        egress.append(
            {"to": [pods(callee, "grpc") for callee in svc.options.calls], "ports": tcp(c.GRPC_PORT)}
        )
    return [
        policy(
            f"{svc.name}-grpc-ingress", {"matchLabels": {NAME: svc.name, COMPONENT: "grpc"}}, ingress=ingress
        ),
        policy(f"{svc.name}-metrics-ingress", {"matchLabels": {NAME: svc.name}}, ingress=scrapes),
        policy(f"{svc.name}-egress", {"matchLabels": {NAME: svc.name}}, egress=egress),
    ]


def gateway_policies(services: tuple[c.DeployedService, ...]) -> list[Obj]:
    """Anyone may reach the gateway's listener; the gateway reaches the services and the JWKS."""
    selected = {"matchLabels": {NAME: "gateway", COMPONENT: "gateway"}}
    return [
        policy(
            "gateway-ingress",
            selected,
            ingress=[
                {"ports": tcp(c.GATEWAY_PORT)},
                {"from": [monitoring()], "ports": tcp(c.GATEWAY_STATS_PORT)},
            ],
        ),
        policy(
            "gateway-egress",
            selected,
            egress=[
                {"to": [pods(svc.name, "grpc") for svc in services], "ports": tcp(c.GRPC_PORT)},
                {"ports": tcp(c.HTTPS_PORT)},
            ],
        ),
    ]


def beat_policies() -> list[Obj]:
    """Beat talks to Redis only."""
    return [policy("beat-egress", {"matchLabels": {NAME: "beat"}}, egress=[{"ports": tcp(c.REDIS_PORT)}])]
