// coflow/pipeline/scheduler/detail/ring_buffer.hpp
//
// ring_buffer<T>: a fixed-capacity FIFO that allocates its storage once, at construction, and
// constructs elements in place; the buffer of coflow::channel. A capacity of zero allocates
// nothing and is always full.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace coflow::detail {

template <class T>
class ring_buffer {
 public:
  explicit ring_buffer(std::size_t capacity)
      : data_(capacity == 0 ? nullptr : std::allocator<T>().allocate(capacity)),
        capacity_(capacity) {}
  ring_buffer(const ring_buffer&) = delete;
  ring_buffer& operator=(const ring_buffer&) = delete;
  ~ring_buffer() {
    while (size_ != 0) (void)pop_front();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
  }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// push_back appends `value`. Precondition: !full().
  void push_back(T&& value) {
    std::size_t tail = head_ + size_;
    if (tail >= capacity_) tail -= capacity_;
    std::construct_at(data_ + tail, std::move(value));
    ++size_;
  }

  /// pop_front removes and returns the oldest value. Precondition: !empty().
  T pop_front() {
    T* slot = data_ + head_;
    T value = std::move(*slot);
    std::destroy_at(slot);
    if (++head_ == capacity_) head_ = 0;
    --size_;
    return value;
  }

 private:
  T* data_;
  std::size_t capacity_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace coflow::detail
