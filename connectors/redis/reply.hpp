// coflow/connectors/redis/reply.hpp
//
// redis::reply: a server's reply as a value (a string, an integer, nil, a status, an error, or
// an array of replies), copied out of hiredis's reply object so that nothing outlives it.
//
//   coflow::redis::reply r = c.command({"XLEN", "readings"});
//   long long n = r.as_integer();        // redis::error if the reply is not an integer
//
// Semantics: `kind` says which member holds the value. The accessors check the kind and throw
//   redis::error (from connection.hpp) naming what was expected, so that a reply of an
//   unexpected shape is a clear error, never undefined behaviour.
// Cost: one copy of the reply's strings.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace coflow::redis {

struct reply {
  enum class kind { string, array, integer, nil, status, error };

  kind type = kind::nil;
  std::string text;  // string, status or error
  long long integer = 0;
  std::vector<reply> elements;

  [[nodiscard]] bool is_nil() const { return type == kind::nil; }
  [[nodiscard]] bool is_error() const { return type == kind::error; }
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] long long as_integer() const;
  [[nodiscard]] const std::vector<reply>& as_array() const;
  /// at(i) is element i of an array reply; throws redis::error when it has no such element.
  [[nodiscard]] const reply& at(std::size_t i) const;
};

}  // namespace coflow::redis
