"""Deterministic generator of benchmark inputs for the replicated-proxy KRM function.

For a size N it produces, from one seeded random stream:

* ``resourcelist.yaml``: a ResourceList byte-for-byte in the shape kpt 1.0.0-beta.56
  sends to an ``--exec`` function for ``pkg/`` (items as a compact block sequence at
  column 0, kpt's path/index/id annotations appended to ``metadata.annotations``, the
  Kptfile as the first item, the functionConfig last);
* ``pkg/``: the same N resources as a kpt package (a Kptfile plus multi-document files
  grouped in namespace directories), for the ``kpt fn eval`` comparisons;
* ``fnconfig.yaml``: the function-input ConfigMap, as passed to ``--fn-config``;
* ``empty-resourcelist.yaml``: ``items: []`` plus the same functionConfig (start-up).

Usage::

    python bench/generate.py --size 1000 --out bench/out/data/1000 [--seed 42]
    python bench/generate.py --size 200 --out /tmp/g --verify-kpt   # compare with kpt

``--verify-kpt`` runs ``kpt fn eval pkg --exec <script that saves stdin>`` and checks
that kpt's ResourceList is identical to the generated ``resourcelist.yaml``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 42

FN_CONFIG_DATA = {
    "licenseID": '"bench-license-id-0000"',
    "appSlug": '"acme"',
    "privateImages": '"quay.io/acme/, ghcr.io/acme/, registry.example.com:5000"',
}


# Per 100 resources (the issue's "realistic mix").
MIX_PER_100: list[tuple[str, int]] = [
    ("Deployment", 25),
    ("StatefulSet", 8),
    ("CronJob", 7),
    ("Job", 3),
    ("DaemonSet", 2),
    ("Service", 25),
    ("ConfigMap", 20),
    ("Custom", 10),
]

# ---------------------------------------------------------------------------
# A tiny YAML writer with explicit control over the text (styles, comments).
# Plain Python str values are written verbatim: callers quote them when needed.


class Comment:
    """A full-line comment; used as a mapping key so it keeps its position."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


@dataclass
class Trailing:
    """A scalar followed by an end-of-line comment."""

    value: str
    comment: str


@dataclass
class Block:
    """A literal block scalar (``|`` or ``|-``); ``text`` lines are written indented."""

    text: str
    indicator: str = "|"


def _scalar(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def emit(node: object, indent: int, out: list[str]) -> None:
    """Append the lines of a block mapping or block sequence at ``indent``."""
    pad = " " * indent
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, Comment):
                out.append(f"{pad}# {k.text}")
            elif isinstance(v, dict):
                if v:
                    out.append(f"{pad}{k}:")
                    emit(v, indent + 2, out)
                else:
                    out.append(f"{pad}{k}: {{}}")
            elif isinstance(v, list):
                if v:
                    out.append(f"{pad}{k}:")
                    emit(v, indent, out)  # compact: "- " at the key's column
                else:
                    out.append(f"{pad}{k}: []")
            elif isinstance(v, Block):
                out.append(f"{pad}{k}: {v.indicator}")
                inner = " " * (indent + 2)
                body = v.text[:-1] if v.text.endswith("\n") else v.text
                out.extend(f"{inner}{line}" if line else "" for line in body.split("\n"))
            elif isinstance(v, Trailing):
                out.append(f"{pad}{k}: {v.value} # {v.comment}")
            else:
                out.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                sub: list[str] = []
                emit(item, indent + 2, sub)
                sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
                out.extend(sub)
            else:
                out.append(f"{pad}- {_scalar(item)}")
    else:
        raise TypeError(f"cannot emit {type(node).__name__} as a block node")


def to_text(node: dict, indent: int = 0) -> str:
    out: list[str] = []
    emit(node, indent, out)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Vocabulary

