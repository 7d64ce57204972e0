#!/usr/bin/env bash
# Build the container image and check it against exec mode: see README.md beside this file.
# Run as root: tests/container/image-test.sh [--driver auto|overlay|vfs] [--report FILE] ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "${PYTHON:-python3}" "$here/image_check.py" "$@"
