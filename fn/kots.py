"""KOTS-native inputs: what a vendor's KOTS release already says, read as KOTS reads it.

- A ``kots.io/v1beta1`` ``Application`` among the items: ``spec.proxyPublicImages``
  (= ``proxyAll``), ``spec.additionalNamespaces`` (= ``namespaces``), and the deprecated
  ``spec.proxyRegistryDomain`` (= ``proxyDomain``) / ``spec.replicatedRegistryDomain``
  (= ``registryDomain``). It is left in the output as it is.
- A ``kots.io/v1beta1|v1beta2`` ``License`` among the items (the license file as
  downloaded, placed in the package): the license, consumed like ``licenseConfigMap``
  (marked local-config, so never applied).
- ``licenseFile: PATH``: the license from a file (read by the caller's ``read_file``);
  ``licenseIDEnv: NAME``: the license ID from that environment variable.

The config wins over all of these; an info result says so whenever both give a value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from fn.config import Settings
from fn.nodes import to_python
from fn.problems import Problem
from fn.redacted import Redacted
from fn.resourcelist import Item
from fn.results import INFO, Result

API = "kots.io"
LICENSE_VERSIONS = ("v1beta1", "v1beta2")
# Application spec field -> (Settings attribute, config field, convert)
APPLICATION = {
    "proxyPublicImages": ("proxy_all", "proxyAll", lambda v: v is True),
    "additionalNamespaces": ("namespaces", "namespaces",
                             lambda v: tuple(x for x in v if isinstance(x, str) and x != "*")
                             if isinstance(v, list) else ()),
    "proxyRegistryDomain": ("proxy_domain", "proxyDomain",
                            lambda v: v if isinstance(v, str) and v else None),
    "replicatedRegistryDomain": ("registry_domain", "registryDomain",
                                 lambda v: v if isinstance(v, str) and v else None),
}


def keeps_node(item: Item) -> bool:
    """Whether the reader keeps this item's node (an Application or a License)."""
    return item.group == API and item.kind in ("Application", "License")


def _find(items: list[Item], kind: str, versions: tuple[str, ...]) -> Item | None:
    return next((i for i in items if i.group == API and i.kind == kind
                 and i.api_version.rsplit("/", 1)[-1] in versions and i.node is not None), None)


def settle(items: list[Item], s: Settings, environ: Mapping[str, str],
           read_file: Callable[[str], str] | None
           ) -> tuple[Settings, Item | None, object, list[Result]]:
    """(settings with the Application's values, the License item to consume, the license
    (text or mapping) from licenseFile or a License item, info results)."""
    s = copy.copy(s)
    results: list[Result] = []
    app = _find(items, "Application", ("v1beta1",))
    if app is not None:
        results += _application(app, s)
    if s.license_id_env:
        value = environ.get(s.license_id_env)  # unset: an error where the ID is needed
        if value is None:                      # (fn.license.from_env)
            pass
        elif s.license_id is None:
            s.license_id = Redacted(value.strip())
            s.license_id_source = f"licenseIDEnv {s.license_id_env}"
        else:
            results.append(Result(f"licenseID in the config wins over licenseIDEnv "
                                  f"{s.license_id_env}", INFO))
    item = _find(items, "License", LICENSE_VERSIONS)
    doc: object = None
    if s.license_file:
        if read_file is None:
            raise Problem("licenseFile can be read only when the function runs as a command",
                          field="licenseFile")
        doc = read_file(s.license_file)
        s.license_source = f"licenseFile {s.license_file}"
    elif item is not None and s.license_configmap is None:
        doc = _data(item, "")
        s.license_source = f"License {item.name} among the items"
    if item is not None and (s.license_doc is not None or s.license_file
                             or s.license_configmap):
        results.append(Result(f"the license in the config wins over License {item.name} "
                              "among the items (which is consumed all the same)", INFO,
                              item.ref(), None, item.file()))
    return s, item, doc, results


def _data(item: Item, key: str) -> object:
    node = item.node if not key or item.node is None else item.node.get(key)
    try:
        return to_python(node)
    except ValueError as exc:
        raise Problem(f"{item.kind} {item.name} could not be read: {exc}", resource=item.ref(),
                      file=item.file()) from None


def _application(app: Item, s: Settings) -> list[Result]:
    spec = _data(app, "spec")
    if not isinstance(spec, dict):
        return []
    out = []
    for key, (attribute, field, convert) in APPLICATION.items():
        if key not in spec:
            continue
        value = convert(spec[key])
        if attribute in vars(s):  # given in the config
            out.append(Result(f"{field} in the config wins over Application spec.{key}",
                              INFO, app.ref(), None, app.file()))
        elif value is not None:
            setattr(s, attribute, value)
            s.from_application += (attribute,)
    return out
