// Strong types for the ids that flow through the runtime, so a partition, an offset
// and a count are never confused for one another.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace voc {

template <typename Tag, typename Rep>
struct StrongInt {
  Rep value{};
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep v) : value(v) {}
  constexpr auto operator<=>(const StrongInt&) const = default;
};

struct PartitionTag {};
struct OffsetTag {};
using PartitionId = StrongInt<PartitionTag, int32_t>;
using Offset = StrongInt<OffsetTag, int64_t>;

// A topic partition, the unit of ordering and of state ownership.
struct TopicPartition {
  std::string topic;
  PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
};

struct TopicPartitionHash {
  size_t operator()(const TopicPartition& tp) const {
    return std::hash<std::string>()(tp.topic) * 31 + static_cast<size_t>(tp.partition.value);
  }
};

}  // namespace voc

// Strong ids stay strong as hash-map keys: std::unordered_map<PartitionId, ...> works.
template <typename Tag, typename Rep>
struct std::hash<voc::StrongInt<Tag, Rep>> {
  size_t operator()(const voc::StrongInt<Tag, Rep>& id) const { return std::hash<Rep>()(id.value); }
};
