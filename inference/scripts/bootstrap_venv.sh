#!/usr/bin/env bash
# Brings a virtual environment's build tools up to what TRELLIS.2's CUDA extensions need, before
# anything is built in it:
#
#   inference/scripts/bootstrap_venv.sh [VENV]      (default: $KILN_VENV, else inference/.venv)
#
# Why: a stock Ubuntu 22.04 `python3.11 -m venv` seeds setuptools 59.x. setuptools reads a
# pyproject.toml [project] table only from 61 (and the packages.find table with it), so a package
# that names itself only there (nvdiffrast v0.4.0: its setup.py passes ext_modules alone) builds
# as UNKNOWN-0.0.0 with no `nvdiffrast` package in it, only the compiled `_nvdiffrast_c`.
# install_trellis2.sh builds every extension with --no-build-isolation (they compile against the
# venv's torch), so the venv's own setuptools is the one that builds them: >= 64 here, as
# nvdiffrast's [build-system] asks. wheel: flash-attn's setup.py imports it.
#
# Idempotent and offline once done: pip leaves requirements that are already met alone.
# Exit 0 when the venv meets them afterwards; 1 with a message otherwise.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${1:-${KILN_VENV:-$REPO_ROOT/inference/.venv}}"
PY="$VENV/bin/python"
# The minimums; pip takes the newest release when one is not met.
BUILD_TOOLS=("pip>=23.1" "setuptools>=64" "wheel>=0.40")

die() {
  printf 'bootstrap_venv: error: %s\n' "$*" >&2
  exit 1
}

[ -x "$PY" ] || die "no virtual environment at $VENV (create it with: python3.11 -m venv $VENV)"
"$PY" -m pip --version >/dev/null 2>&1 || "$PY" -m ensurepip --upgrade >/dev/null ||
  die "$VENV has no pip and ensurepip failed (Debian/Ubuntu: sudo apt-get install -y python3.11-venv)"

tool_versions() {
  "$PY" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version

found = []
for name in ("pip", "setuptools", "wheel"):
    try:
        found.append(f"{name} {version(name)}")
    except PackageNotFoundError:
        found.append(f"{name} (none)")
print(", ".join(found))
EOF
}

printf '    build tools before: %s\n' "$(tool_versions)"
"$PY" -m pip install --no-input --disable-pip-version-check --quiet "${BUILD_TOOLS[@]}" ||
  die "could not install ${BUILD_TOOLS[*]} into $VENV (is the package index reachable?)"
# Checked again with pip's own specifier logic: the install above may have been a no-op.
"$PY" - "${BUILD_TOOLS[@]}" <<'EOF' || die "the build tools in $VENV are still too old (see above)"
import sys
from importlib.metadata import version

from pip._vendor.packaging.requirements import Requirement

stale = []
for text in sys.argv[1:]:
    requirement = Requirement(text)
    installed = version(requirement.name)
    if not requirement.specifier.contains(installed, prereleases=True):
        stale.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
if stale:
    print("    still too old: " + ", ".join(stale), file=sys.stderr)
    raise SystemExit(1)
EOF
printf '    build tools now:    %s\n' "$(tool_versions)"
