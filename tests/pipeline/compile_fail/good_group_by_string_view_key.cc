// A std::string_view key is copied into a std::string, so it may view the value.
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "operators/group_by.hpp"
#include "operators/null.hpp"
#include "pipeline/compose.hpp"

void groups_by_a_string_view() {
  auto key = [](const std::string& s) { return std::string_view(s).substr(0, 1); };
  auto node = coflow::bind_chain<std::string>(coflow::sinks::group_by(key, coflow::sinks::null()));
  static_assert(std::is_same_v<decltype(node.finish()), std::map<std::string, std::monostate>>);
}