TEAMS = ["payments", "search", "identity", "platform", "data", "growth", "checkout", "infra"]
APPS = [
    "api",
    "web",
    "worker",
    "gateway",
    "billing",
    "auth",
    "catalog",
    "cart",
    "orders",
    "notifier",
    "scheduler",
    "indexer",
    "ingest",
    "reports",
    "exporter",
    "frontend",
    "ledger",
    "profile",
    "pricing",
    "inventory",
    "mailer",
    "audit",
    "sync",
    "ranker",
]
ENV_NAMES = [
    "LOG_LEVEL",
    "HTTP_PORT",
    "DATABASE_HOST",
    "DATABASE_PORT",
    "REDIS_URL",
    "FEATURE_FLAGS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "JAVA_OPTS",
    "GOMAXPROCS",
    "TZ",
    "CACHE_TTL_SECONDS",
    "UPSTREAM_TIMEOUT",
    "S3_BUCKET",
    "QUEUE_NAME",
    "REGION",
    "WORKERS",
]
PUBLIC_IMAGES = [
    "nginx:1.25",
    "docker.io/library/redis:7",
    "busybox:1.36",
    "postgres:16.2",
    "registry.k8s.io/pause:3.9",
    "docker.io/bitnami/kubectl:1.29",
    "envoyproxy/envoy:v1.29.1",
    "quay.io/prometheus/node-exporter:v1.7.0",
    "ghcr.io/fluxcd/source-controller:v1.2.4",
    "quay.io/acme-oss/toolbox:2.1",  # shares a prefix with quay.io/acme but is public
]


