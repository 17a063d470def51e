#!/usr/bin/env bash
# bootstrap.sh - install every system dependency of gradtap from Debian
# packages, then configure and build. Idempotent: quiet when everything is
# present and the build is up to date.
#
#   scripts/bootstrap.sh [--build-dir DIR] [--sanitize LIST] [--targets "T ..."] [--no-build] [--deps-only]
#
# --targets builds only the named CMake targets (the ThreadSanitizer pass
# needs only the capture tests).
#
# The Python side uses Debian's interpreter (/usr/bin/python3) with Debian's
# python3-* packages (numpy, h5py, torch 1.13 CPU, matplotlib, pytest,
# nbconvert): CMake's GRADTAP_PYTHON defaults to it.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo_root/build"
sanitize=""
do_build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --sanitize) sanitize="$2"; shift 2 ;;
    --targets) read -r -a targets <<<"$2"; shift 2 ;;
    --no-build|--deps-only) do_build=0; shift ;;
    *) echo "bootstrap.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config zlib1g-dev
  libhdf5-dev hdf5-tools hdf5-filter-plugin
  libgsl-dev libcunit1-dev libopenblas-dev
  libopenmpi-dev openmpi-bin
  python3 python3-venv python3-numpy python3-h5py python3-torch python3-matplotlib python3-pandas python3-pytest
  python3-nbconvert python3-nbformat python3-ipykernel jupyter-nbconvert
  python3-scipy poppler-utils dataset-fashion-mnist
)

missing=()
for package in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
  if [ "$status" != "install ok installed" ]; then missing+=("$package"); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${#missing[@]} Debian package(s): ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "bootstrap: packages installed" >&2
fi

[ "$do_build" -eq 1 ] || exit 0

# nvcc lives outside PATH in the standard CUDA install; CUDA code is built
# whenever nvcc exists (it needs no GPU to compile).
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

jobs="$(nproc 2>/dev/null || echo 2)"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake_args=(-S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release)
  if [ -n "$sanitize" ]; then
    cmake_args+=(-DGRADTAP_SANITIZE="$sanitize" -DGRADTAP_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
    # The ThreadSanitizer build leaves MPI out (Open MPI is not instrumented;
    # the capture tests need none), which keeps the MPI-free configuration
    # building as well.
    case "$sanitize" in *thread*) cmake_args+=(-DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON) ;; esac
  fi
  echo "bootstrap: configuring $build_dir" >&2
  cmake "${cmake_args[@]}" >"$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log" >&2; exit 3; }
fi
build_log="$(mktemp)"
target_args=()
if [ ${#targets[@]} -gt 0 ]; then target_args=(--target "${targets[@]}"); fi
if ! cmake --build "$build_dir" -j "$jobs" "${target_args[@]}" >"$build_log" 2>&1; then
  grep -E "error|Error" "$build_log" | head -40 >&2
  echo "bootstrap: build failed (full log: $build_log)" >&2
  exit 3
fi
rm -f "$build_log"
