// coflow/pipeline/scheduler/detail/intrusive_list.hpp
//
// intrusive_list<T, Tag>: a doubly linked FIFO of objects that carry their own links
// (list_hook<Tag> bases), so that queueing a waiting task never allocates. The scheduler's
// ready queue, its list of live tasks and the wait lists of events and channels are built on
// it. A hook knows the list it is in, so an object can leave its list in O(1) from its own
// destructor: a coroutine frame destroyed while it waits never leaves a dangling link behind.
// Not thread-safe: everything in a scheduler runs on one thread.
#pragma once

#include <cstddef>

namespace coflow::detail {

template <class T, class Tag>
class intrusive_list;

template <class Tag>
class list_anchor;

/// list_hook<Tag> is the link a class inherits to be an element of intrusive_list<T, Tag>. A
/// class inherits one hook per list it can be in at the same time, each with its own Tag.
template <class Tag>
class list_hook {
 public:
  list_hook() noexcept = default;
  list_hook(const list_hook&) = delete;
  list_hook& operator=(const list_hook&) = delete;
  ~list_hook() { unlink(); }

  /// linked is true while the object is in a list.
  [[nodiscard]] bool linked() const noexcept { return anchor_ != nullptr; }

  /// unlink removes the object from its list; it does nothing if the object is in none.
  void unlink() noexcept;

 private:
  friend class list_anchor<Tag>;
  list_hook* prev_ = nullptr;
  list_hook* next_ = nullptr;
  list_anchor<Tag>* anchor_ = nullptr;
};

// The untyped part of a list: a sentinel hook closing the ring, and the element count.
template <class Tag>
class list_anchor {
 public:
  list_anchor() noexcept { sentinel_.prev_ = sentinel_.next_ = &sentinel_; }
  list_anchor(const list_anchor&) = delete;
  list_anchor& operator=(const list_anchor&) = delete;
  // Elements still linked are released, not destroyed: they belong to someone else.
  ~list_anchor() {
    while (!empty()) sentinel_.next_->unlink();
  }

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 protected:
  void insert_before(list_hook<Tag>& pos, list_hook<Tag>& h) noexcept {
    h.unlink();
    h.prev_ = pos.prev_;
    h.next_ = &pos;
    pos.prev_->next_ = &h;
    pos.prev_ = &h;
    h.anchor_ = this;
    ++size_;
  }
  void push_back_hook(list_hook<Tag>& h) noexcept { insert_before(sentinel_, h); }
  void push_front_hook(list_hook<Tag>& h) noexcept {
    h.unlink();  // first: h may be the element it would be inserted before
    insert_before(*sentinel_.next_, h);
  }
  [[nodiscard]] list_hook<Tag>* first() const noexcept { return sentinel_.next_; }

 private:
  friend class list_hook<Tag>;
  void erase(list_hook<Tag>& h) noexcept {
    h.prev_->next_ = h.next_;
    h.next_->prev_ = h.prev_;
    h.prev_ = h.next_ = nullptr;
    h.anchor_ = nullptr;
    --size_;
  }

  list_hook<Tag> sentinel_;
  std::size_t size_ = 0;
};

template <class Tag>
void list_hook<Tag>::unlink() noexcept {
  if (anchor_ != nullptr) anchor_->erase(*this);
}

/// intrusive_list<T, Tag> holds T objects that inherit list_hook<Tag>; it owns none of them.
template <class T, class Tag>
class intrusive_list : public list_anchor<Tag> {
  using hook = list_hook<Tag>;

 public:
  /// push_back appends `value`, first taking it out of any list of the same Tag.
  void push_back(T& value) noexcept { this->push_back_hook(static_cast<hook&>(value)); }

  /// push_front prepends `value`, first taking it out of any list of the same Tag.
  void push_front(T& value) noexcept { this->push_front_hook(static_cast<hook&>(value)); }

  /// front is the first element. Precondition: !empty().
  [[nodiscard]] T& front() const noexcept { return static_cast<T&>(*this->first()); }

  /// pop_front unlinks and returns the first element. Precondition: !empty().
  T& pop_front() noexcept {
    T& value = front();
    static_cast<hook&>(value).unlink();
    return value;
  }
};

}  // namespace coflow::detail
