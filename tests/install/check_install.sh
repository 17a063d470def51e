#!/usr/bin/env bash
# check_install.sh BUILD_DIR CONSUMER_SOURCE WORK_DIR - install gradtap from
# BUILD_DIR into WORK_DIR/prefix, then build and run the consumer program with
# CMake's find_package(gradtap) and again with pkg-config; the installed
# `gradtap` command must run as installed.
set -euo pipefail
build_dir="$1" consumer="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build_dir" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/include/gradtap/format.h"
test -f "$work/prefix/include/gradtap/status.h"
# the libraries export their public API and nothing else
bash "$(dirname "${BASH_SOURCE[0]}")/exported_symbols.sh" "$work/prefix"
# the installed command and libraries find each other without LD_LIBRARY_PATH, also once moved
cp -a "$work/prefix" "$work/moved"
env -u LD_LIBRARY_PATH "$work/moved/bin/gradtap" --version >/dev/null
# ... and the installed tool is complete: the demo, run from a directory of
# the user's outside the sources, draws its figures with the plotting module
# installed under the prefix's share/ (not the source tree's)
mkdir -p "$work/user"
(cd "$work/user" && env -u GRADTAP_NOTEBOOKS -u PYTHONPATH "$work/moved/bin/gradtap" demo --quick >"$work/demo.log" 2>&1) ||
  { tail -5 "$work/demo.log" >&2; echo "install_consumers: the installed demo failed" >&2; exit 1; }
test -s "$work/user/gradtap-demo/figures/bounds.png"
grep -q "plotting module: $work/moved/share/gradtap/notebooks/gtplots" "$work/user/gradtap-demo/logs/figures.txt" ||
  { echo "install_consumers: the installed demo did not use the installed plotting module" >&2; exit 1; }
# the installed Python package finds the installed library by itself
(cd "$work/user" && env -u GRADTAP_LIBDIR PYTHONPATH="$work/moved/share/gradtap/python" \
  "${GRADTAP_PYTHON:-/usr/bin/python3}" -c 'import gradtap; gradtap.GradtapError')

cmake -S "$consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log"
cmake --build "$work/cmake-build" >"$work/build.log"
"$work/cmake-build/consumer" "$work/from-cmake.h5"
# a consumer of the capture library on a machine without CUDA or MPI (or
# HDF5's and GSL's CMake files): find_package(gradtap) must not need them
cmake -S "$consumer" -B "$work/cmake-bare" -DCMAKE_PREFIX_PATH="$work/prefix" \
      -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON \
      -DCMAKE_DISABLE_FIND_PACKAGE_HDF5=ON -DCMAKE_DISABLE_FIND_PACKAGE_GSL=ON >"$work/configure-bare.log"
cmake --build "$work/cmake-bare" >"$work/build-bare.log"
"$work/cmake-bare/consumer" "$work/from-cmake-bare.h5"
# internal headers are not installed
if [ -e "$work/prefix/include/gradtap/gsl_quiet.h" ]; then
  echo "install_consumers: the internal header gsl_quiet.h is installed" >&2; exit 1
fi

libdir="$(ls -d "$work/prefix"/lib*/pkgconfig | head -1)"
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 "$consumer/consumer.c" -o "$work/consumer-pc" $(pkg-config --cflags --libs gradtap) \
   -Wl,-rpath,"$(dirname "$libdir")"
"$work/consumer-pc" "$work/from-pkgconfig.h5"
echo "install_consumers: find_package and pkg-config consumers built and ran"
