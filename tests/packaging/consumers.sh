#!/usr/bin/env bash
# Builds and runs the same small program (main.cc) the four ways a project can use coflow, each
# in a temporary folder, offline, and compares its output with expected_output.txt:
#   cmake find_package  install coflow with CMake into a temporary prefix, then
#                       find_package(coflow <version> EXACT CONFIG REQUIRED)
#   pkg-config          g++ -std=c++20 $(pkg-config --cflags coflow) against that prefix
#   cmake subdirectory  add_subdirectory(<coflow's source tree>)
#   bazel workspace     a second Bazel workspace: local_repository + coflow_dependencies()
# Prints a line per consumer and ends with "N passed, N failed"; exits non-zero on a failure.
# Needs cmake, pkg-config, g++ and Bazel (./bazelw installs them). Run from anywhere:
#   bash tests/packaging/consumers.sh
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
coflow="$(cd "${here}/../.." && pwd)"
tmp="$(mktemp -d)"
consumer_workspace=""

cleanup() {
  if [[ -n "${consumer_workspace}" && -d "${consumer_workspace}" ]]; then
    (cd "${consumer_workspace}" && bazel --output_user_root="${tmp}/bazel_root" shutdown) \
      >/dev/null 2>&1
  fi
  chmod -R u+w "${tmp}" 2>/dev/null
  rm -rf "${tmp}"
}
trap cleanup EXIT

version_part() {
  sed -n "s/^#define COFLOW_VERSION_$1 \\([0-9]*\\)\$/\\1/p" "${coflow}/pipeline/version.hpp"
}
major=$(version_part MAJOR)
minor=$(version_part MINOR)
patch=$(version_part PATCH)
version="${major}.${minor}.${patch}"
{
  echo "coflow ${version} ($((major * 10000 + minor * 100 + patch)))"
  cat "${here}/expected_output.txt"
} >"${tmp}/expected"

passed=0
failed=0

# check NAME LOG COMMAND...: runs COMMAND... LOG, which builds and runs a consumer (its build
# output goes to LOG, the program's to LOG.out), then
# compares LOG.out with the expected output.
check() {
  local name=$1 log=$2
  shift 2
  if ! "$@" "${log}" >"${log}" 2>&1; then
    echo "FAIL ${name}: the build or the run failed:"
    tail -n 30 "${log}"
    failed=$((failed + 1))
  elif ! diff -u "${tmp}/expected" "${log}.out"; then
    echo "FAIL ${name}: unexpected output (above)"
    failed=$((failed + 1))
  else
    echo "ok   ${name}: $(sed -n 2p "${log}.out")"
    passed=$((passed + 1))
  fi
}

# Each step function builds a consumer and runs it into $1.out.
prefix="${tmp}/prefix"

install_and_find_package() {
  cmake -S "${coflow}" -B "${tmp}/coflow-build" &&
    cmake --install "${tmp}/coflow-build" --prefix "${prefix}" &&
    cmake -S "${here}/cmake_find_package" -B "${tmp}/find_package-build" \
      -DCMAKE_PREFIX_PATH="${prefix}" -DCOFLOW_EXPECTED_VERSION="${version}" &&
    cmake --build "${tmp}/find_package-build" &&
    "${tmp}/find_package-build/consumer" >"$1.out"
}

pkg_config() {
  local cflags
  cflags=$(PKG_CONFIG_PATH="${prefix}/share/pkgconfig" pkg-config --cflags --libs coflow) &&
    [[ $(PKG_CONFIG_PATH="${prefix}/share/pkgconfig" pkg-config --modversion coflow) == "${version}" ]] &&
    echo "cflags: ${cflags}" &&
    g++ -std=c++20 ${cflags} "${here}/main.cc" -o "${tmp}/pkg-config-consumer" &&
    "${tmp}/pkg-config-consumer" >"$1.out"
}

subdirectory() {
  cmake -S "${here}/cmake_subdirectory" -B "${tmp}/subdirectory-build" \
    -DCOFLOW_SOURCE_DIR="${coflow}" &&
    cmake --build "${tmp}/subdirectory-build" &&
    "${tmp}/subdirectory-build/consumer" >"$1.out"
}

bazel_workspace() {
  consumer_workspace="${tmp}/bazel_workspace"
  mkdir -p "${consumer_workspace}" &&
    sed "s|@COFLOW_PATH@|${coflow}|" "${here}/bazel_workspace/WORKSPACE.in" \
      >"${consumer_workspace}/WORKSPACE" &&
    cp "${here}/bazel_workspace/BUILD.in" "${consumer_workspace}/BUILD" &&
    cp "${here}/bazel_workspace/bazelrc" "${consumer_workspace}/.bazelrc" &&
    cp "${here}/main.cc" "${consumer_workspace}/main.cc" &&
    (cd "${consumer_workspace}" &&
      bazel --output_user_root="${tmp}/bazel_root" run --jobs=2 \
        --disk_cache=~/.cache/coflow-bazel-disk --spawn_strategy=processwrapper-sandbox \
        //:consumer) >"$1.out"
}

check "cmake find_package" "${tmp}/find_package.log" install_and_find_package
check "pkg-config" "${tmp}/pkg-config.log" pkg_config
check "cmake subdirectory" "${tmp}/subdirectory.log" subdirectory
check "bazel workspace" "${tmp}/bazel.log" bazel_workspace

echo "${passed} passed, ${failed} failed"
((failed == 0))
