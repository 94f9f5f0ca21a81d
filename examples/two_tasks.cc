// two_tasks: two jobs on one thread. func1 takes 2 s; func2 takes 3 s and cannot finish before
// func1 has. Run one after the other they take 5 s; as coflow tasks under a scheduler both make
// progress at once, and the whole takes about 3 s.
//
//   $ bazel run //examples:two_tasks
//   [0.50 s] func1: step 1 of 4
//   [1.00 s] func2: step 1 of 3
//   ...
//   [3.00 s] func2: done (func1 returned 42)
//   total: 3.00 s (one after the other: 5 s)
//
// The same two jobs run on virtual time in tests/pipeline/scheduler_test.cc, where the
// finish time is exactly 3 s and no time passes on the wall clock.
#include <chrono>
#include <cstdio>

#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;

double seconds_since(coflow::scheduler::time_point start, const coflow::scheduler& s) {
  return std::chrono::duration<double>(s.now() - start).count();
}

// func1: four steps of half a second; its result is what func2 waits for.
coflow::task<int> func1(const coflow::scheduler* s, coflow::scheduler::time_point start) {
  for (int step = 1; step <= 4; ++step) {
    co_await coflow::sleep_for(500ms);
    std::printf("[%.2f s] func1: step %d of 4\n", seconds_since(start, *s), step);
  }
  std::printf("[%.2f s] func1: done\n", seconds_since(start, *s));
  co_return 42;
}

// func2: three steps of a second, then it needs func1's result.
coflow::task<> func2(const coflow::scheduler* s, coflow::scheduler::time_point start,
                     coflow::task<int>& first) {
  for (int step = 1; step <= 3; ++step) {
    co_await coflow::sleep_for(1s);
    std::printf("[%.2f s] func2: step %d of 3\n", seconds_since(start, *s), step);
  }
  const int answer = co_await first;  // waits here if func1 has not finished yet
  std::printf("[%.2f s] func2: done (func1 returned %d)\n", seconds_since(start, *s), answer);
}

}  // namespace

int main() {
  coflow::scheduler s;
  const auto start = s.now();
  auto first = func1(&s, start);
  s.spawn(first);                    // we keep the handle: func2 awaits it
  s.spawn(func2(&s, start, first));  // handed over to the scheduler
  s.run();
  std::printf("total: %.2f s (one after the other: 5 s)\n", seconds_since(start, s));
  return 0;
}