def _hex64(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def private_image(rng: random.Random, app: str) -> str:
    ver = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    base = rng.choice(
        [f"quay.io/acme/{app}", f"ghcr.io/acme/{app}", f"registry.example.com:5000/team/{app}"]
    )
    r = rng.random()
    if r < 0.15:
        return f"{base}:{ver}@sha256:{_hex64(rng)}"  # tag + digest
    if r < 0.22:
        return f"{base}@sha256:{_hex64(rng)}"
    if r < 0.26:
        return base  # no tag
    return f"{base}:{ver}"


def public_image(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"gcr.io/distroless/static@sha256:{_hex64(rng)}"
    return rng.choice(PUBLIC_IMAGES)


def image(rng: random.Random, app: str, p_private: float = 0.6) -> str:
    return private_image(rng, app) if rng.random() < p_private else public_image(rng)


# ---------------------------------------------------------------------------
# Building blocks


def labels(app: str, team: str, rng: random.Random) -> dict:
    d = {app_key(app): app, "app.kubernetes.io/part-of": team}
    if rng.random() < 0.3:
        d["app.kubernetes.io/version"] = f'"{rng.randint(1, 9)}.{rng.randint(0, 20)}"'
    return d


def metadata(name: str, ns: str, app: str, team: str, rng: random.Random) -> dict:
    md: dict = {"name": name, "namespace": ns, "labels": labels(app, team, rng)}
    r = rng.random()
    if r < 0.15:
        md["annotations"] = {"reloader.stakater.com/auto": '"true"'}
    elif r < 0.2:
        md["annotations"] = {
            "owner": f"team-{team}@example.com",
            "docs": f"https://wiki.example.com/{team}/{app}",
        }
    return md


def env_list(rng: random.Random, app: str) -> list:
    out = []
    for name in rng.sample(ENV_NAMES, rng.randint(1, 4)):
        r = rng.random()
        if r < 0.15:
            out.append(
                {
                    "name": name,
                    "valueFrom": {"secretKeyRef": {"name": f"{app}-secrets", "key": name.lower()}},
                }
            )
        elif r < 0.22:
            ref = {"fieldRef": {"fieldPath": "metadata.namespace"}}
            out.append({"name": name, "valueFrom": ref})
        elif r < 0.6:
            out.append({"name": name, "value": f'"{rng.randint(1, 65535)}"'})
        else:
            out.append({"name": name, "value": rng.choice(["info", "debug", "eu-west-1", "UTC"])})
    return out


def probe(rng: random.Random, port: int) -> dict:
    if rng.random() < 0.7:
        action = {"httpGet": {"path": rng.choice(["/healthz", "/ready", "/livez"]), "port": port}}
    else:
        action = {"tcpSocket": {"port": port}}
    return {
        **action,
        "initialDelaySeconds": rng.choice([5, 10, 15]),
        "periodSeconds": rng.choice([10, 20]),
    }


def app_key(app: str) -> str:
    """The label that selects an app: half the apps use the short ``app`` key."""
    return "app" if APPS.index(app) % 2 else "app.kubernetes.io/name"


def container(
    rng: random.Random, app: str, *, main: bool = True, private: float = 0.6, mount: bool = True
) -> dict:
    port = rng.choice([8080, 8443, 9000, 3000, 5432])
    c: dict = {"name": app if main else rng.choice(["sidecar", "proxy", "log-shipper"])}
    img = image(rng, app, private if main else 0.3)
    c["image"] = Trailing(img, "pinned by release tooling") if rng.random() < 0.05 else img
    if rng.random() < 0.3:
        c["imagePullPolicy"] = "IfNotPresent"
    if rng.random() < 0.2:
        c["command"] = f'["sh", "-c", "exec /app/{app} --port={port} --log-level=$(LOG_LEVEL)"]'
    elif rng.random() < 0.2:
        c["args"] = [f"--port={port}", "--metrics", f'"--config=/etc/{app}/config.yaml"']
    if main:
        c["ports"] = [{"name": "http", "containerPort": port}]
        c["env"] = env_list(rng, app)
        if rng.random() < 0.7:
            c["resources"] = {
                "requests": {"cpu": f"{rng.choice([50, 100, 250])}m", "memory": '"256Mi"'},
                "limits": {"memory": f'"{rng.choice([512, 1024, 2048])}Mi"'},
            }
        if rng.random() < 0.5:
            c["readinessProbe"] = probe(rng, port)
        if rng.random() < 0.2:
            c["livenessProbe"] = probe(rng, port)
        if mount:
            c["volumeMounts"] = [{"name": "config", "mountPath": f"/etc/{app}", "readOnly": True}]
    else:
        c["resources"] = {}
    return c


def pod_spec(rng: random.Random, app: str, *, restart: str | None = None) -> dict:
    spec: dict = {}
    if restart:
        spec["restartPolicy"] = restart
    if rng.random() < 0.5:
        spec["serviceAccountName"] = app
    if rng.random() < 0.15:
        spec["imagePullSecrets"] = [{"name": "regcred"}]
    if rng.random() < 0.1:
        spec["initContainers"] = [
            {
                "name": "wait-for-db",
                "image": public_image(rng) if rng.random() < 0.6 else private_image(rng, app),
                "command": '["sh", "-c", "until nc -z db 5432; do sleep 2; done"]',
            }
        ]
    mount = rng.random() < 0.65
    containers = [container(rng, app, mount=mount)]
    if rng.random() < 0.15:
        containers.append(container(rng, app, main=False))
    spec["containers"] = containers
    volumes: list = []
    if mount:
        volumes.append(
            {"name": "config", "configMap": {"name": f"{app}-config", "defaultMode": "0644"}}
        )
    if rng.random() < 0.25:
        volumes.append({"name": "tmp", "emptyDir": {}})
    if volumes:
        spec["volumes"] = volumes
    if rng.random() < 0.15:
        spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
    if rng.random() < 0.1:
        spec["tolerations"] = [
            {"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}
        ]
    return spec


def pod_template(rng: random.Random, app: str, *, restart: str | None = None) -> dict:
    md: dict = {"labels": {app_key(app): app}}
    if rng.random() < 0.2:
        md["annotations"] = {"prometheus.io/scrape": '"true"', "prometheus.io/port": '"9090"'}
    return {"metadata": md, "spec": pod_spec(rng, app, restart=restart)}


def selector(app: str) -> dict:
    return {"matchLabels": {app_key(app): app}}


def head(api: str, kind: str, md: dict, rng: random.Random) -> dict:
    d: dict = {}
    if rng.random() < 0.12:
        chart = md["labels"]["app.kubernetes.io/part-of"]
        d[Comment(f"Source: {chart}/templates/{kind.lower()}.yaml")] = None
    d["apiVersion"] = api
    d["kind"] = kind
    d["metadata"] = md
    return d


# ---------------------------------------------------------------------------
# Resources


def deployment(rng, name, ns, app, team):
    d = head("apps/v1", "Deployment", metadata(name, ns, app, team, rng), rng)
    spec: dict = {"replicas": rng.choice([1, 2, 3, 5])}
    if rng.random() < 0.2:
        spec["revisionHistoryLimit"] = Trailing("3", "keep rollbacks short")
    spec["selector"] = selector(app)
    if rng.random() < 0.25:
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
        }
    spec["template"] = pod_template(rng, app)
    d["spec"] = spec
    return d


def statefulset(rng, name, ns, app, team):
    d = head("apps/v1", "StatefulSet", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "serviceName": app,
        "replicas": 3,
        "selector": selector(app),
        "template": pod_template(rng, app),
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data"},
                "spec": {
                    "accessModes": '["ReadWriteOnce"]',
                    "resources": {"requests": {"storage": f"{rng.choice([1, 10, 50])}Gi"}},
                },
            }
        ],
    }
    return d


