"""helm-plugin/plugin.yaml: the Helm 4 post-renderer plugin, called the way Helm 4 calls it.

No Helm binary can be installed here, so this harness does what Helm 4 does, step by step,
following Helm's source (helm/helm, main branch, commit e9b85e4de16ad45805843fb121748018cf89094b):

- internal/plugin/loader.go (loadMetadata, loadMetadataV1): apiVersion "v1" selects the v1
  format, decoded with KnownFields(true): unknown top-level keys are errors;
- internal/plugin/metadata_v1.go (MetadataV1, Validate): name matches ^[A-Za-z0-9_-]+$
  (plugin.go validPluginName), version is strict semver, type and runtime are required;
- internal/plugin/schema/postrenderer.go: ConfigPostRendererV1 has no fields (config empty);
- internal/plugin/runtime_subprocess.go (runPostrenderer): the environment is Helm's plus
  HELM_PLUGIN_NAME and HELM_PLUGIN_DIR; the manifests go to stdin, stdout is the result, a
  non-zero exit is an error;
- internal/plugin/subprocess_commands.go (getPlatformCommand, PrepareCommands): the
  platformCommand for this OS/arch (exact match, then OS only, then neither), its command
  split on " ", variables expanded (os.Expand), then its args (expanded), then the
  --post-renderer-args (not expanded);
- pkg/postrenderer/postrenderer.go (Run): output that is empty after trimming is an error;
- pkg/cmd/flags.go (postRendererString, postRendererArgsSlice): --post-renderer names the
  plugin, each --post-renderer-args adds one argument, in order.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from e2e_tools import EXAMPLES, REPO, expect, fn_env

__all__ = ["fn_env"]
PLUGIN = REPO / "helm-plugin"
RENDERED = (EXAMPLES / "helm/rendered.yaml").read_bytes()
V1_KEYS = {"apiVersion", "name", "type", "runtime", "version", "sourceURL", "config",
           "runtimeConfig"}
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")
GOOS = {"linux": "linux", "darwin": "darwin", "win32": "windows"}[sys.platform]
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(),
                                                                       platform.machine())


class HelmError(Exception):
    pass


def load(plugin_dir: Path) -> dict:
    meta = yaml.safe_load((plugin_dir / "plugin.yaml").read_text())
    if meta.get("apiVersion") != "v1":
        raise HelmError(f"not a v1 plugin: {meta.get('apiVersion')!r}")
    unknown = set(meta) - V1_KEYS
    if unknown:
        raise HelmError(f"field(s) {sorted(unknown)} not found in type plugin.MetadataV1")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", meta.get("name", "")):
        raise HelmError("invalid plugin `name`")
    if not SEMVER.fullmatch(str(meta.get("version", ""))):
        raise HelmError("invalid plugin `version`: must be valid semver")
    if not meta.get("type") or not meta.get("runtime"):
        raise HelmError("`type` or `runtime` missing")
    if meta.get("config"):
        raise HelmError("postrenderer/v1 config has no fields")
    return meta


def platform_command(cmds: list[dict]) -> tuple[list[str], list[str]]:
    def eq(a, b):
        return (a or "").lower() == b

    chosen, found, found_os = None, False, False
    for c in cmds:
        if eq(c.get("os"), GOOS) and eq(c.get("arch"), GOARCH):
            return c["command"].split(" "), c.get("args") or []
        if (c.get("os") and not eq(c.get("os"), GOOS)) or c.get("arch"):
            continue
        if not found_os and c.get("os") and eq(c.get("os"), GOOS):
            chosen, found, found_os = c, True, True
        elif not found:
            chosen, found = c, True
    return (chosen["command"].split(" "), chosen.get("args") or []) if chosen else ([], [])


def expand(text: str, env: dict[str, str]) -> str:
    """Go's os.Expand: ${NAME} and $NAME, unset names become ""."""
    return re.sub(r"\$\{([^}]*)\}|\$([A-Za-z0-9_]+)",
                  lambda m: env.get(m.group(1) or m.group(2), ""), text)


