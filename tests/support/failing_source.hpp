// coflow/tests/support/failing_source.hpp
//
// Test helper: a stream buffer that gives `lines` and then fails as a disk that cannot be
// read (errno EIO, std::ios_base::failure), for tests of what a reader keeps before an error.
#pragma once

#include <cerrno>
#include <ios>
#include <streambuf>
#include <string>
#include <utility>

namespace coflow_test {

class failing_source : public std::streambuf {
 public:
  explicit failing_source(std::string lines) : lines_(std::move(lines)) {
    setg(lines_.data(), lines_.data(), lines_.data() + lines_.size());
  }

 protected:
  int_type underflow() override {
    errno = EIO;
    throw std::ios_base::failure("unreadable");
  }

 private:
  std::string lines_;
};

}  // namespace coflow_test
