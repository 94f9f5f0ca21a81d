// push_async: a scheduler task feeding a pipeline whose second half runs on another thread.
//
// The producer task sends 100,000 readings into `transform | thread_boundary | sum`; while the
// boundary's queue is full the task is suspended, and the scheduler runs the heartbeat task
// meanwhile instead of blocking in the producer's send. The total is that of one thread.
#include "pipeline/parallel/push_async.hpp"

#include <cstdio>

#include "operators/sum.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

long long square(long long x) { return x * x; }

auto make_pipeline() {
  return coflow::open<long long>(coflow::ops::thread_boundary(4, 64) |
                                 coflow::ops::transform(square) | coflow::sinks::sum());
}
using pipeline_type = decltype(make_pipeline());

coflow::task<long long> producer(pipeline_type& p) {
  for (long long i = 0; i < 100'000 && !p.done(); ++i) {
    co_await coflow::push_async(p, i);  // suspends while the boundary's queue is full
  }
  co_return p.close();  // waits for the other thread's last batches and its sum
}

coflow::task<> heartbeat(int& beats) {
  for (int i = 0; i < 3; ++i) {
    ++beats;
    co_await coflow::yield_now();
  }
}

}  // namespace

int main() {
  pipeline_type p = make_pipeline();
  int beats = 0;
  coflow::scheduler s;
  auto total = producer(p);
  s.spawn(total);
  s.spawn(heartbeat(beats));
  s.run();
  long long serial = 0;
  for (long long i = 0; i < 100'000; ++i) serial += square(i);
  std::printf("sum of squares: %lld\n", total.result());
  std::printf("same as one thread: %s\n", total.result() == serial ? "yes" : "no");
  std::printf("heartbeats: %d\n", beats);
}