def cronjob(rng, name, ns, app, team):
    d = head("batch/v1", "CronJob", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "schedule": f'"*/{rng.choice([5, 15, 30])} * * * *"',
        "concurrencyPolicy": "Forbid",
        "jobTemplate": {
            "spec": {
                "backoffLimit": 2,
                "template": pod_template(rng, app, restart="OnFailure"),
            }
        },
    }
    return d


def job(rng, name, ns, app, team):
    d = head("batch/v1", "Job", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {"backoffLimit": 4, "template": pod_template(rng, app, restart="Never")}
    return d


def daemonset(rng, name, ns, app, team):
    d = head("apps/v1", "DaemonSet", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {"selector": selector(app), "template": pod_template(rng, app)}
    return d


def service(rng, name, ns, app, team):
    d = head("v1", "Service", metadata(name, ns, app, team, rng), rng)
    spec: dict = {}
    if rng.random() < 0.2:
        spec["type"] = "ClusterIP"
    spec["selector"] = {app_key(app): app}
    spec["ports"] = [{"name": "http", "port": 80, "targetPort": "http"}]
    if rng.random() < 0.3:
        spec["ports"].append({"name": "metrics", "port": 9090, "targetPort": 9090})
    d["spec"] = spec
    return d


def _nginx_conf(rng: random.Random, app: str, kb: int) -> str:
    lines = ["worker_processes auto;", "events {", "  worker_connections 1024;", "}", "http {"]
    i = 0
    while sum(len(x) + 1 for x in lines) < kb * 1024:
        lines += [
            "  server {",
            f"    listen {8000 + i};",
            f"    server_name {app}-{i}.internal.example.com;",
            "    location / {",
            f"      proxy_pass http://{rng.choice(APPS)}-upstream:{8080 + i % 7};",
            "      proxy_set_header Host $host;",
            "      proxy_read_timeout 30s;",
            "    }",
            "  }",
        ]
        i += 1
    lines.append("}")
    return "\n".join(lines) + "\n"


def _properties(rng: random.Random, app: str, kb: int) -> str:
    lines = [f"# {app} settings"]
    i = 0
    while sum(len(x) + 1 for x in lines) < kb * 1024:
        key = rng.choice(["cache", "http", "db", "queue", "feature"])
        lines.append(f"{app}.{key}.setting{i}={rng.randint(0, 10**6)}")
        i += 1
    return "\n".join(lines) + "\n"


def _script(app: str) -> str:
    return (
        "#!/bin/sh\n"
        "set -eu\n"
        f'echo "starting {app} migration"\n'
        "for f in /migrations/*.sql; do\n"
        '  psql "$DATABASE_URL" -f "$f"\n'
        "done\n"
    )


def configmap(rng, name, ns, app, team):
    d = head("v1", "ConfigMap", metadata(name, ns, app, team, rng), rng)
    r = rng.random()
    data: dict = {}
    if r < 0.06:
        data["nginx.conf"] = Block(_nginx_conf(rng, app, rng.choice([3, 4, 6])))
    elif r < 0.1:
        data["application.properties"] = Block(_properties(rng, app, rng.choice([2, 3])))
    elif r < 0.2:
        data["migrate.sh"] = Block(_script(app))
        data["MODE"] = "batch"
    else:
        data["LOG_LEVEL"] = rng.choice(["info", "debug", "warn"])
        data["HTTP_PORT"] = f'"{rng.choice([8080, 8443, 3000])}"'
        if rng.random() < 0.5:
            data["FEATURE_FLAGS"] = '"new-checkout,fast-search"'
        data["config.json"] = Block(f'{{"service": "{app}", "retries": 3}}', "|-")
    d["data"] = data
    return d


def rollout(rng, name, ns, app, team):
    d = head("argoproj.io/v1alpha1", "Rollout", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "replicas": 4,
        "selector": selector(app),
        "template": pod_template(rng, app),
        "strategy": {
            "canary": {
                "steps": [{"setWeight": 20}, {"pause": {"duration": "10m"}}, {"setWeight": 60}]
            }
        },
    }
    return d


def knative_service(rng, name, ns, app, team):
    d = head("serving.knative.dev/v1", "Service", metadata(name, ns, app, team, rng), rng)
    c: dict = {"image": image(rng, app), "ports": [{"containerPort": 8080}]}
    c["env"] = env_list(rng, app)[:3]
    d["spec"] = {"template": {"spec": {"containers": [c]}}}
    return d


def tekton_task(rng, name, ns, app, team):
    d = head("tekton.dev/v1", "Task", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "params": [{"name": "revision", "type": "string"}],
        "steps": [
            {
                "name": "build",
                "image": image(rng, app),
                "script": Block('#!/bin/sh\nset -e\nmake build REVISION="$(params.revision)"\n'),
            },
            {"name": "push", "image": public_image(rng), "args": ["push", f"{app}:latest"]},
        ],
    }
    return d


def certificate(rng, name, ns, app, team):
    d = head("cert-manager.io/v1", "Certificate", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "secretName": f"{app}-tls",
        "dnsNames": [f"{app}.example.com", f"{app}.{ns}.svc"],
        "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
    }
    return d


def service_monitor(rng, name, ns, app, team):
    d = head("monitoring.coreos.com/v1", "ServiceMonitor", metadata(name, ns, app, team, rng), rng)
    d["spec"] = {
        "selector": selector(app),
        "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"}],
    }
    return d


