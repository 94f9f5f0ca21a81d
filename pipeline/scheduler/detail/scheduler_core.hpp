// coflow/pipeline/scheduler/detail/scheduler_core.hpp
//
// The machinery under coflow::scheduler, coflow::task and their awaitables:
// - task_node: the scheduler's view of one task frame; the base of every task promise.
// - task_owner: the base of coflow::task, the handle that keeps a frame and reads its result.
// - timer: a sleeping task's entry in the timer heap; it lives in the sleep awaiter.
// - scheduler_core: the ready queue, the timer heap, the list of live tasks and the run loop.
//   The clock is reached through two virtual calls, so that tasks and awaitables do not depend
//   on the clock type; time is counted in nanoseconds since the clock's epoch.
//
// The run loop is iterative: every resumption of a task starts from the loop, and a task that
// wakes another only links it into the ready queue. No chain of awaiting tasks ever nests on
// the machine stack, however deep (symmetric transfer is not a tail call in every build).
// Nothing here allocates per task switch: queues are intrusive; the timer heap is a vector
// that grows to the largest number of tasks asleep at once and keeps its capacity.
//
// One door is open to other threads: wake_from_other_thread(node), for a task that waits on
// something another thread does (a thread boundary's queue freeing a slot). It appends the
// task to a list under a mutex and wakes the run loop's idle wait; the loop moves the list into
// the ready queue. The run loop counts such waiting tasks (add_remote_waiter), so that, with
// nothing ready and no timer pending, it waits for another thread instead of reporting a
// deadlock. The check for woken tasks is one relaxed atomic load per task switch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/detail/intrusive_list.hpp"

namespace coflow::detail {

struct ready_tag {};  // the scheduler's ready queue
struct live_tag {};   // the scheduler's list of started, unfinished tasks
struct wait_tag {};   // the wait list of an event or a channel (hooked by awaiters)

class scheduler_core;
class task_owner;

/// awaitable_base marks the types a coflow::task body may co_await (see task.hpp).
struct awaitable_base {};

// One task frame as the scheduler sees it. A frame is `started` once a scheduler has queued it
// (spawned, or awaited by a running task) and `finished` once its body has returned or thrown.
class task_node : public list_hook<ready_tag>, public list_hook<live_tag> {
 public:
  task_node() noexcept = default;
  task_node(const task_node&) = delete;
  task_node& operator=(const task_node&) = delete;
  inline ~task_node();

  std::coroutine_handle<> handle;
  scheduler_core* core = nullptr;     // set when started; cleared when finished
  task_node* continuation = nullptr;  // the task waiting for this one to finish
  task_node* awaiting = nullptr;      // the task this one waits for (its join awaiter reads it)
  task_owner* owner = nullptr;        // the coflow::task handle, if any is left
  std::exception_ptr failure;         // escaped the body
  bool started = false;
  bool finished = false;
  bool awaited = false;       // a co_await has claimed the result (a task has one awaiter)
  bool join_pending = false;  // a join awaiter will read this frame: only it may destroy it
  bool result_taken = false;  // the result was moved out
};

// The base of coflow::task: owns a frame until the frame is started, and after it finished;
// in between the scheduler runs it, and dropping the handle detaches it.
class task_owner : public awaitable_base {
 public:
  task_owner(const task_owner&) = delete;
  task_owner& operator=(const task_owner&) = delete;

 protected:
  task_owner() noexcept = default;
  explicit task_owner(task_node& node) noexcept : node_(&node) { node.owner = this; }
  task_owner(task_owner&& other) noexcept
      : node_(std::exchange(other.node_, nullptr)),
        cancelled_(std::exchange(other.cancelled_, false)) {
    if (node_ != nullptr) node_->owner = this;
  }
  task_owner& operator=(task_owner&& other) noexcept {
    if (this != &other) {
      release();
      node_ = std::exchange(other.node_, nullptr);
      cancelled_ = std::exchange(other.cancelled_, false);
      if (node_ != nullptr) node_->owner = this;
    }
    return *this;
  }
  ~task_owner() { release(); }

