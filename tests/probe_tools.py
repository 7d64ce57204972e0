"""Shared by the probe tests: options for local servers, the wire recorder, a pipeline run."""

from __future__ import annotations

import threading

import httpx
import pytest
import yaml
from helpers import TEST_LICENSE_IDS

from fn import krm
from fn.probe import ProbeOptions

LICENSE_ID = TEST_LICENSE_IDS[1]  # a registered test ID: the secrecy check looks for it


def options(*hosts: str, **kw) -> ProbeOptions:
    """Options for local test servers: plain http for ``hosts``, short timeouts."""
    kw.setdefault("timeout", 2.0)
    kw.setdefault("deadline", 20.0)
    return ProbeOptions(insecure_registries=frozenset(hosts), **kw)


@pytest.fixture(autouse=True)
def wire(monkeypatch) -> list[httpx.Request]:
    """Record every request passing through httpx's transport; after each test check that no
    request anywhere carried credentials other than an anonymous Bearer token."""
    seen: list[httpx.Request] = []
    lock = threading.Lock()
    original = httpx.HTTPTransport.handle_request

    def recording(self, request):
        with lock:
            seen.append(request)
        return original(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", recording)
    yield seen
    for r in seen:
        auth = r.headers.get("authorization", "")
        assert not auth.lower().startswith("basic"), f"credentials sent to {r.url}"
        assert auth == "" or auth.startswith("Bearer "), f"unexpected Authorization to {r.url}"
        assert "cookie" not in r.headers


def manifest_requests(wire: list[httpx.Request]) -> list[httpx.Request]:
    return [r for r in wire if "/manifests/" in r.url.path]


def netlocs(wire: list[httpx.Request]) -> set[str]:
    """host:port of every request made."""
    return {r.url.netloc.decode() for r in wire}


def resource_list(images: list[str], **config: str) -> str:
    """A ResourceList: one Pod per image, probe on, ``config`` added to the ConfigMap."""
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
              "spec": {"containers": [{"name": "c", "image": image}]}}
             for i, image in enumerate(images)]
    data = {"licenseID": LICENSE_ID, "appSlug": "app", "probe": "true", **config}
    return yaml.safe_dump({
        "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items,
        "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "fn"}, "data": data}}, sort_keys=False)


def run(images: list[str], **config: str) -> tuple[krm.Output, dict]:
    """The function in process on ``resource_list(images, **config)``: (run, output)."""
    done = krm.resource_list(resource_list(images, **config))
    return done, yaml.safe_load(done.stdout)


def images_out(out: dict) -> list[str]:
    return [item["spec"]["containers"][0]["image"] for item in out["items"]
            if item["kind"] == "Pod"]