def virtual_service(rng, name, ns, app, team):
    md = metadata(name, ns, app, team, rng)
    d = head("networking.istio.io/v1beta1", "VirtualService", md, rng)
    d["spec"] = {
        "hosts": [f"{app}.example.com"],
        "http": [
            {
                "match": [{"uri": {"prefix": "/api"}}],
                "route": [{"destination": {"host": app, "port": {"number": 80}}}],
                "timeout": "5s",
            }
        ],
    }
    return d


def external_secret(rng, name, ns, app, team):
    md = metadata(name, ns, app, team, rng)
    d = head("external-secrets.io/v1beta1", "ExternalSecret", md, rng)
    d["spec"] = {
        "refreshInterval": "1h",
        "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
        "target": {"name": f"{app}-secrets"},
        "dataFrom": [{"extract": {"key": f"{team}/{app}"}}],
    }
    return d


CUSTOM = [
    rollout,
    rollout,
    knative_service,
    tekton_task,
    certificate,
    certificate,
    service_monitor,
    service_monitor,
    virtual_service,
    external_secret,
]
BUILDERS = {
    "Deployment": deployment,
    "StatefulSet": statefulset,
    "CronJob": cronjob,
    "Job": job,
    "DaemonSet": daemonset,
    "Service": service,
    "ConfigMap": configmap,
}


