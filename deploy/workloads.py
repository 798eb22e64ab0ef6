"""Kubernetes objects of the base, as plain dicts: Deployments, Services, HPAs, PDBs, migration Jobs."""

from __future__ import annotations

from typing import Any

from aigym_platform.devstack.services import target_variable
from deploy import catalogue as c

Obj = dict[str, Any]

NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
QUEUE = "aigym.io/queue"


def labels(name: str, component: str, **extra: str) -> dict[str, str]:
    """Recommended labels of every object and pod."""
    return {NAME: name, COMPONENT: component, "app.kubernetes.io/part-of": c.PART_OF, **extra}


def selector(name: str, component: str, **extra: str) -> dict[str, str]:
    """The (immutable) selector of a workload: never includes labels that may change."""
    return {NAME: name, COMPONENT: component, **extra}


def meta(name: str, object_labels: dict[str, str], **annotations: str) -> Obj:
    """metadata with labels (and annotations when given)."""
    result: Obj = {"name": name, "labels": object_labels}
    if annotations:
        result["annotations"] = annotations
    return result


POD_SECURITY: Obj = {
    "runAsNonRoot": True,
    "runAsUser": c.UID,
    "runAsGroup": c.UID,
    "fsGroup": c.UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY: Obj = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
SCRAPE = {"prometheus.io/scrape": "true", "prometheus.io/port": str(c.METRICS_PORT)}
TMP_MOUNT: Obj = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108 - the only writable path (emptyDir)
TMP_VOLUME: Obj = {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
TOKENS_MOUNT: Obj = {"name": "service-tokens", "mountPath": c.SERVICE_TOKENS_DIR, "readOnly": True}
TOKENS_VOLUME: Obj = {
    "name": "service-tokens",
    "secret": {"secretName": c.SERVICE_TOKENS_SECRET, "defaultMode": 0o440},
}
USER_JWKS_MOUNT: Obj = {"name": "user-jwks", "mountPath": c.USER_JWKS_DIR, "readOnly": True}
USER_JWKS_VOLUME: Obj = {
    "name": "user-jwks",
    "secret": {"secretName": c.USER_JWKS_SECRET, "defaultMode": 0o440, "optional": True},
}


def env(name: str, value: str) -> Obj:
    """A literal environment variable."""
    return {"name": name, "value": value}


def secret_env(name: str, secret: str, key: str = "url") -> Obj:
    """An environment variable read from a Secret (referenced by name; never committed)."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def optional_secret_env(name: str, secret: str, key: str) -> Obj:
    """An environment variable from a Secret that may be absent (the setting keeps its default then)."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key, "optional": True}}}


def service_secret_env(svc: c.DeployedService) -> list[Obj]:
    """The service's optional Secret-backed settings (SMTP, key passphrases), for its server and workers."""
    return [optional_secret_env(name, secret, key) for name, secret, key in svc.options.secrets]


def platform_env(service: str) -> list[Obj]:
    """What every Python process of a service gets besides the per-overlay aigym-config."""
    return [
        env("AIGYM_SERVICE_NAME", service),
        secret_env("AIGYM_REDIS_URL", c.REDIS_SECRET),
        env("AIGYM_SERVICE_SIGNING_KEY_FILE", f"{c.SERVICE_TOKENS_DIR}/signing-key.pem"),
        env("AIGYM_SERVICE_JWKS_FILE", f"{c.SERVICE_TOKENS_DIR}/jwks.json"),
    ]


def container(
    name: str,
    image: str,
    command: list[str],
    resources: c.Resources,
    *,
    env_vars: list[Obj],
    mounts: list[Obj],
    ports: list[Obj] | None = None,
    with_platform_config: bool = True,
    **extra: Any,
) -> Obj:
    """A container with the restricted security context, /tmp and resources set."""
    # IfNotPresent: prod pins immutable tags; dev runs untagged images loaded into the cluster (kind load).
    result: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "command": command}
    if ports:
        result["ports"] = ports
    if env_vars:
        result["env"] = env_vars
    if with_platform_config:
        result["envFrom"] = [{"configMapRef": {"name": c.PLATFORM_CONFIG}}]
    result.update(extra)
    result["resources"] = resources.as_k8s()
    result["securityContext"] = CONTAINER_SECURITY
    result["volumeMounts"] = [TMP_MOUNT, *mounts]
    return result


def spread(match: dict[str, str]) -> list[Obj]:
    """Spread replicas over zones and nodes (soft: a small cluster still schedules them)."""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": match},
            "matchLabelKeys": ["pod-template-hash"],
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


def pod_spec(
    service_account: str,
    containers: list[Obj],
    *,
    termination_grace: int,
    match: dict[str, str] | None,
    volumes: list[Obj],
    init_containers: list[Obj] | None = None,
    **extra: Any,
) -> Obj:
    """A pod spec: own ServiceAccount without a token, restricted security, /tmp, spread when replicated."""
    spec: Obj = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": termination_grace,
        "securityContext": POD_SECURITY,
    }
    if match is not None:
        spec["topologySpreadConstraints"] = spread(match)
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    spec["volumes"] = [TMP_VOLUME, *volumes]
    spec.update(extra)
    return spec


