// coflow/pipeline/scheduler/detail/ring_buffer.hpp
//
// ring_buffer<T>: a fixed-capacity FIFO that allocates its storage once, at construction, and
// constructs elements in place; the buffer of coflow::channel. A capacity of zero allocates
// nothing and is always full. Spare slots let a value be appended to a full buffer before the
// oldest is dropped (channel's keep_latest), so that a throwing move discards nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace coflow::detail {

template <class T>
class ring_buffer {
 public:
  explicit ring_buffer(std::size_t capacity, std::size_t spare = 0)
      : slots_(capacity + spare),
        data_(slots_ == 0 ? nullptr : std::allocator<T>().allocate(slots_)),
        capacity_(capacity) {}
  ring_buffer(const ring_buffer&) = delete;
  ring_buffer& operator=(const ring_buffer&) = delete;
  ~ring_buffer() {
    while (size_ != 0) drop_front();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, slots_);
  }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ >= capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// push_back appends `value`; if its move throws, the buffer is unchanged. Precondition:
  /// !full(), or a spare slot is free.
  void push_back(T&& value) {
    std::size_t tail = head_ + size_;
    if (tail >= slots_) tail -= slots_;
    std::construct_at(data_ + tail, std::move(value));
    ++size_;
  }

  /// front is the oldest value; move from it, then drop_front(), to take it out without losing
  /// it when the move throws. Precondition: !empty().
  [[nodiscard]] T& front() noexcept { return data_[head_]; }

  /// drop_front destroys the oldest value. Precondition: !empty().
  void drop_front() noexcept {
    std::destroy_at(data_ + head_);
    if (++head_ == slots_) head_ = 0;
    --size_;
  }

 private:
  std::size_t slots_;  // capacity_ plus the spare slots
  T* data_;
  std::size_t capacity_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace coflow::detail
