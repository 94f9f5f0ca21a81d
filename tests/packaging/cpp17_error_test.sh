#!/usr/bin/env bash
# The C++20 check (pipeline/detail/require_cpp20.hpp): a translation unit that includes a coflow
# header without C++20 must fail with the one line that says what to do, and with no cascade of
# errors after it. Checked with g++ and clang++-14, as C++17, C++14 and the compiler's default
# mode (gnu++17 for g++ 12, gnu++14 for clang 14), for the umbrella header and for single
# headers. As a control, the same includes compile as C++20.
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi

message="coflow requires C++20: compile with -std=c++20 or later"
# The #error line and the missing include after it are the two diagnostics; any more means that
# the compiler went on into the library.
max_diagnostics=3
max_lines=12

compilers=(g++)
if command -v clang++-14 >/dev/null; then compilers+=(clang++-14); fi
headers=(coflow.hpp pipeline/coroutine.hpp operators/filter.hpp pipeline/ranges/through.hpp)

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
passed=0
failed=0

for cxx in "${compilers[@]}"; do
  for header in "${headers[@]}"; do
    src="${work}/main.cc"
    printf '#include "%s"\nint main() { return 0; }\n' "${header}" >"${src}"
    for std in -std=c++17 -std=c++14 ""; do
      what="${cxx} ${std:-(default mode)} #include \"${header}\""
      log="${work}/log"
      if "${cxx}" ${std} -fsyntax-only -I"${root}" "${src}" >"${log}" 2>&1; then
        echo "FAIL ${what}: compiled, but must be rejected"
        failed=$((failed + 1))
        continue
      fi
      diagnostics=$(grep -cE '(error|warning):' "${log}")
      lines=$(wc -l <"${log}")
      if ! grep -qF -- "${message}" "${log}"; then
        echo "FAIL ${what}: rejected without '${message}':"
        head -n 20 "${log}"
        failed=$((failed + 1))
      elif ((diagnostics > max_diagnostics || lines > max_lines)); then
        echo "FAIL ${what}: ${diagnostics} diagnostics in ${lines} lines (at most" \
          "${max_diagnostics} in ${max_lines}):"
        head -n 30 "${log}"
        failed=$((failed + 1))
      else
        echo "ok   ${what}: stopped with ${diagnostics} diagnostics in ${lines} lines"
        passed=$((passed + 1))
      fi
    done
    what="${cxx} -std=c++20 #include \"${header}\""
    if "${cxx}" -std=c++20 -fsyntax-only -I"${root}" "${src}" >"${work}/log" 2>&1; then
      echo "ok   ${what}: compiles"
      passed=$((passed + 1))
    else
      echo "FAIL ${what}: does not compile as C++20:"
      head -n 30 "${work}/log"
      failed=$((failed + 1))
    fi
  done
done

echo "${passed} passed, ${failed} failed"
((failed == 0))