def deployment(
    name: str,
    object_labels: dict[str, str],
    match: dict[str, str],
    spec: Obj,
    *,
    replicas: int | None,
    max_surge: str | int = "25%",
    pod_annotations: dict[str, str] | None = None,
) -> Obj:
    """A Deployment that never drops below its replica count during a rollout (maxUnavailable 0).

    `replicas` is None when an HPA owns the count (re-applying the manifest must not reset it).
    """
    template_meta: Obj = {"labels": object_labels}
    if pod_annotations:
        template_meta["annotations"] = pod_annotations
    body: Obj = {
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": 600,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": 0}},
        "selector": {"matchLabels": match},
        "template": {"metadata": template_meta, "spec": spec},
    }
    if replicas is not None:
        body = {"replicas": replicas, **body}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, object_labels),
        "spec": body,
    }


def hpa(name: str, object_labels: dict[str, str], scaling: c.Scaling) -> Obj:
    """CPU-based autoscaling/v2 HPA: quick to add pods, slow (one per minute) to remove them."""
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, object_labels),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization},
                    },
                }
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 30}],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                },
            },
        },
    }


def pdb(name: str, object_labels: dict[str, str], match: dict[str, str]) -> Obj:
    """At most one pod of the workload evicted at a time; crash-looping pods never block a node drain."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, object_labels),
        "spec": {
            "maxUnavailable": 1,
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {"matchLabels": match},
        },
    }


def service_account(name: str, object_labels: dict[str, str]) -> Obj:
    """A ServiceAccount whose token is never mounted (no pod here talks to the Kubernetes API)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(name, object_labels),
        "automountServiceAccountToken": False,
    }


