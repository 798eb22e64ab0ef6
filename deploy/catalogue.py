"""What gets deployed: every service of `aigym_platform.devstack.services.SERVICES`, and what differs.

A new service needs nothing here unless it differs from the defaults (queues, sizes, whom it calls): add its
`ServiceSpec` to SERVICES (the dev stack needs it anyway), then run `python deploy/render.py`. Relays and
workers follow the event registry, as in the dev stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigym_platform.devstack.services import SERVICES, ServiceSpec
from aigym_platform.events.registry import REGISTRY
from aigym_platform.jobs.queues import events_queue, jobs_queue

PART_OF = "aigym"
IMAGE_PREFIX = "aigym"  # images: aigym/<service>, aigym/<service>-worker, aigym/beat, aigym/gateway
UID = 10001  # the images' numeric user (deploy/Dockerfile)

# Ports are the same in every pod (each pod has its own IP); the dev stack's per-service ports are local only.
GRPC_PORT = 50051
METRICS_PORT = 9101
GATEWAY_PORT = 8080
GATEWAY_ADMIN_PORT = 9901  # loopback only
GATEWAY_STATS_PORT = 9102  # GET /stats/prometheus only (aigym_gateway.stats)
POSTGRES_PORT = 5432
REDIS_PORT = 6379
HTTPS_PORT = 443  # the identity provider's JWKS

# Shutdown of a gRPC pod: preStop sleep (endpoints and Envoy's 5 s DNS refresh catch up while the pod still
# serves), then SIGTERM: NOT_SERVING for DRAIN seconds, then in-flight calls get GRACE seconds.
PRESTOP_SECONDS = 15
SHUTDOWN_DRAIN_SECONDS = 2
SHUTDOWN_GRACE_SECONDS = 10
TERMINATION_GRACE_SECONDS = 35  # > PRESTOP + DRAIN + GRACE, with margin for the interpreter to exit

# Entry points of aigym_platform.jobs (Celery worker, RedBeat beat) and aigym_platform.events (outbox relay).
WORKER_MODULE = "aigym_platform.jobs.worker"  # --service NAME --tasks MODULE [--queues Q,...]
BEAT_MODULE = "aigym_platform.jobs.beat"  # --schedules MODULE (repeatable); any number run, one ticks
RELAY_MODULE = "aigym_platform.events.relay"  # --service NAME; several may run, one works
WORKER_TERMINATION_GRACE_SECONDS = 120  # warm shutdown lets running tasks finish (acks_late covers the rest)

# Secrets, referenced by name only (never committed): see deploy/README.md "Secrets".
REDIS_SECRET = "aigym-redis"  # noqa: S105 - Secret names, not secrets
SERVICE_TOKENS_SECRET = "aigym-service-tokens"  # noqa: S105 - signing-key.pem + jwks.json (service-to-service tokens)
USER_JWKS_SECRET = "aigym-user-jwks"  # noqa: S105 - optional jwks.json when the IdP's keys come as a file (dev)
PLATFORM_CONFIG = "aigym-config"  # ConfigMap generated per overlay from aigym.env (identity, environment)
GATEWAY_CONFIG = "gateway-envoy"  # ConfigMap generated per overlay from rendered/envoy.yaml
SERVICE_TOKENS_DIR = "/var/run/secrets/aigym/service-tokens"
USER_JWKS_DIR = "/var/run/secrets/aigym/user-jwks"
DESCRIPTOR_PATH = "/app/gateway/aigym_gateway/descriptors.binpb"  # inside the gateway image


@dataclass(frozen=True)
class Resources:
    """Requests and limits of one container."""

    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str

    def as_k8s(self) -> dict[str, dict[str, str]]:
        """The container's `resources` block."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


SERVICE_RESOURCES = Resources("250m", "256Mi", "1", "512Mi")  # one asyncio process: one core is its ceiling
WORKER_RESOURCES = Resources("250m", "256Mi", "1", "768Mi")
SMALL_RESOURCES = Resources("50m", "128Mi", "250m", "256Mi")  # beat, relay, init containers, migrations
GATEWAY_RESOURCES = Resources("250m", "128Mi", "2", "512Mi")


@dataclass(frozen=True)
class Scaling:
    """HPA bounds and the CPU utilisation it aims at (base values; overlays patch them)."""

    min_replicas: int = 2
    max_replicas: int = 10
    cpu_utilization: int = 70


