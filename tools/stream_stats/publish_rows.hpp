// tools/stream_stats/publish_rows.hpp
//
// The lines of `stream_stats --redis ... --publish FILE` as stream entries: each line is read
// as CSV, with the file modes' quoting rules (split_csv, unquote), and becomes the fields of
// one entry.
//
//   std::vector<stream_stats::publish_entry> entries;
//   std::istringstream in("sensor,reading\n\"north, upper\",21.5\nsouth,3,4\n7\n");
//   const auto found = stream_stats::read_publish_rows(
//       stream_stats::read_lines(in, "-"), [&](stream_stats::publish_entry&& e) {
//         entries.push_back(std::move(e));
//       });
//   // entries: {k "north, upper", v "21.5"}, {v "7"}; found.header_line 1;
//   // found.malformed_count 1: line 3 has three fields
//
// Semantics: a line of one field publishes v, the field's value; a line of two fields
//   publishes k and v, KEY,VALUE. A field's value is unquote's: blanks around an unquoted
//   field trimmed, a quoted one as written inside its quotes, doubled quotes undone ("a,b" is
//   the key a,b). Values are published as they are: a worker counts an entry whose v is no
//   number as malformed, and --report says so. Blank lines are skipped. A line of more fields,
//   or with a quote that is never closed, is malformed: not published, counted, and the first
//   few are kept (malformed records, as the file modes report them), and reading goes on.
//   The first line is a header when it has two fields, its value field is not a number and
//   the next line's is: the rule of the file modes with columns chosen by number
//   (`stream_stats -c 2 --by 1`); it is not published. A first line of one field is data, as
//   in `stream_stats FILE`.
// Exceptions: what `lines` throws (input_error for an I/O error); what `add` throws.
// Cost: one field vector for all lines; two strings per entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/ranges/generator.hpp"
#include "tools/stream_stats/records.hpp"

namespace stream_stats {

/// publish_entry is one entry's fields: v, and k when `keyed`.
struct publish_entry {
  bool keyed = false;
  std::string key;
  std::string value;

  friend bool operator==(const publish_entry&, const publish_entry&) = default;
};

/// publish_rows_found is what read_publish_rows saw besides the entries.
struct publish_rows_found {
  std::uint64_t entries = 0;
  std::uint64_t header_line = 0;  // the number of the line read as a header; 0 without one
  std::uint64_t malformed_count = 0;
  std::vector<malformed> first_malformed;  // the first `shown`, in line order
};

/// read_publish_rows calls `add` with the entry of each line of `lines`, in order (see above),
/// and keeps the first `shown` malformed lines.
publish_rows_found read_publish_rows(coflow::generator<input_line> lines,
                                     const std::function<void(publish_entry&&)>& add,
                                     std::size_t shown = 5);

}  // namespace stream_stats