def grpc_probe(period: int, failures: int) -> Obj:
    """Native gRPC health probe (grpc.health.v1, overall status) on the numeric gRPC port."""
    return {
        "grpc": {"port": c.GRPC_PORT},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def wait_for_schema(svc: c.DeployedService) -> Obj:
    """Init container: block until the database is at this image's migration head (app role suffices)."""
    return container(
        "wait-for-migrations",
        svc.image,
        ["python", "-m", "aigym_platform.migrate_cli", "--service", svc.name, "--check", "--wait", "600"],
        c.SMALL_RESOURCES,
        env_vars=[secret_env("AIGYM_DATABASE_URL", svc.database_secret)],
        mounts=[],
    )


def grpc_service_objects(svc: c.DeployedService) -> list[Obj]:
    """The gRPC server of one service: Deployment, headless Service, HPA and PDB."""
    name = svc.name
    object_labels, match = labels(name, "grpc"), selector(name, "grpc")
    server = container(
        name,
        svc.image,
        ["python", "-m", svc.spec.module],
        svc.options.resources,
        env_vars=[
            *platform_env(name),
            env("AIGYM_GRPC_HOST", "0.0.0.0"),
            env("AIGYM_GRPC_PORT", str(c.GRPC_PORT)),
            env("AIGYM_METRICS_PORT", str(c.METRICS_PORT)),
            env("AIGYM_SHUTDOWN_DRAIN_SECONDS", str(c.SHUTDOWN_DRAIN_SECONDS)),
            env("AIGYM_SHUTDOWN_GRACE_SECONDS", str(c.SHUTDOWN_GRACE_SECONDS)),
            secret_env("AIGYM_DATABASE_URL", svc.database_secret),
            *service_secret_env(svc),
            *(env(target_variable(callee), f"dns:///{callee}:{c.GRPC_PORT}") for callee in svc.options.calls),
        ],
        mounts=[TOKENS_MOUNT, USER_JWKS_MOUNT],
        ports=[
            {"name": "grpc", "containerPort": c.GRPC_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": c.METRICS_PORT, "protocol": "TCP"},
        ],
        startupProbe=grpc_probe(period=2, failures=60),
        readinessProbe=grpc_probe(period=5, failures=2),
        livenessProbe=grpc_probe(period=10, failures=3),
        lifecycle={"preStop": {"sleep": {"seconds": c.PRESTOP_SECONDS}}},
    )
    spec = pod_spec(
        name,
        [server],
        termination_grace=c.TERMINATION_GRACE_SECONDS,
        match=match,
        volumes=[TOKENS_VOLUME, USER_JWKS_VOLUME],
        init_containers=[wait_for_schema(svc)],
    )
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, object_labels),
        "spec": {
            # Headless: DNS returns every ready pod, so Envoy (STRICT_DNS) and gRPC clients (round_robin)
            # balance per request instead of pinning one HTTP/2 connection to one pod.
            "clusterIP": "None",
            "selector": match,
            "ports": [
                {
                    "name": "grpc",
                    "port": c.GRPC_PORT,
                    "targetPort": c.GRPC_PORT,
                    "protocol": "TCP",
                    "appProtocol": "kubernetes.io/h2c",
                }
            ],
        },
    }
    return [
        deployment(name, object_labels, match, spec, replicas=None, pod_annotations=SCRAPE),
        headless,
        hpa(name, object_labels, svc.options.scaling),
        pdb(name, object_labels, match),
    ]


def worker_objects(svc: c.DeployedService, queue: str) -> list[Obj]:
    """A Celery worker Deployment for one queue of the service, with its own HPA and PDB."""
    name = f"{svc.name}-worker-{queue}"
    object_labels = labels(svc.name, "worker", **{QUEUE: queue})
    match = selector(svc.name, "worker", **{QUEUE: queue})
    worker = container(
        "worker",
        svc.worker_image,
        [
            *("python", "-m", c.WORKER_MODULE, "--service", svc.name, "--tasks", svc.tasks_module),
            *("--queues", svc.queue_name(queue)),
        ],
        c.WORKER_RESOURCES,
        env_vars=[
            *platform_env(svc.name),
            secret_env("AIGYM_DATABASE_URL", svc.database_secret),
            *service_secret_env(svc),
            env("AIGYM_METRICS_PORT", str(c.METRICS_PORT)),
            # Event handlers are short and database-bound: one task at a time per process (solo pool) costs
            # the least CPU per event (no GIL contention between task threads); scale with replicas.
            *([env("AIGYM_CELERY_POOL", "solo")] if queue == "events" else []),
        ],
        mounts=[TOKENS_MOUNT, USER_JWKS_MOUNT],
        ports=[{"name": "metrics", "containerPort": c.METRICS_PORT, "protocol": "TCP"}],
    )
    spec = pod_spec(
        svc.name,
        [worker],
        termination_grace=c.WORKER_TERMINATION_GRACE_SECONDS,
        match=match,
        volumes=[TOKENS_VOLUME, USER_JWKS_VOLUME],
        init_containers=[wait_for_schema(svc)],
    )
    return [
        deployment(name, object_labels, match, spec, replicas=None, pod_annotations=SCRAPE),
        hpa(name, object_labels, svc.options.worker_scaling),
        pdb(name, object_labels, match),
    ]


