#!/usr/bin/env bash
# Installs TRELLIS.2 and its CUDA extensions into the sidecar's virtual environment
# (inference/.venv), for Ubuntu 22.04 + CUDA Toolkit 12.4 + an RTX 4090 (sm_89).
#
# What upstream's setup.sh does (microsoft/TRELLIS.2 @ 5565d24: --basic --flash-attn --nvdiffrast
# --cumesh --flexgemm --o-voxel), without conda and at pinned commits:
#   torch 2.6.0 + torchvision 0.21.0 (cu124 wheels), the runtime Python packages, flash-attn,
#   nvdiffrast v0.4.0, CuMesh, FlexGEMM, o-voxel (from the TRELLIS.2 checkout, with its Eigen
#   submodule), and TRELLIS.2 itself put on the venv's path with a .pth file (it has no setup.py).
# Left out, as the image-to-3D path never imports them: nvdiffrec, utils3d (rendering/video),
# gradio (demo app), tensorboard/lpips/pandas (training), pillow-simd (optional speed-up).
#
# Build tools first: inference/scripts/bootstrap_venv.sh (pip, setuptools >= 64, wheel in the venv;
# runs alone too) before any build, as every extension builds with the venv's own setuptools.
#
# Idempotent: every step is skipped when what it installs is already there at the pinned version
# (stamps in $SRC/.stamps); KILN_FORCE=1 redoes everything. Sources are kept in $SRC.
#
# Environment (all optional):
#   KILN_VENV             the venv (default inference/.venv; must exist: the sidecar's own setup)
#   KILN_TRELLIS2_SRC     where sources are cloned and built (default $KILN_VENV/src)
#   CUDA_HOME             CUDA Toolkit 12.x (default /usr/local/cuda-12.4)
#   TORCH_CUDA_ARCH_LIST  GPU architectures to compile for (default 8.9 = RTX 4090)
#   MAX_JOBS              parallel compile jobs (default 4; flash-attn needs ~4 GB RAM per job)
#   KILN_INSTALL_NO_GPU   1 = no GPU on this machine (an image build): skip the nvidia-smi check
#   TRELLIS2_COMMIT, CUMESH_COMMIT, FLEXGEMM_COMMIT, NVDIFFRAST_REF, FLASH_ATTN_VERSION: the pins
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="${KILN_VENV:-$REPO_ROOT/inference/.venv}"
SRC="${KILN_TRELLIS2_SRC:-$VENV/src}"
CUDA_HOME="${CUDA_HOME:-/usr/local/cuda-12.4}"
TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.9}"
MAX_JOBS="${MAX_JOBS:-4}"
FORCE="${KILN_FORCE:-0}"
NO_GPU="${KILN_INSTALL_NO_GPU:-0}"

TORCH_VERSION="2.6.0"
TORCHVISION_VERSION="0.21.0"
TORCH_INDEX="https://download.pytorch.org/whl/cu124"
FLASH_ATTN_VERSION="${FLASH_ATTN_VERSION:-2.7.3}"
TRELLIS2_URL="https://github.com/microsoft/TRELLIS.2.git"
TRELLIS2_COMMIT="${TRELLIS2_COMMIT:-5565d240c4a494caaf9ece7a554542b76ffa36d3}"
CUMESH_URL="https://github.com/JeffreyXiang/CuMesh.git"
CUMESH_COMMIT="${CUMESH_COMMIT:-cf1a2f07304b5fe388ed86a16e4a0474599df914}"
FLEXGEMM_URL="https://github.com/JeffreyXiang/FlexGEMM.git"
FLEXGEMM_COMMIT="${FLEXGEMM_COMMIT:-de6411284d20a6d41362db27a59a6923aeceebfe}" # v1.0.0
NVDIFFRAST_URL="https://github.com/NVlabs/nvdiffrast.git"
NVDIFFRAST_REF="${NVDIFFRAST_REF:-v0.4.0}"
# Runtime packages of the image-to-3D path. Upstream's setup.sh leaves them all unpinned; the two
# pinned here break TRELLIS.2 @ 5565d24 at their next major release (inference/tests/
# test_trellis2_install_pins.py checks these specifiers).
PYTHON_PACKAGES=(
  # transformers: DINOv3ViTModel arrived in 4.56. 5.x removes `DINOv3ViTModel.layer`, which
  # upstream's DinoV3FeatureExtractor.extract_features iterates (image_feature_extractor.py:86),
  # and fails to load RMBG-2.0 / BiRefNet (trust_remote_code) with a meta-tensor error; both are
  # reported upstream with fixes not merged at this commit.
  "transformers>=4.56,<5"
  # huggingface_hub: transformers 4.56-4.57 require >=0.34,<1.0 (pip would otherwise be free to
  # take 1.x for the other packages and then break transformers' import); 0.34 is also the first
  # release with the `hf` command models/README.md uses (1.x removed `huggingface-cli`).
  "huggingface_hub>=0.34,<1.0"
  safetensors accelerate
  kornia timm einops easydict tqdm
  opencv-python-headless imageio imageio-ffmpeg
  trimesh plyfile zstandard ninja
)

