"""A small kustomize for the subset of features deploy/k8s uses, so the overlays render without kubectl.

Supported in a kustomization.yaml: `resources` (files and directories), `namespace`, `configMapGenerator`
(`files`, `envs`, `literals`; hash suffix as kustomize v5 computes it, references in pod templates
rewritten), `patches` with JSON 6902 operations (add, replace, remove; inline or from a file) selected by
`target` kind/name/labelSelector, and `images` (newName, newTag, digest). Anything else is refused, so a
manifest change that needs more fails loudly here; tests compare the result with `kubectl kustomize`
wherever kubectl exists.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "configMapGenerator", "patches", "images"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not support, or is wrong."""


def build(directory: Path) -> list[Obj]:
    """Render the kustomization in `directory` into a list of objects (kustomize build semantics)."""
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory} has no kustomization.yaml")
    spec = yaml.safe_load(path.read_text()) or {}
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{path}: fields not supported by deploy/kustomize.py: {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        target = directory / entry
        objects += build(target) if target.is_dir() else load_documents(target)
    renames: dict[str, str] = {}
    for generator in spec.get("configMapGenerator", []):
        config_map = generate_config_map(directory, generator)
        objects.append(config_map)
    for patch in spec.get("patches", []):
        apply_patch(directory, objects, patch)
    namespace = spec.get("namespace")
    if namespace:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    for image in spec.get("images", []):
        set_image(objects, image)
    for obj in objects:
        if obj.pop("__needs_hash__", False):
            original = obj["metadata"]["name"]
            obj["metadata"]["name"] = f"{original}-{config_map_hash(obj)}"
            renames[original] = obj["metadata"]["name"]
    rewrite_config_map_references(objects, renames)
    check_unique(objects)
    return objects


def load_documents(path: Path) -> list[Obj]:
    """Every non-empty YAML document of a file (YAML aliases become copies, so a patch changes one place)."""
    return [copy.deepcopy(doc) for doc in yaml.safe_load_all(path.read_text()) if doc]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (kustomize `envs` semantics: blank lines and # comments skipped, no quoting)."""
    result: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key:
            raise KustomizeError(f"{path}:{number}: expected KEY=VALUE")
        result[key] = value
    return result


def generate_config_map(directory: Path, generator: Obj) -> Obj:
    """A ConfigMap from `files`, `envs` and `literals`, marked for a hash suffix."""
    allowed = {"name", "files", "envs", "literals", "options"}
    if set(generator) - allowed or set(generator.get("options", {})) - {"disableNameSuffixHash"}:
        raise KustomizeError(f"configMapGenerator {generator.get('name')}: unsupported fields")
    data: dict[str, str] = {}
    for env_file in generator.get("envs", []):
        data.update(read_env_file(directory / env_file))
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    for entry in generator.get("files", []):
        key, sep, file_name = entry.partition("=")
        if not sep:
            file_name, key = key, Path(key).name
        data[key] = (directory / file_name).read_text()
    config_map: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}}
    if data:
        config_map["data"] = dict(sorted(data.items()))
    if not generator.get("options", {}).get("disableNameSuffixHash", False):
        config_map["__needs_hash__"] = True
    return config_map


def config_map_hash(config_map: Obj) -> str:
    """kustomize's name suffix: sha256 of a JSON encoding, first 10 hex digits with 0/1/3/a/e re-lettered.

    kustomize v5 looks the name up with a path it never finds, so it hashes an empty name (checked against
    `kubectl kustomize`); Go's encoder sorts keys and escapes <, > and & as \\u003c, \\u003e, \\u0026.
    """
    encoded = json.dumps(
        {"data": config_map.get("data", {}), "kind": "ConfigMap", "name": ""},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        encoded = encoded.replace(char, escape)
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def pod_specs(objects: Iterable[Obj]) -> Iterator[Obj]:
    """The pod spec inside every workload object."""
    for obj in objects:
        path = POD_TEMPLATE_PATHS.get(obj["kind"])
        if path is None:
            continue
        node: Any = obj
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        if node:
            yield node


def containers_of(spec: Obj) -> Iterator[Obj]:
    """Init and regular containers of a pod spec."""
    yield from spec.get("initContainers", [])
    yield from spec.get("containers", [])


def rewrite_config_map_references(objects: list[Obj], renames: dict[str, str]) -> None:
    """Point volumes, envFrom and env references of pod templates at the hashed ConfigMap names."""
    if not renames:
        return
    for spec in pod_specs(objects):
        for volume in spec.get("volumes", []):
            refs = [volume.get("configMap")] + [
                source.get("configMap") for source in volume.get("projected", {}).get("sources", [])
            ]
            for ref in refs:
                if ref and ref.get("name") in renames:
                    ref["name"] = renames[ref["name"]]
        for item in containers_of(spec):
            for source in item.get("envFrom", []):
                ref = source.get("configMapRef")
                if ref and ref.get("name") in renames:
                    ref["name"] = renames[ref["name"]]
            for variable in item.get("env", []):
                ref = variable.get("valueFrom", {}).get("configMapKeyRef")
                if ref and ref.get("name") in renames:
                    ref["name"] = renames[ref["name"]]


def check_unique(objects: list[Obj]) -> None:
    """kustomize refuses two objects with the same kind, namespace and name."""
    seen: set[tuple[str, str, str]] = set()
    for obj in objects:
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"duplicate object {key}")
        seen.add(key)


