"""Manifests written as strings (Argo Workflows' ``resource.manifest``) are searched for
images once each: an alias of one is the same string, and is not read again (a 330 KB
manifest behind 100 aliases took 189 s when each alias was parsed anew)."""

from __future__ import annotations

from fn import resourcelist, uncovered

MANIFEST = """\
apiVersion: batch/v1
kind: Job
metadata: {generateName: report-}
spec:
  template:
    spec:
      containers:
      - name: report
        image: quay.io/acme/report:1.0
"""


def _resource_list(aliases: int) -> str:
    body = "\n".join("          " + line for line in MANIFEST.splitlines())
    again = "".join(f"    - name: t{i}\n      resource: {{action: create, manifest: *m}}\n"
                    for i in range(aliases))
    return f"""apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: argoproj.io/v1alpha1
  kind: WorkflowTemplate
  metadata: {{name: nightly, namespace: shop}}
  spec:
    templates:
    - name: first
      resource:
        action: create
        manifest: &m |
{body}
{again}"""


def test_an_aliased_manifest_string_is_read_once(monkeypatch):
    calls = []
    real = uncovered.read

    def counting(text, *args, **kwargs):
        calls.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(uncovered, "read", counting)
    doc = resourcelist.read(_resource_list(50))
    (item,) = doc.items
    texts = [s for s in item.suspects if s.form == uncovered.TEXT]
    assert len(calls) == 1, calls
    assert [s.value for s in texts] == ["quay.io/acme/report:1.0"]
    assert texts[0].follows == "spec.template.spec.containers[0].image"