def helm4_post_render(plugins: Path, name: str, args: list[str], manifests: bytes,
                      env: dict[str, str], cwd: Path = REPO) -> bytes:
    """What `helm install --post-renderer NAME --post-renderer-args A ...` does with them."""
    plugin_dir = next((d for d in plugins.iterdir() if (d / "plugin.yaml").exists()
                       and load(d)["name"] == name and load(d)["type"] == "postrenderer/v1"),
                      None)
    if plugin_dir is None:
        raise HelmError(f"plugin {name!r} of type postrenderer/v1 not found")
    meta = load(plugin_dir)
    assert meta["runtime"] == "subprocess"
    env = {**env, "HELM_PLUGIN_NAME": name, "HELM_PLUGIN_DIR": str(plugin_dir)}
    parts, base_args = platform_command(meta["runtimeConfig"]["platformCommand"])
    if not parts or not parts[0]:
        raise HelmError("no plugin command is applicable")
    main = expand(parts[0], env)
    argv = [expand(p, env) for p in parts[1:]] + [expand(a, env) for a in base_args] + args
    exe = shutil.which(main, path=env.get("PATH")) if os.sep not in main else main
    if exe is None:
        raise HelmError(f"exec: {main!r}: executable file not found in $PATH")
    proc = subprocess.run([exe, *argv], input=manifests, capture_output=True, env=env,
                          cwd=cwd, timeout=60)
    if proc.returncode != 0:
        raise HelmError(f'plugin "{name}" exited with error ({proc.returncode}): '
                        f"{proc.stderr.decode()}")
    if not proc.stdout.strip():
        raise HelmError(f'post-renderer "{name}" produced empty output')
    return proc.stdout


@pytest.fixture
def plugins(tmp_path) -> Path:
    """A Helm plugins directory after `helm plugin install ./helm-plugin` (a copy of it)."""
    home = tmp_path / "plugins"
    shutil.copytree(PLUGIN, home / "replicated-proxy-fn")
    return home


def test_plugin_yaml_is_a_valid_helm4_postrenderer_plugin():
    meta = load(PLUGIN)
    assert (meta["name"], meta["type"], meta["runtime"]) == (
        "replicated-proxy-fn", "postrenderer/v1", "subprocess")
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'version = "{meta["version"]}"' in pyproject, "keep the plugin version in step"
    parts, args = platform_command(meta["runtimeConfig"]["platformCommand"])
    assert parts == ["replicated-proxy-fn"] and args == []


def test_helm4_post_renders_the_chart_output(plugins, fn_env):
    out = helm4_post_render(plugins, "replicated-proxy-fn",
                            ["--config", "examples/helm/proxy.yaml"], RENDERED, fn_env)
    # the same bytes as the Helm 3 (executable) post-renderer gives
    expect(EXAMPLES / "helm/.expected/post-rendered.yaml", out.decode())
    assert b"proxy.replicated.com/proxy/acme/quay.io/acme/api:1.4.2" in out


def test_helm4_fails_the_release_on_a_bad_config(plugins, fn_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {appSlug: acme}\n")
    with pytest.raises(HelmError, match=r"exited with error \(1\).*no license ID"):
        helm4_post_render(plugins, "replicated-proxy-fn", ["--config", str(bad)], RENDERED,
                          fn_env)
    with pytest.raises(HelmError, match="exited with error"):
        helm4_post_render(plugins, "replicated-proxy-fn", [], RENDERED, fn_env)  # no config


def test_the_harness_follows_helm(plugins, fn_env, tmp_path):
    """The harness itself: platform selection and expansion as Helm's Go code does them."""
    cmds = [{"os": "plan9", "command": "a"}, {"command": "b"}, {"os": GOOS, "command": "c"},
            {"os": GOOS, "arch": GOARCH, "command": "d x"}]
    assert platform_command(cmds) == (["d", "x"], [])
    assert platform_command(cmds[:3]) == (["c"], [])
    assert platform_command(cmds[:2]) == (["b"], [])
    assert platform_command([{"arch": GOARCH, "command": "e"}]) == ([], [])
    assert expand("${HELM_PLUGIN_DIR}/x $A-$NOPE", {"HELM_PLUGIN_DIR": "/p", "A": "1"}) == "/p/x 1-"
    (plugins / "replicated-proxy-fn" / "plugin.yaml").write_text(
        (PLUGIN / "plugin.yaml").read_text() + "command: x\n")  # a Helm 3 key: unknown in v1
    with pytest.raises(HelmError, match="not found in type"):
        helm4_post_render(plugins, "replicated-proxy-fn", [], RENDERED, fn_env)
