"""Where images go: the Replicated proxy, or a local registry. One small interface, used
by mutate, validate and explain alike.

A target says which references it must decide on (``candidates``; the classifier, and so
the probe, sees only those), turns verdicts into new references (``apply``), and knows
its pull secret, the hosts that secret must authenticate, and how to describe itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from fn import imageref, license, localregistry, retarget, secret, secretforms
from fn.classify import Verdict
from fn.config import Settings
from fn.imageref import ImageRef
from fn.problems import Problem
from fn.results import WARNING


class PullSecret(NamedTuple):
    """``payload``: the .dockerconfigjson the function writes (None: the Secret is the
    user's, e.g. localRegistryAuthSecret); ``hosts``: what it must authenticate."""

    name: str
    payload: str | None
    hosts: tuple[str, ...]


def on_host(value: str, host: str) -> bool:
    return value.startswith(host + "/")


class Target:
    name = ""         # "the proxy"
    moved = ""        # what explain calls a rewritten image: "proxied", "moved"
    where = ""        # "proxy.replicated.com/proxy/acme"
    verb = ""         # what an info result says was done
    problem = ""      # what validate says of an image not on the target
    merges = False    # whether two images may become one reference (fn.plan says so)
    app_slug = ""
    licensed = False  # the pull secret's credentials are the license ID (else a login)
    pull_secret: PullSecret | None = None
    checks_secret = True  # validate checks the Secret's hosts (also without a payload)

    def __init__(self) -> None:
        self.refs: dict[str, ImageRef] = {}

    def parse(self, value: str) -> ImageRef:
        ref = self.refs.get(value)
        if ref is None:
            ref = self.refs[value] = imageref.parse(value)
        return ref

    def settle(self, value: str) -> tuple[str | None, str] | None:
        """(new reference or None, why) when the value needs no verdict, else None."""
        raise NotImplementedError

    def rewrite(self, ref: ImageRef, verdict: Verdict) -> str | None:
        raise NotImplementedError

    def on_target(self, value: str) -> bool:
        raise NotImplementedError


class ProxyTarget(Target):
    name = "the proxy"
    moved = "proxied"
    verb = "pull through the proxy"
    problem = "private image not pulled through the proxy"
    licensed = True

    def __init__(self, proxy: license.Proxy, previous: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.proxy = proxy
        self.hosts = tuple(dict.fromkeys((proxy.proxy_domain, *retarget.PROXY_HOSTS,
                                          *previous)))
        self.app_slug = proxy.app_slug
        self.where = f"{proxy.proxy_domain}/proxy/{proxy.app_slug}"
        payload = None if proxy.license_id is None else secret.dockerconfigjson(
            (proxy.proxy_domain, proxy.registry_domain), "LICENSE_ID", proxy.license_id.reveal())
        self.pull_secret = PullSecret(proxy.pull_secret_name, payload,
                                      (proxy.proxy_domain, proxy.registry_domain))

    def settle(self, value: str) -> tuple[str | None, str] | None:
        proxy = self.proxy
        found = retarget.split(value, self.hosts)
        if found is not None and found[:2] != (proxy.proxy_domain, proxy.app_slug):
            host, slug, original = found
            return f"{self.where}/{original}", (
                f"re-targeted: was on {host}/proxy/{slug}, the target is {self.where}")
        if on_host(value, proxy.proxy_domain):
            return None, "already pulled through the proxy"
        if on_host(value, proxy.registry_domain):
            return None, "on the Replicated registry"
        if proxy.registry_domain != proxy.replicated_registry and on_host(
                value, proxy.replicated_registry):
            return (proxy.registry_domain + value[len(proxy.replicated_registry):],
                    f"the Replicated registry is served as {proxy.registry_domain}")
        return None

    def rewrite(self, ref: ImageRef, verdict: Verdict) -> str | None:
        """The proxy path; Problem (a warning) when the image is private but its name
        cannot stand in a proxy path (a registry port, an IPv6 host)."""
        if not verdict.private:
            return None
        name = imageref.proxy_name(ref, self.where)
        if name is None:
            raise Problem(f"left as is: private ({verdict.why}), but "
                          f"{imageref.proxiable(ref, self.where)}", severity=WARNING)
        return f"{self.where}/{name}{ref.suffix}"

    def on_target(self, value: str) -> bool:
        return on_host(value, self.proxy.proxy_domain)


class LocalTarget(Target):
    name = "the local registry"
    moved = "moved"
    verb = "move to the local registry"
    problem = "image not on the local registry"
    merges = True  # (it keeps the last path component)

    def __init__(self, host: str, namespace: str, pull_secret: PullSecret | None,
                 app_slug: str) -> None:
        super().__init__()
        self.host = host
        self.namespace = namespace
        self.app_slug = app_slug
        self.where = "/".join(x for x in (host, namespace) if x)
        self.pull_secret = pull_secret
        self.checks_secret = pull_secret is not None and pull_secret.payload is not None

    def settle(self, value: str) -> tuple[str | None, str] | None:
        if on_host(value, self.host):
            return None, "already on the local registry"
        return None  # every other image moves: no verdict needed, but parsed

    def rewrite(self, ref: ImageRef, verdict: Verdict) -> str | None:
        return localregistry.rewrite(ref, self.host, self.namespace)

    def on_target(self, value: str) -> bool:
        return on_host(value, self.host)



def make(s: Settings, license_text: str | None, need_id: bool,
         environ: Mapping[str, str]) -> Target:
    """The target the settings ask for; reads the license and (local registry) the
    credentials from ``environ``. The license ID is needed only when mutating with a
    secretMode that writes it (``fn.secretforms``)."""
    need_id = need_id and secretforms.needs_license_id(s)
    if s.local_registry is None:
        return ProxyTarget(license.resolve(s, license_text, need_id=need_id, environ=environ),
                           s.previous_proxy_domains)
    proxy = license.resolve(s, license_text, need_id=False, need_slug=False)
    host, namespace = localregistry.parse_target(s.local_registry)
    return LocalTarget(host, namespace, _local_secret(s, proxy, host, environ), proxy.app_slug)


def _local_secret(s: Settings, proxy: license.Proxy, host: str,
                  environ: Mapping[str, str]) -> PullSecret | None:
    if s.local_registry_auth_secret:
        return PullSecret(s.local_registry_auth_secret, None, (host,))
    creds = localregistry.credentials(s.local_registry_username_env,
                                      s.local_registry_password_env, environ)
    if creds is None and s.secret_mode == secretforms.GENERATE:
        return None  # a registry that needs no credentials
    if not proxy.pull_secret_name:
        raise Problem("name the local registry's pull secret: set pullSecretName or appSlug")
    payload = secret.dockerconfigjson((host,), *creds) if creds else None
    return PullSecret(proxy.pull_secret_name, payload, (host,))


