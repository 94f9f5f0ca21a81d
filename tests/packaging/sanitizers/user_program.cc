// A user's program built with the sanitizer flags users pass by hand (not coflow's own build
// configurations): it instantiates the library's coroutine function templates, views::through
// and feed, which clang 14's -fsanitize=function once failed to compile ("Cannot represent a
// difference across sections"), and checks their results.
#include <cstdio>
#include <optional>
#include <vector>

#include "coflow.hpp"

coflow::task<> produce(coflow::channel<int>& out) {
  for (int i = 1; i <= 5; ++i) co_await out.send(i);
  out.close();
}

int main() {
  const std::vector<int> values{1, 2, 3, 4, 5};
  std::vector<double> means;
  for (double m : values | coflow::views::through(coflow::ops::averager())) means.push_back(m);

  coflow::scheduler s;
  coflow::channel<int> readings(2);
  s.spawn(produce(readings));
  const long total =
      s.run(coflow::feed(readings, coflow::open<int>(coflow::ops::take(3) | coflow::sinks::sum())));

  const bool ok = means == std::vector<double>{1, 1.5, 2, 2.5, 3} && total == 6;
  std::printf("%s\n", ok ? "ok" : "wrong");
  return ok ? 0 : 1;
}