  // Gives the frame up: destroyed now if nothing runs it, otherwise detached (the scheduler
  // destroys it when it finishes, or when the scheduler is destroyed).
  void release() noexcept {
    task_node* node = std::exchange(node_, nullptr);
    cancelled_ = false;
    if (node == nullptr) return;
    node->owner = nullptr;
    if (!node->started || (node->finished && !node->join_pending)) node->handle.destroy();
  }

  task_node* node_ = nullptr;
  bool cancelled_ = false;  // the scheduler destroyed the unfinished frame

 private:
  friend class task_node;
  friend struct task_access;
  void frame_cancelled() noexcept {
    node_ = nullptr;
    cancelled_ = true;
  }
};

// What the scheduler and awaitables read of a coflow::task.
struct task_access {
  static task_node* node(const task_owner& t) noexcept { return t.node_; }
  static bool cancelled(const task_owner& t) noexcept { return t.cancelled_; }
  // Detaches the frame from the handle: the scheduler now keeps it.
  static void disown(task_owner& t) noexcept {
    t.node_->owner = nullptr;
    t.node_ = nullptr;
  }
};

task_node::~task_node() {
  if (continuation != nullptr) continuation->awaiting = nullptr;
  if (awaiting != nullptr) {
    awaiting->continuation = nullptr;
    awaiting->join_pending = false;
  }
  if (owner != nullptr) owner->frame_cancelled();
}

// A sleeping task's place in the timer heap. Destroying a timer that is still queued (its
// frame was destroyed while asleep) takes it out of the heap.
class timer {
 public:
  timer() noexcept = default;
  // An awaiter may be moved before it is awaited, never while its timer is queued.
  timer(timer&& other) noexcept : deadline(other.deadline), node(other.node) {}
  timer& operator=(const timer&) = delete;
  inline ~timer();

  std::chrono::nanoseconds deadline{};
  task_node* node = nullptr;

 private:
  friend class scheduler_core;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  scheduler_core* core_ = nullptr;
  std::uint64_t sequence_ = 0;  // orders equal deadlines by the time they were set
  std::size_t index_ = npos;
};

// The address of clock_tag<Clock> names a clock type at run time: sleep_until compares it
// with its scheduler's, so that a time point of another clock is reported, not misread.
template <class Clock>
inline constexpr char clock_tag = 0;

class scheduler_core {
 public:
  scheduler_core(const scheduler_core&) = delete;
  scheduler_core& operator=(const scheduler_core&) = delete;

  // Queues a new frame for its first resumption, at the front when it is awaited (it runs
  // next, as a call would) or at the back when it is spawned.
  void start(task_node& node, bool at_front) noexcept {
    node.started = true;
    node.core = this;
    live_.push_back(node);
    if (at_front) {
      ready_.push_front(node);
    } else {
      ready_.push_back(node);
    }
  }

  // Queues a suspended task to be resumed after the ones already waiting for their turn.
  void schedule(task_node& node) noexcept { ready_.push_back(node); }

  void add_timer(timer& t) {
    t.core_ = this;
    t.sequence_ = timer_sequence_++;
    t.index_ = timers_.size();
    timers_.push_back(&t);  // the only allocation: growth past the high-water mark
    sift_up(t.index_);
  }

  void remove_timer(timer& t) noexcept {
    const std::size_t i = t.index_;
    t.index_ = timer::npos;
    timer* last = timers_.back();
    timers_.pop_back();
    if (i == timers_.size()) return;
    timers_[i] = last;
    last->index_ = i;
    sift_down(i);
    sift_up(last->index_);
  }

  [[nodiscard]] std::chrono::nanoseconds now() { return clock_now(); }
  [[nodiscard]] const void* clock_id() const noexcept { return clock_id_; }
  [[nodiscard]] std::size_t task_count() const noexcept { return live_.size(); }
  [[nodiscard]] bool running() const noexcept { return running_; }

  // A task is about to wait for wake_from_other_thread (called on the scheduler's thread, by
  // the awaiter that suspends it): run() will not report a deadlock while it waits. Reserves
  // its place in the lists, so that the wake-up itself never allocates.
  void add_remote_waiter() {
    remote_taken_.reserve(remote_waiters_ + 1);
    {
      const std::lock_guard lock(remote_mutex_);
      remote_ready_.reserve(remote_waiters_ + 1);
    }
    ++remote_waiters_;
  }
  // The awaiter of a task that waited for another thread is destroyed before it was woken.
  void remove_remote_waiter() noexcept { --remote_waiters_; }

