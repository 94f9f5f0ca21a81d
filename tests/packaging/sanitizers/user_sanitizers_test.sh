#!/usr/bin/env bash
# A user's program (user_program.cc, which includes coflow.hpp and instantiates views::through
# and feed) built with the sanitizer flags users pass by hand, with g++ and clang++-14, and run:
# the library's headers must compile and run clean under each. coflow's own Bazel sanitizer
# configurations add flags of their own; this checks the plain ones.
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fi
program="${root}/tests/packaging/sanitizers/user_program.cc"

configs=("g++ -O1 -fsanitize=address,undefined")
if command -v clang++-14 >/dev/null; then
  configs+=("clang++-14 -O1 -fsanitize=address,undefined" "clang++-14 -O2 -fsanitize=undefined")
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
passed=0
failed=0
for config in "${configs[@]}"; do
  # shellcheck disable=SC2086 # the configuration is a compiler and its flags
  if ! ${config} -std=c++20 -g -fno-sanitize-recover=all -I"${root}" "${program}" \
    -o "${work}/program" >"${work}/log" 2>&1; then
    echo "FAIL ${config}: does not compile"
    head -n 20 "${work}/log"
    failed=$((failed + 1))
    continue
  fi
  if out="$("${work}/program" 2>&1)" && [[ "${out}" == "ok" ]]; then
    echo "ok   ${config}"
    passed=$((passed + 1))
  else
    echo "FAIL ${config}: ${out}"
    failed=$((failed + 1))
  fi
done
echo "${passed} passed, ${failed} failed"
((failed == 0))