# ---------------------------------------------------------------------------
# Assembly


@dataclass
class Resource:
    node: dict
    path: str  # file path inside the package
    index: int  # document index inside that file


@dataclass
class Generated:
    size: int
    resources: list[Resource] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    resourcelist: str = ""
    empty_resourcelist: str = ""
    fnconfig: str = ""

    @property
    def items(self) -> int:
        """Items in the ResourceList: the resources plus the Kptfile (as kpt sends it)."""
        return len(self.resources) + 1


def _kinds(n: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    while len(kinds) < n:
        block = [k for k, count in MIX_PER_100 for _ in range(count)]
        rng.shuffle(block)
        kinds.extend(block)
    return kinds[:n]


def fnconfig_node(with_kpt_annotations: bool) -> dict:
    md: dict = {"name": "function-input"}
    if with_kpt_annotations:
        md["annotations"] = {
            "config.kubernetes.io/index": "'0'",
            "internal.config.kubernetes.io/index": "'0'",
            "internal.config.kubernetes.io/seqindent": "'compact'",
        }
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": dict(FN_CONFIG_DATA)}


def _kpt_annotated(node: dict, path: str, index: int, seq: int) -> dict:
    """A copy of ``node`` with the annotations kpt adds before calling a function."""
    node = dict(node)
    md = dict(node["metadata"])
    ann = dict(md.get("annotations") or {})
    ann.update(
        {
            "config.kubernetes.io/index": f"'{index}'",
            "config.kubernetes.io/path": f"'{path}'",
            "internal.config.kubernetes.io/index": f"'{index}'",
            "internal.config.kubernetes.io/path": f"'{path}'",
            "internal.config.kubernetes.io/seqindent": "'compact'",
            "internal.config.kubernetes.io/annotations-migration-resource-id": f"'{seq}'",
            "internal.config.kubernetes.io/id": f"'{seq + 1}'",
            "config.k8s.io/id": f"'{seq + 1}'",
        }
    )
    md["annotations"] = ann
    node["metadata"] = md
    return node


def _item_text(node: dict) -> str:
    out: list[str] = []
    emit([node], 0, out)
    return "\n".join(out) + "\n"


def kptfile_node() -> dict:
    return {
        "apiVersion": "kpt.dev/v1",
        "kind": "Kptfile",
        "metadata": {
            "name": "bench-pkg",
            "annotations": {"config.kubernetes.io/local-config": '"true"'},
        },
        "info": {"description": "generated benchmark package for the replicated-proxy function"},
    }


def generate(size: int, seed: int = DEFAULT_SEED) -> Generated:
    rng = random.Random(f"{seed}:{size}")
    gen = Generated(size=size)
    n_ns = max(1, min(8, size // 50))
    namespaces = [f"{TEAMS[i % len(TEAMS)]}-{i // len(TEAMS) + 1}" for i in range(n_ns)]

    # Resources grouped into multi-document files of 1-8 documents, one directory per
    # namespace, like a rendered chart or a hand-kept config repo.
    files: dict[str, list[dict]] = {}
    file_no = 0
    current: list[dict] = []
    current_path = ""
    for i, kind in enumerate(_kinds(size, rng)):
        if not current or len(current) >= rng.randint(1, 8):
            ns = rng.choice(namespaces)
            app = rng.choice(APPS)
            current_path = f"{ns}/{app}-{file_no}.yaml"
            file_no += 1
            current = files.setdefault(current_path, [])
        ns = current_path.split("/", 1)[0]
        team = ns.rsplit("-", 1)[0]
        app_name = rng.choice(APPS)
        name = f"{app_name}-{i:05d}"
        builder = rng.choice(CUSTOM) if kind == "Custom" else BUILDERS[kind]
        current.append(builder(rng, name, ns, app_name, team))

    gen.files["Kptfile"] = to_text(kptfile_node())
    for path, docs in files.items():
        gen.files[path] = "---\n".join(to_text(d) for d in docs)
        for idx, d in enumerate(docs):
            gen.resources.append(Resource(d, path, idx))

    # kpt reads the package in filepath.Walk order (names sorted per directory), the
    # Kptfile included, and numbers the resources in that order.
    order = sorted(gen.resources, key=lambda r: (r.path.split("/"), r.index))
    parts = ["apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"]
    parts.append(_item_text(_kpt_annotated(kptfile_node(), "Kptfile", 0, 0)))
    for seq, r in enumerate(order, start=1):
        parts.append(_item_text(_kpt_annotated(r.node, r.path, r.index, seq)))
    fc = to_text({"functionConfig": fnconfig_node(True)})
    parts.append(fc)
    gen.resourcelist = "".join(parts)
    gen.empty_resourcelist = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n" + fc
    )
    gen.fnconfig = to_text(fnconfig_node(False))
    return gen


def write(gen: Generated, out: Path) -> dict[str, Path]:
    """Write the generated inputs under ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    pkg = out / "pkg"
    if pkg.exists():
        shutil.rmtree(pkg)
    for rel, text in gen.files.items():
        p = pkg / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    paths = {
        "pkg": pkg,
        "resourcelist": out / "resourcelist.yaml",
        "empty": out / "empty-resourcelist.yaml",
        "fnconfig": out / "fnconfig.yaml",
    }
    paths["resourcelist"].write_text(gen.resourcelist)
    paths["empty"].write_text(gen.empty_resourcelist)
    paths["fnconfig"].write_text(gen.fnconfig)
    return paths


def verify_with_kpt(paths: dict[str, Path], kpt: str = "kpt") -> str | None:
    """Run kpt on the package with a stdin-saving function; None if kpt sent exactly
    our resourcelist.yaml, else a description of the first difference."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "stdin.yaml"
        script = Path(tmp) / "save-stdin.sh"
        script.write_text(f"#!/bin/sh\nexec tee '{saved}'\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        proc = subprocess.run(
            [
                kpt,
                "fn",
                "eval",
                str(paths["pkg"]),
                "--exec",
                str(script),
                "--fn-config",
                str(paths["fnconfig"]),
                "-o",
                "stdout",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return f"kpt failed ({proc.returncode}): {proc.stderr.strip()}"
        got = saved.read_text().splitlines()
        want = paths["resourcelist"].read_text().splitlines()
        for i, (g, w) in enumerate(zip(got, want, strict=False), start=1):
            if g != w:
                return f"line {i}: kpt sent {g!r}, generated {w!r}"
        if len(got) != len(want):
            return f"kpt sent {len(got)} lines, generated {len(want)}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, required=True, help="number of resources")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--verify-kpt",
        action="store_true",
        help="check that kpt sends exactly the generated ResourceList",
    )
    args = ap.parse_args(argv)
    gen = generate(args.size, args.seed)
    paths = write(gen, args.out)
    size = paths["resourcelist"].stat().st_size
    print(
        f"{args.size} resources ({gen.items} items with the Kptfile), {len(gen.files)} files, "
        f"resourcelist.yaml {size:,} bytes -> {args.out}"
    )
    if args.verify_kpt:
        problem = verify_with_kpt(paths, os.environ.get("KPT", "kpt"))
        if problem:
            print(f"kpt check FAILED: {problem}", file=sys.stderr)
            return 1
        print("kpt check: kpt sends byte-for-byte the generated resourcelist.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
