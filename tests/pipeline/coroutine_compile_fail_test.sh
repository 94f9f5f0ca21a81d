#!/usr/bin/env bash
# Compile-fail test for pipeline/coroutine.hpp's rules that are checked at compile time.
#
# Each snippet in compile_fail/ is compiled with -fsyntax-only:
#   bad_*.cc  must be rejected, with the text of its `// expect-error: TEXT` line in the
#             compiler's output (the static_assert's message, so users are told what to do);
#   good_*.cc must compile.
# The compiler is $CXX; when CXX is unset, g++ and (if installed) clang++-14 are both tried.
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
snippets="${root}/tests/pipeline/compile_fail"

if [[ -n "${CXX:-}" ]]; then
  compilers=("${CXX}")
else
  compilers=(g++)
  if command -v clang++-14 >/dev/null; then compilers+=(clang++-14); fi
fi

shopt -s nullglob
files=("${snippets}"/bad_*.cc "${snippets}"/good_*.cc)
if ((${#files[@]} == 0)); then
  echo "no snippets found in ${snippets}" >&2
  exit 1
fi

passed=0
failed=0
log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

for cxx in "${compilers[@]}"; do
  for file in "${files[@]}"; do
    name="$(basename "${file}")"
    if "${cxx}" -std=c++20 -fsyntax-only -I"${root}" "${file}" >"${log}" 2>&1; then
      compiled=1
    else
      compiled=0
    fi
    case "${name}" in
      bad_*)
        expected="$(sed -n 's|^// expect-error: ||p' "${file}" | head -n 1)"
        if [[ -z "${expected}" ]]; then
          echo "FAIL ${cxx} ${name}: no '// expect-error:' line" >&2
          failed=$((failed + 1))
        elif ((compiled)); then
          echo "FAIL ${cxx} ${name}: compiled, but must be rejected" >&2
          failed=$((failed + 1))
        elif ! grep -qF -- "${expected}" "${log}"; then
          echo "FAIL ${cxx} ${name}: rejected without the message '${expected}':" >&2
          head -n 40 "${log}" >&2
          failed=$((failed + 1))
        else
          echo "ok   ${cxx} ${name}: rejected with '${expected}'"
          passed=$((passed + 1))
        fi
        ;;
      good_*)
        if ((compiled)); then
          echo "ok   ${cxx} ${name}: compiles"
          passed=$((passed + 1))
        else
          echo "FAIL ${cxx} ${name}: must compile:" >&2
          head -n 40 "${log}" >&2
          failed=$((failed + 1))
        fi
        ;;
    esac
  done
done

echo "${passed} passed, ${failed} failed"
((failed == 0))