def relay_objects(svc: c.DeployedService) -> list[Obj]:
    """The outbox relay of a producing service: two replicas, one publishes, the other waits its turn."""
    name = f"{svc.name}-relay"
    object_labels, match = labels(svc.name, "relay"), selector(svc.name, "relay")
    relay = container(
        "relay",
        svc.image,
        ["python", "-m", c.RELAY_MODULE, "--service", svc.name],
        c.SMALL_RESOURCES,
        env_vars=[
            *platform_env(svc.name),
            secret_env("AIGYM_DATABASE_URL", svc.database_secret),
            env("AIGYM_METRICS_PORT", str(c.METRICS_PORT)),
        ],
        mounts=[TOKENS_MOUNT],
        ports=[{"name": "metrics", "containerPort": c.METRICS_PORT, "protocol": "TCP"}],
    )
    spec = pod_spec(
        svc.name,
        [relay],
        termination_grace=30,
        match=match,
        volumes=[TOKENS_VOLUME],
        init_containers=[wait_for_schema(svc)],
    )
    return [
        deployment(name, object_labels, match, spec, replicas=2, max_surge=1, pod_annotations=SCRAPE),
        pdb(name, object_labels, match),
    ]


def migration_job(svc: c.DeployedService) -> Obj:
    """The Job that migrates the service's database as the owner role before its pods roll.

    Argo CD runs it as a PreSync hook (recreated each sync); with plain kubectl it is applied and awaited
    first (deploy/README.md). The service's init container waits for the schema either way.
    """
    name = f"{svc.name}-migrate"
    object_labels = labels(svc.name, "migrate")
    migrate = container(
        "migrate",
        svc.image,
        ["python", "-m", "aigym_platform.migrate_cli", "--service", svc.name],
        c.SMALL_RESOURCES,
        env_vars=[
            secret_env("AIGYM_MIGRATION_DATABASE_URL", svc.migration_secret),
            env("AIGYM_APP_ROLE", svc.app_role),
        ],
        mounts=[],
    )
    spec = pod_spec(svc.name, [migrate], termination_grace=30, match=None, volumes=[], restartPolicy="Never")
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(
            name,
            object_labels,
            **{
                "argocd.argoproj.io/hook": "PreSync",
                "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
            },
        ),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 3600,
            "template": {"metadata": {"labels": object_labels}, "spec": spec},
        },
    }


def beat_objects(services: tuple[c.DeployedService, ...]) -> list[Obj]:
    """Celery beat: two replicas, one ticking at a time under the RedBeat lock in Redis."""
    name = "beat"
    object_labels, match = labels(name, "beat"), selector(name, "beat")
    schedules = [arg for svc in services if svc.has_tasks for arg in ("--schedules", svc.tasks_module)]
    beat = container(
        "beat",
        f"{c.IMAGE_PREFIX}/beat",
        ["python", "-m", c.BEAT_MODULE, *schedules],
        c.SMALL_RESOURCES,
        env_vars=[env("AIGYM_SERVICE_NAME", "beat"), secret_env("AIGYM_REDIS_URL", c.REDIS_SECRET)],
        mounts=[],
    )
    spec = pod_spec(name, [beat], termination_grace=30, match=match, volumes=[])
    return [
        service_account(name, object_labels),
        deployment(name, object_labels, match, spec, replicas=2, max_surge=1),
        pdb(name, object_labels, match),
    ]
