// coflow/pipeline/detail/output_slot.hpp
//
// Internal: where a coroutine body leaves its output for the driver. The body points the slot
// at the operand of `co_yield`, which lives in its frame until the body resumes, so an output
// is handed on without being copied into a buffer first (an lvalue reply of a type that is not
// trivially copyable is copied into the awaiter at the co_yield, since the taker moves from
// it). A reply that goes straight to a linked downstream stage never passes through the slot.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/protocol_error.hpp"

namespace coflow::detail {

// The body's pending output: one value, or a batch of them.
template <class Out>
struct output_slot {
  static constexpr bool trivial = std::is_trivially_copyable_v<Out>;
  // Batches of outputs are copied on from the body's storage: only copyable types have them.
  static constexpr bool batches = std::is_copy_constructible_v<Out>;

  Out* value = nullptr;
  // Or several outputs at once, from `co_yield coflow::receive_batch(replies)`.
  const Out* batch = nullptr;
  std::size_t batch_size = 0;
  // An rvalue operand: the resumer may move from it (moot for trivially copyable values).
  [[no_unique_address]] std::conditional_t<trivial, std::false_type, bool> movable{};

  template <class R>
  void point_at(R&& operand) noexcept {
    value = const_cast<Out*>(std::addressof(operand));
    if constexpr (!trivial) {
      movable = !std::is_lvalue_reference_v<R> && !std::is_const_v<std::remove_reference_t<R>>;
    }
    static_assert(
        std::is_copy_constructible_v<Out> ||
            (!std::is_lvalue_reference_v<R> && !std::is_const_v<std::remove_reference_t<R>>),
        "co_yield of an lvalue hands on a copy, and this output type cannot be copied: "
        "write `co_yield std::move(x)` (or `co_yield coflow::emit(std::move(x))`)");
  }

  // Hands the output to `out` (moving it where allowed) and clears the slot.
  template <class Fn>
  void deliver(Fn& out) {
    Out* v = std::exchange(value, nullptr);
    if constexpr (trivial) {
      out(Out(*v));
    } else if constexpr (!std::is_copy_constructible_v<Out>) {
      out(std::move(*v));  // point_at admits only rvalues of a move-only type
    } else if (movable) {
      out(std::move(*v));
    } else {
      out(Out(*v));
    }
  }

  // deliver, for the first output after a resume: through `out.first`, which says whether `out`
  // wants more, where `out` has it.
  template <class Fn>
  bool deliver_first(Fn& out) {
    if constexpr (requires(Out && v) {
                    { out.first(std::move(v)) } -> std::same_as<bool>;
                  }) {
      Out* v = std::exchange(value, nullptr);
      if constexpr (trivial) {
        return out.first(Out(*v));
      } else if constexpr (!std::is_copy_constructible_v<Out>) {
        return out.first(std::move(*v));
      } else if (movable) {
        return out.first(std::move(*v));
      } else {
        return out.first(Out(*v));
      }
    } else {
      deliver(out);
      return true;
    }
  }

  // Hands the batch of outputs to `out`, as one span where `out` takes spans.
  template <class Fn>
  void deliver_batch(Fn& out) {
    if constexpr (batches) {
      std::span<const Out> values(std::exchange(batch, nullptr), std::exchange(batch_size, 0));
      if constexpr (requires { out.push_batch(values); }) {
        out.push_batch(values);
      } else {
        for (const Out& v : values) out(Out(v));
      }
    }
  }

  // Hands on whatever the body output: one value or a batch.
  template <class Fn>
  void deliver_any(Fn& out) {
    if (value) {
      deliver(out);
    } else if (batches && batch) {
      deliver_batch(out);
    }
  }

  std::optional<Out> take() {
    if (batches && batch != nullptr) return take_single_of_batch();
    if (value == nullptr) return std::nullopt;
    std::optional<Out> result;
    auto keep = [&result](Out&& v) { result.emplace(std::move(v)); };
    deliver(keep);
    return result;
  }

  [[gnu::cold]] std::optional<Out> take_single_of_batch() {
    if constexpr (!batches) {
      return std::nullopt;
    } else {
      const std::size_t size = std::exchange(batch_size, 0);
      const Out* values = std::exchange(batch, nullptr);
      if (size > 1) {
        throw protocol_error(
            "coflow::coroutine: the body answered one value with a batch of several; call "
            "send(value, out) to receive them all");
      }
      if (size == 0) return std::nullopt;
      return std::optional<Out>(std::in_place, values[0]);
    }
  }
};
template <>
struct output_slot<void> {};

}  // namespace coflow::detail