  // Thread-safe: queues `node`, which waits after add_remote_waiter(), to be resumed by the
  // run loop, and wakes the loop if it is idle. Called once per add_remote_waiter().
  void wake_from_other_thread(task_node& node) noexcept {
    const std::lock_guard lock(remote_mutex_);
    remote_ready_.push_back(&node);  // within the capacity add_remote_waiter reserved
    remote_pending_.store(true, std::memory_order_release);
    remote_wake_.notify_one();
  }

  // Runs until `target` has finished, or, with no target, until every task has.
  void run_until(const task_owner* target) {
    if (running_)
      throw protocol_error(
          "coflow::scheduler::run(): called from inside one of the scheduler's own tasks (run() "
          "is not re-entrant; co_await the task instead)");
    running_ = true;
    const running_guard guard{running_};
    round_left_ = 0;
    for (;;) {
      if (target == nullptr ? live_.empty() : target_finished(*target)) return;
      if (remote_pending_.load(std::memory_order_relaxed)) take_remote_ready();
      if (!ready_.empty()) {
        step();
      } else if (!timers_.empty()) {
        const std::chrono::nanoseconds deadline = timers_.front()->deadline;
        if (clock_now() < deadline) clock_wait_until(deadline);
        wake_expired_timers();
      } else if (remote_waiters_ > 0) {
        wait_for_other_thread(nullptr);
      } else {
        throw protocol_error("coflow::scheduler::run(): deadlock: " + std::to_string(live_.size()) +
                             " task(s) wait for an event, a channel or another task that no "
                             "runnable task will set, fill, drain or finish");
      }
    }
  }

 protected:
  explicit scheduler_core(const void* clock_id) noexcept : clock_id_(clock_id) {}

  // Destroys every unfinished frame (their locals' destructors run); handles that still refer
  // to one of them see it as cancelled.
  virtual ~scheduler_core() {
    if (running_) {
      // A destructor cannot throw, and going on would free the frame that is running.
      std::fputs("coflow::scheduler: destroyed from inside one of its own tasks\n", stderr);
      std::abort();
    }
    while (!live_.empty()) {
      task_node& node = live_.front();
      static_cast<list_hook<live_tag>&>(node).unlink();
      node.handle.destroy();
    }
  }

  virtual std::chrono::nanoseconds clock_now() = 0;
  // Returns once the clock reads `deadline` or later (sleeps, or advances a manual clock), or
  // earlier if another thread woke a task (a real clock's wait calls wait_for_other_thread).
  virtual void clock_wait_until(std::chrono::nanoseconds deadline) = 0;

  // Sleeps until another thread wakes a task, or `timeout` (if not null) has passed; returns
  // at once if one already did.
  [[nodiscard]] bool has_remote_waiters() const noexcept { return remote_waiters_ > 0; }
  void wait_for_other_thread(const std::chrono::nanoseconds* timeout) {
    std::unique_lock lock(remote_mutex_);
    const auto woken = [&] { return remote_pending_.load(std::memory_order_relaxed); };
    if (timeout == nullptr) {
      remote_wake_.wait(lock, woken);
    } else {
      (void)remote_wake_.wait_for(lock, *timeout, woken);
    }
  }

 private:
  struct running_guard {
    bool& running;
    ~running_guard() { running = false; }
  };

  static bool target_finished(const task_owner& target) {
    const task_node* node = task_access::node(target);
    if (node == nullptr)
      throw protocol_error(
          "coflow::scheduler::run(task): the task was destroyed or moved from while run() "
          "waited for it");
    return node->finished;
  }

  // Moves the tasks that other threads woke into the ready queue, in the order they were woken.
  void take_remote_ready() {
    {
      const std::lock_guard lock(remote_mutex_);
      remote_taken_.swap(remote_ready_);
      remote_pending_.store(false, std::memory_order_relaxed);
    }
    for (task_node* node : remote_taken_) {
      --remote_waiters_;
      ready_.push_back(*node);
    }
    remote_taken_.clear();
  }

