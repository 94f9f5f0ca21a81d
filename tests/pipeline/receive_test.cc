// Tests of pipeline/receive.hpp's operands of co_yield that build values: emit<T>(fields...)
// and make<T>(fields...), the forms that gcc 12 compiles correctly for a temporary aggregate
// with a destructor (a braced temporary inside the co_yield expression is destroyed twice
// there). They run under AddressSanitizer in CI, which reports a double free at once.
#include "pipeline/receive.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/coroutine.hpp"

namespace {

// An aggregate whose members own heap memory: long strings defeat the small-string buffer.
struct record {
  std::string key;
  std::string note;
  double value;

  bool operator==(const record&) const = default;
};

std::string long_text(const char* prefix, int i) {
  return std::string(prefix) + " long enough to live on the heap, number " + std::to_string(i);
}

coflow::coroutine<int, record> split_fields() {
  while (auto v = co_yield coflow::receive) {
    co_yield coflow::emit<record>(long_text("key", *v), long_text("note", *v), *v * 1.5);
    co_yield coflow::emit<record>(long_text("again", *v), std::string("x"), 0.0);
  }
}

TEST(Emit, BuildsAnAggregateFromItsFieldsOutsideTheBody) {
  auto c = split_fields();
  c.start();
  std::vector<record> out;
  for (int i = 0; i < 3; ++i) c.send(i, [&](record r) { out.push_back(std::move(r)); });
  c.close();
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[2], (record{long_text("key", 1), long_text("note", 1), 1.5}));
  EXPECT_EQ(out[5], (record{long_text("again", 2), "x", 0.0}));
}

coflow::coroutine<int, record> emit_named_local() {
  while (auto v = co_yield coflow::receive) {
    record r{long_text("named", *v), long_text("moved", *v), 2.0};
    co_yield coflow::emit(std::move(r));
    co_yield coflow::emit(r);  // a moved-from lvalue is copied: still a valid string
  }
}

TEST(Emit, MovesANamedLocalAndCopiesAnLvalue) {
  auto c = emit_named_local();
  c.start();
  std::vector<record> out;
  c.send(7, [&](record r) { out.push_back(std::move(r)); });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].key, long_text("named", 7));
  EXPECT_EQ(out[1].value, 2.0);
}

record make_record(int i) {
  return record{long_text("made", i), long_text("by a function", i), 3.0};
}

coflow::coroutine<int, record> emit_function_result() {
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(make_record(*v));
}

TEST(Emit, TakesAValueAFunctionReturned) {
  auto c = emit_function_result();
  c.start();
  std::vector<record> out;
  for (int i = 0; i < 2; ++i) c.send(i, [&](record r) { out.push_back(std::move(r)); });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], make_record(1));
}

// The reply's twin: make<T>(fields...) builds the reply outside the co_yield expression.
coflow::coroutine<int, record> reply_fields() {
  int last = 0;
  while (auto v = co_yield coflow::make<record>(long_text("reply", last), long_text("to", last),
                                                static_cast<double>(last))) {
    last = *v;
  }
}

TEST(Make, BuildsAReplyFromItsFields) {
  auto c = reply_fields();
  EXPECT_EQ(c.start(), (record{long_text("reply", 0), long_text("to", 0), 0.0}));
  EXPECT_EQ(c.send(4), (record{long_text("reply", 4), long_text("to", 4), 4.0}));
  EXPECT_EQ(c.send(9), (record{long_text("reply", 9), long_text("to", 9), 9.0}));
  c.close();
}

TEST(Make, BuildsValuesWithBraces) {
  EXPECT_EQ(coflow::make<record>("k", "n", 1.0), (record{"k", "n", 1.0}));
  // Braces, as for an aggregate: a container takes its arguments as elements.
  EXPECT_EQ(coflow::make<std::vector<int>>(3, 4), (std::vector<int>{3, 4}));
}

}  // namespace