# --- patches -------------------------------------------------------------------------------------------

_SELECTOR_IN = re.compile(r"^([\w./-]+)\s+in\s+\(([^)]*)\)$")


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def matches_labels(selector_text: str, object_labels: dict[str, str]) -> bool:
    """Equality (`k=v`, `k!=v`) and set (`k in (a,b)`) label selectors, comma separated."""
    for requirement in _split_selector(selector_text):
        found = _SELECTOR_IN.match(requirement)
        if found:
            values = {v.strip() for v in found.group(2).split(",")}
            if object_labels.get(found.group(1)) not in values:
                return False
        elif "!=" in requirement:
            key, value = (s.strip() for s in requirement.split("!=", 1))
            if object_labels.get(key) == value:
                return False
        elif "=" in requirement:
            key, value = (s.strip() for s in requirement.split("=", 1))
            if object_labels.get(key.rstrip("=")) != value.lstrip("="):
                return False
        else:
            raise KustomizeError(f"unsupported label selector {requirement!r}")
    return True


def matches_target(obj: Obj, target: Obj) -> bool:
    """kustomize patch targets: kind, name (a regular expression), namespace, group, version, labels."""
    unknown = set(target) - {"kind", "name", "namespace", "group", "version", "labelSelector"}
    if unknown:
        raise KustomizeError(f"patch target fields not supported: {sorted(unknown)}")
    group, _, version = obj["apiVersion"].rpartition("/")
    meta = obj["metadata"]
    checks = (
        ("kind", obj["kind"]),
        ("group", group),
        ("version", version),
        ("namespace", meta.get("namespace", "")),
    )
    for key, value in checks:
        if key in target and target[key] != value:
            return False
    if "name" in target and not re.fullmatch(target["name"], meta["name"]):
        return False
    return "labelSelector" not in target or matches_labels(target["labelSelector"], meta.get("labels", {}))


def apply_patch(directory: Path, objects: list[Obj], patch: Obj) -> None:
    """Apply one JSON 6902 patch to every object its target selects (none: nothing to do, as kustomize)."""
    if set(patch) - {"path", "patch", "target"}:
        raise KustomizeError(f"unsupported patch fields: {sorted(set(patch) - {'path', 'patch', 'target'})}")
    text = (directory / patch["path"]).read_text() if "path" in patch else patch.get("patch", "")
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise KustomizeError(
            "only JSON 6902 patches (a list of operations) are supported; no strategic merge"
        )
    if "target" not in patch:
        raise KustomizeError("JSON 6902 patches need a target")
    for obj in [obj for obj in objects if matches_target(obj, patch["target"])]:
        for operation in operations:
            apply_operation(obj, operation)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"JSON pointer {path!r} must start with /")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def apply_operation(obj: Obj, operation: Obj) -> None:
    """One RFC 6902 operation: add, replace or remove."""
    op, parts = operation.get("op"), _pointer(operation["path"])
    parent: Any = obj
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    value = copy.deepcopy(operation.get("value"))
    if op == "add":
        if isinstance(parent, list):
            parent.insert(len(parent) if last == "-" else int(last), value)
        else:
            parent[last] = value
    elif op == "replace":
        if isinstance(parent, list):
            parent[int(last)] = value
        elif last not in parent:
            raise KustomizeError(f"replace of missing {operation['path']}")
        else:
            parent[last] = value
    elif op == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    else:
        raise KustomizeError(f"unsupported JSON patch op {op!r}")


# --- images --------------------------------------------------------------------------------------------


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; a registry port is not a tag."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def set_image(objects: list[Obj], entry: Obj) -> None:
    """kustomize `images`: rename and retag (or pin by digest) every container using `entry['name']`."""
    if set(entry) - {"name", "newName", "newTag", "digest"}:
        raise KustomizeError(f"unsupported images fields in {entry}")
    for spec in pod_specs(objects):
        for item in containers_of(spec):
            name, tag, digest = split_image(item["image"])
            if name != entry["name"]:
                continue
            name = entry.get("newName", name)
            if "digest" in entry:
                item["image"] = f"{name}@{entry['digest']}"
                continue
            tag = str(entry.get("newTag", tag))
            item["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
