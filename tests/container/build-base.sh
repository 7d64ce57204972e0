#!/usr/bin/env bash
# Make local Debian Python base images, for building the Dockerfile where no base image can
# be pulled from a registry:
#
#   localhost/py-base:SUITE    python3 only            -> --build-arg BASE_IMAGE=...
#   localhost/py-build:SUITE   python3 + venv/ensurepip, gcc and the headers (Python's,
#                              libyaml's) for the compiled reader -> --build-arg BUILD_IMAGE=...
#
# Both come from one `debootstrap --variant=minbase` root filesystem; the runtime one has
# the venv/ensurepip packages (the pip and setuptools wheels) purged, so the final image
# carries no pip. Docs, man pages, locales, apt lists and caches are removed from both.
# The root filesystems are cached as tarballs under $CACHE_DIR (about 2 x 120 MB), so only
# the first run pays for debootstrap (~1 min); importing them into containers storage takes
# a few seconds.
#
# Needs root, debootstrap and podman. Uses the containers storage selected by the caller
# (CONTAINERS_STORAGE_CONF, or the default one) with the vfs driver.
#
# Usage: build-base.sh [--rebuild]
# Env:   SUITE (bookworm)  MIRROR (http://deb.debian.org/debian)
#        CACHE_DIR (${XDG_CACHE_HOME:-~/.cache}/replicated-proxy-fn)
#        BASE_TAG (localhost/py-base:$SUITE)  BUILD_TAG (localhost/py-build:$SUITE)
set -euo pipefail

SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-proxy-fn}
BASE_TAG=${BASE_TAG:-localhost/py-base:$SUITE}
BUILD_TAG=${BUILD_TAG:-localhost/py-build:$SUITE}
STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}

INCLUDE=python3,python3-venv
# Added to the builder only: a C compiler and the headers, so that `pip install` builds the
# compiled YAML reader (fn/_yamlwalk.c) into the image.
BUILD_PKGS="gcc libc6-dev python3-dev libyaml-dev"
# Purged from the runtime base: what python3-venv brings (ensurepip and the wheels of pip
# and setuptools).
VENV_PKGS="python3-venv python3.11-venv python3-pip-whl python3-setuptools-whl"
# Bump when the recipe changes, to invalidate the cache.
RECIPE=2
KEY=$(printf '%s\n' "$RECIPE" "$SUITE" "$MIRROR" "$INCLUDE" "$VENV_PKGS" "$BUILD_PKGS" \
      | sha256sum | cut -c1-12)
DIR="$CACHE_DIR/base-$SUITE-$KEY"

log() { printf '[build-base] %s\n' "$*" >&2; }

if [[ ${1:-} == --rebuild ]]; then
  rm -rf "$DIR"
fi

[[ $(id -u) == 0 ]] || { log "must run as root (debootstrap, buildah with chroot isolation)"; exit 1; }

trim() {  # what an image does not need; keeps dpkg's database so the tree stays a Debian
  local root=$1
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
         "$root"/usr/share/locale/* "$root"/usr/share/lintian \
         "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
         "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
         "$root"/etc/resolv.conf "$root"/etc/hostname
  find "$root/var/log" -type f -delete
}

pack() {  # rootfs tarball; the container runtime provides /dev (and /proc, /sys)
  tar -C "$1" --numeric-owner --exclude='./dev/*' -cf "$2" .
}

make_rootfs() {
  local work
  mkdir -p "$CACHE_DIR"
  work=$(mktemp -d "$CACHE_DIR/.work.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  log "debootstrap --variant=minbase --include=$INCLUDE $SUITE (about a minute)"
  if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$work/rootfs" "$MIRROR" \
      >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    log "debootstrap failed"
    exit 1
  fi
  chroot "$work/rootfs" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' \
    >"$work/python-version"
  # the builder: a copy with the compiler and headers (from the same mirror)
  cp -a "$work/rootfs" "$work/build"
  cp /etc/resolv.conf "$work/build/etc/resolv.conf"
  log "builder: apt-get install $BUILD_PKGS"
  # shellcheck disable=SC2086
  if ! { chroot "$work/build" apt-get update -qq \
         && chroot "$work/build" env DEBIAN_FRONTEND=noninteractive \
              apt-get install -y -qq --no-install-recommends $BUILD_PKGS; } \
      >"$work/build-pkgs.log" 2>&1; then
    tail -n 30 "$work/build-pkgs.log" >&2
    log "installing the builder's packages failed"
    exit 1
  fi
  trim "$work/build"
  pack "$work/build" "$work/build.tar"
  rm -rf "$work/build"
  trim "$work/rootfs"
  # shellcheck disable=SC2086
  chroot "$work/rootfs" dpkg --purge $VENV_PKGS >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log" >&2; exit 1; }
  trim "$work/rootfs"
  if chroot "$work/rootfs" python3 -c 'import ensurepip' 2>/dev/null; then
    log "ensurepip still present in the runtime base"; exit 1
  fi
  pack "$work/rootfs" "$work/runtime.tar"
  rm -rf "$work/rootfs"
  rm -rf "$DIR"
  mv "$work" "$DIR"
  trap - EXIT
  log "cached in $DIR ($(du -sh "$DIR" | cut -f1))"
}

import_image() {  # tarball tag
  local tar=$1 tag=$2 have
  have=$(podman --storage-driver "$STORAGE_DRIVER" image inspect --format '{{.Comment}}' "$tag" \
           2>/dev/null || true)
  if [[ $have == "base-key=$KEY" ]]; then
    log "$tag is up to date"
    return
  fi
  podman --storage-driver "$STORAGE_DRIVER" import --quiet --message "base-key=$KEY" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/sh"]' \
    "$tar" "$tag" >/dev/null
  log "imported $tag"
}

if [[ ! -f $DIR/runtime.tar || ! -f $DIR/build.tar || ! -f $DIR/python-version ]]; then
  command -v debootstrap >/dev/null || { log "debootstrap is not installed"; exit 1; }
  make_rootfs
else
  log "using cached root filesystems in $DIR"
fi
import_image "$DIR/runtime.tar" "$BASE_TAG"
import_image "$DIR/build.tar" "$BUILD_TAG"
# for the caller: the base's Python version (the wheelhouse must match it)
cat "$DIR/python-version"
