// A hash map from std::string keys to values that never move: each entry is a node of
// its own (std::pair<const std::string, T>, as std::unordered_map's), so a pointer to one
// stays valid until that entry is erased, whatever else is inserted or erased.
//
// Looked up through an open-addressing table of {hash, node} slots (linear probing, at
// most 5/8 full, backward-shift erase, no tombstones): a lookup reads one slot line and
// then only the node whose full 64-bit hash matches. std::unordered_map walks a bucket's
// chain through the nodes themselves, so a lookup in a large map takes a cache miss for
// the bucket and one or two for every node it passes; `state_bench` measured the typed
// store's cache both ways (benchmarks/README.md).
//
// NOT thread-safe. Iteration order is unspecified. A moved-from map is empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/core/string_map.h"

namespace voc {

template <typename T>
class NodeMap {
 public:
  using Node = std::pair<const std::string, T>;

  NodeMap() = default;
  NodeMap(const NodeMap&) = delete;
  NodeMap& operator=(const NodeMap&) = delete;
  NodeMap(NodeMap&& other) noexcept
      : slots_(std::move(other.slots_)), mask_(std::exchange(other.mask_, 0)), size_(std::exchange(other.size_, 0)) {
    other.slots_.clear();
  }
  NodeMap& operator=(NodeMap&& other) noexcept {
    if (this != &other) {
      Clear();
      slots_ = std::move(other.slots_);
      other.slots_.clear();
      mask_ = std::exchange(other.mask_, 0);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~NodeMap() { Clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The entry for key; nullptr when there is none.
  Node* Find(std::string_view key) const {
    if (size_ == 0) return nullptr;
    const uint64_t hash = StringHash{}(key);
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.node == nullptr) return nullptr;
      if (s.hash == hash && s.node->first == key) return s.node;
    }
  }

  // The entry for key, and whether it is new (its value then default-constructed).
  std::pair<Node*, bool> TryEmplace(std::string_view key) {
    if ((size_ + 1) * 8 > slots_.size() * 5) Grow();
    const uint64_t hash = StringHash{}(key);
    size_t i = hash & mask_;
    for (; slots_[i].node != nullptr; i = (i + 1) & mask_) {
      if (slots_[i].hash == hash && slots_[i].node->first == key) return {slots_[i].node, false};
    }
    auto* node = new Node(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple());
    slots_[i] = {hash, node};
    ++size_;
    return {node, true};
  }

  // Erases an entry of this map; node is invalid afterwards.
  void Erase(Node* node) {
    size_t i = StringHash{}(node->first) & mask_;
    while (slots_[i].node != node) i = (i + 1) & mask_;
    delete node;
    --size_;
    // Later entries of the probe run move back into the hole when it lies between their
    // home slot and where they are, so every entry stays reachable from its home.
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; slots_[j].node != nullptr; j = (j + 1) & mask_) {
      const size_t home = slots_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
  }

  // fn(Node&) for every entry.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& s : slots_) {
      if (s.node != nullptr) fn(*s.node);
    }
  }

  // Erases every entry for which pred(Node&) holds, asking each entry once.
  template <typename Pred>
  void EraseIf(Pred&& pred) {
    std::vector<Node*> doomed;
    ForEach([&](Node& node) {
      if (pred(node)) doomed.push_back(&node);
    });
    for (Node* node : doomed) Erase(node);
  }

  void Clear() {
    for (Slot& s : slots_) delete s.node;
    slots_.clear();
    mask_ = 0;
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    Node* node = nullptr;  // nullptr: empty
  };

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : 2 * old.size(), Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.node == nullptr) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].node != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // a power of two of them, or none
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace voc
