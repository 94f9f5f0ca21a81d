// Tests for operators/print.hpp.
#include "operators/print.hpp"

#include <gtest/gtest.h>

#include <ios>
#include <range/v3/view/iota.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <type_traits>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

static_assert(coflow::sink_description<sinks::print_sink>);
static_assert(std::is_void_v<decltype(coflow::run(std::vector{1},
                                                  sinks::print(std::declval<std::ostream&>())))>);

template <class T>
class PrintTyped : public ::testing::Test {};
using printable_types = ::testing::Types<int, double, std::string>;
TYPED_TEST_SUITE(PrintTyped, printable_types);

template <class T>
T sample(int i) {
  if constexpr (std::is_same_v<T, std::string>) {
    return "s" + std::to_string(i);
  } else if constexpr (std::is_same_v<T, double>) {
    return i + 0.25;
  } else {
    return i;
  }
}

TYPED_TEST(PrintTyped, WritesEachValueFollowedByTheSeparator) {
  std::ostringstream os;
  coflow::run(std::vector{sample<TypeParam>(1), sample<TypeParam>(2)}, sinks::print(os, ","));
  std::ostringstream expected;
  expected << sample<TypeParam>(1) << ',' << sample<TypeParam>(2) << ',';
  EXPECT_EQ(os.str(), expected.str());
}

TYPED_TEST(PrintTyped, ThroughAnOpenedPipeline) {
  std::ostringstream os;
  auto p = coflow::open<TypeParam>(sinks::print(os));
  p.send(sample<TypeParam>(3));
  EXPECT_FALSE(p.done());
  p.close();
  std::ostringstream expected;
  expected << sample<TypeParam>(3) << '\n';
  EXPECT_EQ(os.str(), expected.str());
}

TEST(Print, DefaultSeparatorIsANewline) {
  std::ostringstream os;
  coflow::run(std::vector{1, 2, 3}, sinks::print(os));
  EXPECT_EQ(os.str(), "1\n2\n3\n");
}

TEST(Print, EmptySeparator) {
  std::ostringstream os;
  coflow::run(std::vector{1, 2, 3}, sinks::print(os, ""));
  EXPECT_EQ(os.str(), "123");
}

TEST(Print, EmptyStreamWritesNothing) {
  std::ostringstream os;
  coflow::run(std::vector<int>{}, sinks::print(os));
  EXPECT_EQ(os.str(), "");
}

TEST(Print, FedByARangeV3View) {
  std::ostringstream os;
  coflow::run(ranges::views::iota(1, 4), sinks::print(os, " "));
  EXPECT_EQ(os.str(), "1 2 3 ");
}

TEST(Print, EndsAComposedPipeline) {
  std::ostringstream os;
  coflow::run(ranges::views::iota(0), ops::filter([](int x) { return x % 2 == 1; }) |
                                          ops::transform([](int x) { return x * 1.5; }) |
                                          ops::take(2) | sinks::print(os, ";"));
  EXPECT_EQ(os.str(), "1.5;4.5;");
}

TEST(Print, DescriptionCanBeRunTwiceOnTheSameStream) {
  std::ostringstream os;
  auto p = sinks::print(os, ",");
  coflow::run(std::vector{1}, p);
  coflow::run(std::vector{2}, p);
  EXPECT_EQ(os.str(), "1,2,");
}

// A stream buffer that refuses every write.
class failing_buffer : public std::streambuf {
 protected:
  int_type overflow(int_type) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};

TEST(Print, StreamExceptionReachesTheCaller) {
  failing_buffer buffer;
  std::ostream os(&buffer);
  os.exceptions(std::ios_base::badbit);
  EXPECT_THROW(coflow::run(std::vector{1}, sinks::print(os)), std::ios_base::failure);
}

TEST(Print, FailingStreamWithoutExceptionsIsLeftBad) {
  failing_buffer buffer;
  std::ostream os(&buffer);
  coflow::run(std::vector{1}, sinks::print(os));
  EXPECT_TRUE(os.bad());
}

}  // namespace
