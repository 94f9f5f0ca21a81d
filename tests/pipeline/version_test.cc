// Tests for pipeline/version.hpp: the macros, coflow::version and coflow::version_string agree.
#include "pipeline/version.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

static_assert(COFLOW_VERSION ==
              COFLOW_VERSION_MAJOR * 10000 + COFLOW_VERSION_MINOR * 100 + COFLOW_VERSION_PATCH);
static_assert(coflow::version.major == COFLOW_VERSION_MAJOR);
static_assert(coflow::version.minor == COFLOW_VERSION_MINOR);
static_assert(coflow::version.patch == COFLOW_VERSION_PATCH);
static_assert(coflow::version >= coflow::version_info{0, 3, 0});
static_assert(coflow::version_info{0, 3, 1} > coflow::version_info{0, 2, 9});
static_assert(coflow::version_info{1, 0, 0} > coflow::version_info{0, 99, 99});

#if COFLOW_VERSION < 300
#error "COFLOW_VERSION must be usable in #if"
#endif

TEST(Version, StringSpellsTheNumbers) {
  EXPECT_EQ(std::string(coflow::version_string), std::to_string(COFLOW_VERSION_MAJOR) + '.' +
                                                     std::to_string(COFLOW_VERSION_MINOR) + '.' +
                                                     std::to_string(COFLOW_VERSION_PATCH));
}

TEST(Version, StringHasNoTrailingCharacters) {
  EXPECT_EQ(coflow::version_string.find('\0'), std::string_view::npos);
  EXPECT_EQ(coflow::version_string.size(), coflow::version_string.find_last_of("0123456789") + 1);
}

}  // namespace