@dataclass(frozen=True)
class DeployOptions:
    """How one service differs from the defaults when deployed."""

    # One worker Deployment + HPA per queue (aigym.<service>.<queue>): events never wait behind jobs.
    queues: tuple[str, ...] = ("events", "jobs")
    # None: as the event registry says (aigym_platform.events.registry, like the dev stack): a relay for a
    # producer; workers (aigym_<service>.tasks, also beat's --schedules) for a consumer.
    produces_events: bool | None = None
    has_tasks: bool | None = None
    calls: tuple[str, ...] = ()  # services it calls over gRPC (NetworkPolicy egress/ingress)
    resources: Resources = SERVICE_RESOURCES
    scaling: Scaling = field(default_factory=Scaling)
    worker_scaling: Scaling = field(default_factory=lambda: Scaling(min_replicas=1, max_replicas=5))
    # Optional settings read from Secrets by its server and workers: (variable, Secret, key). A missing
    # Secret leaves the setting at its default (e.g. no SMTP: e-mail deliveries fail and are logged).
    secrets: tuple[tuple[str, str, str], ...] = ()


SMTP_SECRET = "aigym-smtp"  # noqa: S105 - Secret names, not secrets
ISSUER_KEY_SECRET = "aigym-achievements-issuer-key"  # noqa: S105
SMTP_URL = ("AIGYM_SMTP_URL", SMTP_SECRET, "url")


# One entry per service that needs more than the defaults.
OPTIONS: dict[str, DeployOptions] = {
    "programs": DeployOptions(),
    # Calls programs (the path validator); consumes learner_upserted (its managers' teams).
    "progress": DeployOptions(calls=("programs",)),
    # Reports by e-mail; reminders by e-mail; issuer keys encrypted at rest with the passphrase.
    "analytics": DeployOptions(secrets=(SMTP_URL,)),
    "calendar": DeployOptions(secrets=(SMTP_URL,)),
    "achievements": DeployOptions(
        secrets=(("AIGYM_ISSUER_KEY_PASSPHRASE", ISSUER_KEY_SECRET, "passphrase"),)
    ),
}


@dataclass(frozen=True)
class DeployedService:
    """A service as Kubernetes runs it."""

    spec: ServiceSpec
    options: DeployOptions

    @property
    def name(self) -> str:
        """Short name: Deployment, headless Service, ServiceAccount and database are named after it."""
        return self.spec.name

    @property
    def image(self) -> str:
        """Image of the gRPC server, its migrations and its relay (the Dockerfile's `service` target)."""
        return f"{IMAGE_PREFIX}/{self.name}"

    @property
    def worker_image(self) -> str:
        """Image of its Celery workers (the Dockerfile's `worker` target)."""
        return f"{IMAGE_PREFIX}/{self.name}-worker"

    @property
    def produces_events(self) -> bool:
        """Whether it gets an outbox relay."""
        if self.options.produces_events is not None:
            return self.options.produces_events
        return self.name in REGISTRY.producers()

    @property
    def has_tasks(self) -> bool:
        """Whether it gets Celery workers (and beat loads its schedules)."""
        if self.options.has_tasks is not None:
            return self.options.has_tasks
        return self.name in REGISTRY.consumers() or self.spec.jobs

    @property
    def tasks_module(self) -> str:
        """Module with `register(app, jobs)` and `SCHEDULES` (worker --tasks, beat --schedules)."""
        return f"{self.spec.module}.tasks"

    def queue_name(self, queue: str) -> str:
        """The Celery queue behind a short queue name (aigym_platform.jobs.queues)."""
        names = {"events": events_queue(self.name), "jobs": jobs_queue(self.name)}
        if queue not in names:
            raise ValueError(f"{self.name}: unknown queue {queue!r}; known: {sorted(names)}")
        return names[queue]

    @property
    def database_secret(self) -> str:
        """Secret with `url`: the app role's URL (runtime)."""
        return f"aigym-{self.name}-database"

    @property
    def migration_secret(self) -> str:
        """Secret with `url`: the owner role's URL (migrations only)."""
        return f"aigym-{self.name}-migration-database"

    @property
    def app_role(self) -> str:
        """Database role the migrations grant rights to (as `aigym_platform.provisioning` names it)."""
        return f"aigym_{self.name}_app"


def deployed_services() -> tuple[DeployedService, ...]:
    """Every service, in SERVICES order."""
    unknown = set(OPTIONS) - {spec.name for spec in SERVICES}
    if unknown:
        raise ValueError(f"deploy options for services not in SERVICES: {sorted(unknown)}")
    return tuple(DeployedService(spec, OPTIONS.get(spec.name, DeployOptions())) for spec in SERVICES)