say() { printf '\n==> %s\n' "$*"; }
skip() { printf '    already installed: %s\n' "$*"; }
die() {
  printf '\ninstall_trellis2: error: %s\n' "$*" >&2
  exit 1
}
trap 'die "failed at line $LINENO (see the output above)"' ERR

# -- preflight -------------------------------------------------------------------------------------
say "Checking the machine"
command -v git >/dev/null || die "git is missing: sudo apt-get install -y git"
if [ "$NO_GPU" = 1 ]; then
  # An image build (inference/Dockerfile): no GPU at build time; compile for TORCH_CUDA_ARCH_LIST.
  echo "    KILN_INSTALL_NO_GPU=1: no GPU check; compiling for TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST"
else
  command -v nvidia-smi >/dev/null || die "nvidia-smi is missing: install the NVIDIA driver (550 or newer for CUDA 12.4)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/    GPU: /'
fi
[ -x "$CUDA_HOME/bin/nvcc" ] ||
  die "nvcc not found in CUDA_HOME=$CUDA_HOME: install CUDA Toolkit 12.4 (sudo apt-get install -y cuda-toolkit-12-4 from NVIDIA's repository) or set CUDA_HOME"
NVCC_RELEASE="$("$CUDA_HOME/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')"
case "$NVCC_RELEASE" in
  12.*) printf '    nvcc %s at %s\n' "$NVCC_RELEASE" "$CUDA_HOME" ;;
  *) die "CUDA Toolkit 12.x needed to build against torch cu124, found nvcc $NVCC_RELEASE in $CUDA_HOME" ;;
esac
command -v g++ >/dev/null || die "g++ is missing: sudo apt-get install -y build-essential"
[ -x "$VENV/bin/python" ] ||
  die "no virtual environment at $VENV: set up the sidecar first (python3.11 -m venv inference/.venv && inference/.venv/bin/pip install -e 'inference[dev]')"
PY="$VENV/bin/python"
PY_TAG="$("$PY" -c 'import sys; print(f"{sys.version_info.major}.{sys.version_info.minor}")')"
"$PY" -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
  die "Python.h for Python $PY_TAG is missing (needed to compile the extensions): sudo apt-get install -y python$PY_TAG-dev"
printf '    venv %s (Python %s), sources in %s\n' "$VENV" "$PY_TAG" "$SRC"

# -- the venv's build tools ------------------------------------------------------------------------
# Before anything is built: every extension below builds with --no-build-isolation, so with the
# venv's own setuptools, and the one a stock Ubuntu 22.04 venv seeds (59.x) builds nvdiffrast v0.4.0
# as UNKNOWN-0.0.0 (bootstrap_venv.sh says why). Not stamped: it is a no-op once done.
say "Build tools (pip, setuptools >= 64, wheel)"
"$SCRIPT_DIR/bootstrap_venv.sh" "$VENV"

export CUDA_HOME TORCH_CUDA_ARCH_LIST MAX_JOBS
export PATH="$CUDA_HOME/bin:$PATH"
mkdir -p "$SRC/.stamps"

pip_install() { "$PY" -m pip install --no-input --disable-pip-version-check "$@"; }
stamp_is() { [ "$FORCE" != 1 ] && [ -f "$SRC/.stamps/$1" ] && [ "$(cat "$SRC/.stamps/$1")" = "$2" ]; }
stamp() { printf '%s\n' "$2" >"$SRC/.stamps/$1"; }
imports() { "$PY" -c "import $1" >/dev/null 2>&1; }

# Clone url into dir (once) and check out ref, submodules included.
checkout() {
  local url="$1" dir="$2" ref="$3"
  if [ ! -d "$dir/.git" ]; then
    git clone --quiet "$url" "$dir"
  fi
  if ! git -C "$dir" rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
    git -C "$dir" fetch --quiet --tags origin
  fi
  git -C "$dir" checkout --quiet --detach "$ref"
  git -C "$dir" submodule update --quiet --init --recursive
}

# -- PyTorch ---------------------------------------------------------------------------------------
say "PyTorch $TORCH_VERSION (cu124)"
if [ "$FORCE" != 1 ] && [ "$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)" = "$TORCH_VERSION+cu124" ]; then
  skip "torch $TORCH_VERSION+cu124"
