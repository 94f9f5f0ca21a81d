#!/usr/bin/env bash
# Builds and runs the same small program (main.cc) the four ways a project can use coflow, each
# in a temporary folder, offline, and compares its output with expected_output.txt:
#   cmake find_package  install coflow with CMake into a temporary prefix, then
#                       find_package(coflow <version> EXACT CONFIG REQUIRED)
#   pkg-config          g++ -std=c++20 $(pkg-config --cflags coflow) against that prefix
#   cmake subdirectory  add_subdirectory(<coflow's source tree>)
#   bazel workspace     a second Bazel workspace: local_repository + coflow_dependencies()
# and a program that links the Redis connector (redis_main.cc, no server needed) the first
# three ways, compared with redis_expected_output.txt:
#   cmake find_package redis  find_package(coflow ... COMPONENTS redis), coflow::redis
#   pkg-config redis          g++ -std=c++20 redis_main.cc $(pkg-config --cflags --libs coflow-redis)
#   cmake subdirectory redis  coflow::redis built from the source tree with COFLOW_REDIS=ON
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
cp "${here}/redis_expected_output.txt" "${tmp}/redis_expected"

passed=0
failed=0

# check NAME LOG COMMAND...: runs COMMAND... LOG, which builds and runs a consumer (its build
# output goes to LOG, the program's to LOG.out), then
# compares LOG.out with the expected output ($expected, main.cc's unless set otherwise).
expected="${tmp}/expected"
check() {
  local name=$1 log=$2
  shift 2
  if ! "$@" "${log}" >"${log}" 2>&1; then
    echo "FAIL ${name}: the build or the run failed:"
    tail -n 30 "${log}"
    failed=$((failed + 1))
  elif ! diff -u "${expected}" "${log}.out"; then
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
  cmake -S "${coflow}" -B "${tmp}/coflow-build" -DCOFLOW_REDIS=ON &&
    cmake --build "${tmp}/coflow-build" --parallel 2 &&
    cmake --install "${tmp}/coflow-build" --prefix "${prefix}" &&
    package_files_by_architecture &&
    cmake -S "${here}/cmake_find_package" -B "${tmp}/find_package-build" \
      -DCMAKE_PREFIX_PATH="${prefix}" -DCOFLOW_EXPECTED_VERSION="${version}" &&
    cmake --build "${tmp}/find_package-build" &&
    "${tmp}/find_package-build/consumer" >"$1.out"
}

# Installed with the connector (a compiled library), the package files are in lib/cmake/, and
# the version file rejects a consumer of another pointer size (it does not skip that check, as
# an architecture-independent one does: `if("TRUE") return()`); nothing is left in share/cmake/.
package_files_by_architecture() {
  local dir="${prefix}/lib/cmake/coflow"
  [[ -f "${dir}/coflowRedisTargets.cmake" && -f "${dir}/coflowConfig.cmake" ]] &&
    ! grep -q '^if("TRUE")$' "${dir}/coflowConfigVersion.cmake" &&
    [[ ! -e "${prefix}/share/cmake/coflow" ]] || {
    echo "the package files are not where a compiled component puts them:"
    find "${prefix}" -name '*.cmake'
    return 1
  }
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
    -DCOFLOW_SOURCE_DIR="${coflow}" -DCOFLOW_REDIS=ON &&
    cmake --build "${tmp}/subdirectory-build" --parallel 2 &&
    "${tmp}/subdirectory-build/consumer" >"$1.out"
}

find_package_redis() {
  cmake -S "${here}/cmake_find_package_redis" -B "${tmp}/find_package_redis-build" \
    -DCMAKE_PREFIX_PATH="${prefix}" -DCOFLOW_EXPECTED_VERSION="${version}" &&
    cmake --build "${tmp}/find_package_redis-build" &&
    "${tmp}/find_package_redis-build/redis_consumer" >"$1.out"
}

# The connector's .pc file is in lib/pkgconfig (a compiled library), coflow.pc in share/; the
# library is static, so it comes after the program on the command line.
pkg_config_redis() {
  local path="${prefix}/share/pkgconfig:${prefix}/lib/pkgconfig" flags
  flags=$(PKG_CONFIG_PATH="${path}" pkg-config --cflags --libs coflow-redis) &&
    [[ $(PKG_CONFIG_PATH="${path}" pkg-config --modversion coflow-redis) == "${version}" ]] &&
    echo "flags: ${flags}" &&
    g++ -std=c++20 "${here}/redis_main.cc" ${flags} -o "${tmp}/pkg-config-redis-consumer" &&
    "${tmp}/pkg-config-redis-consumer" >"$1.out"
}

subdirectory_redis() {
  "${tmp}/subdirectory-build/redis_consumer" >"$1.out"
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

expected="${tmp}/redis_expected"
check "cmake find_package redis" "${tmp}/find_package_redis.log" find_package_redis
check "pkg-config redis" "${tmp}/pkg-config-redis.log" pkg_config_redis
check "cmake subdirectory redis" "${tmp}/subdirectory_redis.log" subdirectory_redis

# Without hiredis (pkg-config looking in an empty folder): COFLOW_REDIS=ON stops with a message
# that says so, AUTO installs coflow without the connector, and a find_package that asks for
# the connector there fails with a message that says why.
redis_missing() {
  local empty="${tmp}/no-pkgconfig"
  mkdir -p "${empty}"
  if PKG_CONFIG_LIBDIR="${empty}" cmake -S "${coflow}" -B "${tmp}/on-build" -DCOFLOW_REDIS=ON \
    >"${tmp}/on.log" 2>&1 || ! grep -q "hiredis was not found" "${tmp}/on.log"; then
    echo "COFLOW_REDIS=ON without hiredis did not stop with the expected message:"
    cat "${tmp}/on.log"
    return 1
  fi
  PKG_CONFIG_LIBDIR="${empty}" cmake -S "${coflow}" -B "${tmp}/auto-build" &&
    cmake --install "${tmp}/auto-build" --prefix "${tmp}/prefix-no-redis" &&
    [[ -f "${tmp}/prefix-no-redis/share/cmake/coflow/coflowConfig.cmake" ]] &&
    grep -q '^if("TRUE")$' "${tmp}/prefix-no-redis/share/cmake/coflow/coflowConfigVersion.cmake" &&
    [[ -z $(find "${tmp}/prefix-no-redis" -name coflowRedisTargets.cmake) ]] || return 1
  if cmake -S "${here}/cmake_find_package_redis" -B "${tmp}/find_package_no_redis-build" \
    -DCMAKE_PREFIX_PATH="${tmp}/prefix-no-redis" -DCOFLOW_EXPECTED_VERSION="${version}" \
    >"${tmp}/no-redis.log" 2>&1 ||
    ! grep -q "installed without its Redis connector" "${tmp}/no-redis.log"; then
    echo "find_package(coflow COMPONENTS redis) did not fail as expected:"
    cat "${tmp}/no-redis.log"
    return 1
  fi
  cp "${expected}" "$1.out"
}
check "redis connector missing" "${tmp}/redis_missing.log" redis_missing

echo "${passed} passed, ${failed} failed"
((failed == 0))
