// coflow/tests/support/trickling_source.hpp
//
// Test helper: a stream buffer that gives its chunks one refill at a time, as a pipe whose
// writer sends one chunk at a time, for tests that a reader yields what has arrived without
// waiting for a full buffer. refills counts the chunks handed out so far.
#pragma once

#include <cstddef>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

namespace coflow_test {

class trickling_source : public std::streambuf {
 public:
  explicit trickling_source(std::vector<std::string> chunks) : chunks_(std::move(chunks)) {}
  std::size_t refills = 0;

 protected:
  int_type underflow() override {
    if (refills == chunks_.size()) return traits_type::eof();
    std::string& chunk = chunks_[refills++];
    setg(chunk.data(), chunk.data(), chunk.data() + chunk.size());
    return traits_type::to_int_type(chunk[0]);
  }

 private:
  std::vector<std::string> chunks_;
};

}  // namespace coflow_test