else
  pip_install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" --index-url "$TORCH_INDEX"
fi
"$PY" -c 'import torch; print("    CUDA visible to torch:", torch.cuda.is_available())'

# -- Python packages -------------------------------------------------------------------------------
say "Python packages"
PACKAGES_KEY="${PYTHON_PACKAGES[*]}"
if stamp_is python-packages "$PACKAGES_KEY"; then
  skip "${PYTHON_PACKAGES[*]}"
else
  pip_install "${PYTHON_PACKAGES[@]}"
  stamp python-packages "$PACKAGES_KEY"
fi

# -- flash-attn ------------------------------------------------------------------------------------
say "flash-attn $FLASH_ATTN_VERSION (TRELLIS.2's sparse attention backend)"
if [ "$FORCE" != 1 ] && [ "$("$PY" -c 'import flash_attn; print(flash_attn.__version__)' 2>/dev/null || true)" = "$FLASH_ATTN_VERSION" ]; then
  skip "flash-attn $FLASH_ATTN_VERSION"
else
  echo "    uses a prebuilt wheel when one matches torch/CUDA/Python, else compiles (can take an hour)"
  pip_install "flash-attn==$FLASH_ATTN_VERSION" --no-build-isolation
fi

# -- CUDA extensions -------------------------------------------------------------------------------
build_extension() {
  local name="$1" module="$2" url="$3" ref="$4" subdir="${5:-}"
  say "$name @ $ref"
  if stamp_is "$name" "$ref" && imports "$module"; then
    skip "$name"
    return
  fi
  checkout "$url" "$SRC/$name" "$ref"
  pip_install "$SRC/$name${subdir:+/$subdir}" --no-build-isolation --no-deps
  stamp "$name" "$ref"
}

build_extension nvdiffrast nvdiffrast.torch "$NVDIFFRAST_URL" "$NVDIFFRAST_REF"
build_extension CuMesh cumesh "$CUMESH_URL" "$CUMESH_COMMIT"
build_extension FlexGEMM flex_gemm "$FLEXGEMM_URL" "$FLEXGEMM_COMMIT"
# o-voxel's own dependency list names cumesh and flex_gemm as git URLs at their HEAD: --no-deps
# keeps the pinned builds above (its other dependencies are in PYTHON_PACKAGES).
build_extension TRELLIS.2 o_voxel "$TRELLIS2_URL" "$TRELLIS2_COMMIT" o-voxel

# -- TRELLIS.2 on the path -------------------------------------------------------------------------
say "TRELLIS.2 package path"
SITE_PACKAGES="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n' "$SRC/TRELLIS.2" >"$SITE_PACKAGES/kiln3d-trellis2.pth"
printf '    %s -> %s\n' "$SITE_PACKAGES/kiln3d-trellis2.pth" "$SRC/TRELLIS.2"

# -- verify ----------------------------------------------------------------------------------------
say "Verifying the imports"
verify_imports() {
  "$PY" - <<'EOF'
import huggingface_hub, transformers
print(f"    transformers {transformers.__version__}, huggingface_hub {huggingface_hub.__version__}")
assert int(transformers.__version__.split(".")[0]) < 5, "transformers 5.x breaks TRELLIS.2 (see PYTHON_PACKAGES)"
import torch
import cumesh, flex_gemm, flash_attn, nvdiffrast.torch, o_voxel.postprocess
from trellis2.pipelines import Trellis2ImageTo3DPipeline

print(f"    torch {torch.__version__}, CUDA {torch.version.cuda}, GPU available: {torch.cuda.is_available()}")
if torch.cuda.is_available():
    print(f"    {torch.cuda.get_device_name(0)}")
print(f"    flash-attn {flash_attn.__version__}; {Trellis2ImageTo3DPipeline.__module__} imports")
EOF
}
if [ "$NO_GPU" = 1 ]; then
  # Without the driver's libcuda an extension may refuse to import; the container's start checks again.
  verify_imports || echo "    (some imports need the NVIDIA driver: checked again when the container starts)"
else
  verify_imports
fi

say "What the sidecar's INFERENCE_ENGINE=auto probe says now"
(cd "$REPO_ROOT/inference" && "$PY" -c 'from kiln3d_inference.engines.trellis2 import trellis2_available as probe; from kiln3d_inference.settings import Settings; ok, why = probe(Settings()); print(f"    {ok}: {why}")' 2>/dev/null) ||
  echo "    (the probe could not run: are the sidecar's dependencies in this venv? pip install -e 'inference[dev]')"
trap - ERR
say "Done. Weights: see models/README.md (hf download: $VENV/bin/hf); then INFERENCE_ENGINE=trellis2 (or auto)."