  // Resumes one task. Expired timers join the queue once per round, so that a sleeper whose
  // time has come waits at most one turn of every ready task.
  void step() {
    if (round_left_ == 0) {
      wake_expired_timers();
      round_left_ = ready_.size();
    }
    --round_left_;
    task_node& node = ready_.pop_front();
    node.handle.resume();
    if (node.finished) complete(node);
    if (unclaimed_failure_) std::rethrow_exception(std::exchange(unclaimed_failure_, nullptr));
  }

  void complete(task_node& node) {
    static_cast<list_hook<live_tag>&>(node).unlink();
    node.core = nullptr;
    if (task_node* waiter = std::exchange(node.continuation, nullptr)) {
      ready_.push_front(*waiter);  // its join awaiter reads the result, and frees a detached frame
      return;
    }
    if (node.owner == nullptr) {
      // Detached: nobody can read the outcome, so a failure goes to run()'s caller.
      std::exception_ptr failure = std::move(node.failure);
      node.handle.destroy();
      if (failure) unclaimed_failure_ = std::move(failure);
    }
  }

  void wake_expired_timers() {
    if (timers_.empty()) return;
    const std::chrono::nanoseconds now = clock_now();
    while (!timers_.empty() && timers_.front()->deadline <= now) {
      timer& t = *timers_.front();
      remove_timer(t);
      ready_.push_back(*t.node);
    }
  }

  static bool earlier(const timer* a, const timer* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence_ < b->sequence_);
  }

  void place(std::size_t i, timer* t) noexcept {
    timers_[i] = t;
    t->index_ = i;
  }

  void sift_up(std::size_t i) noexcept {
    timer* t = timers_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!earlier(t, timers_[parent])) break;
      place(i, timers_[parent]);
      i = parent;
    }
    place(i, t);
  }

  void sift_down(std::size_t i) noexcept {
    timer* t = timers_[i];
    const std::size_t n = timers_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && earlier(timers_[child + 1], timers_[child])) ++child;
      if (!earlier(timers_[child], t)) break;
      place(i, timers_[child]);
      i = child;
    }
    place(i, t);
  }

  intrusive_list<task_node, ready_tag> ready_;
  intrusive_list<task_node, live_tag> live_;
  std::vector<timer*> timers_;  // a binary min-heap on (deadline, sequence)
  std::uint64_t timer_sequence_ = 0;
  std::size_t round_left_ = 0;
  std::exception_ptr unclaimed_failure_;
  const void* clock_id_;
  bool running_ = false;
  // Tasks waiting for another thread, and those other threads have woken (under the mutex).
  // The frame of a task woken but not yet resumed when the scheduler is destroyed is destroyed
  // with the others; its entry here is then never read.
  std::size_t remote_waiters_ = 0;
  std::mutex remote_mutex_;
  std::condition_variable remote_wake_;
  std::vector<task_node*> remote_ready_;
  std::vector<task_node*> remote_taken_;  // the scheduler thread's copy, swapped with the above
  std::atomic<bool> remote_pending_{false};
};

timer::~timer() {
  if (index_ != npos) core_->remove_timer(*this);
}

// The task that awaits through `h`, for the awaitables' await_suspend.
template <class Promise>
task_node& node_of(std::coroutine_handle<Promise> h) noexcept {
  return static_cast<task_node&>(h.promise());
}

// Converts a duration to whole nanoseconds, rounding up (a sleep never ends early) and
// saturating instead of overflowing.
template <class Rep, class Period>
std::chrono::nanoseconds saturating_nanoseconds(std::chrono::duration<Rep, Period> d) noexcept {
  using wide = std::chrono::duration<long double, std::nano>;
  constexpr auto max = std::chrono::nanoseconds::max();
  constexpr auto min = std::chrono::nanoseconds::min();
  const wide w = std::chrono::duration_cast<wide>(d);
  if (w >= wide(max)) return max;
  if (w <= wide(min)) return min;
  return std::chrono::ceil<std::chrono::nanoseconds>(d);
}

inline std::chrono::nanoseconds saturating_add(std::chrono::nanoseconds a,
                                               std::chrono::nanoseconds b) noexcept {
  constexpr auto max = std::chrono::nanoseconds::max();
  constexpr auto min = std::chrono::nanoseconds::min();
  if (b.count() > 0 && a > max - b) return max;
  if (b.count() < 0 && a < min - b) return min;
  return a + b;
}

}  // namespace coflow::detail
