#include "common/runtime/changelog.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "voc/state/v1/state.pb.h"

namespace voc::runtime {
namespace {

// A changelog value: [flags, 1 byte][write time, 8 bytes little-endian][the store's value].
// The write time is the one the store recorded for the value's TTL (wall clock ms, or its
// partition's event time for a store whose TTL counts event time), which a restore keeps;
// the wall clock for a delete or a store without TTL.
constexpr uint8_t kDeleted = 1;  // the key was deleted
constexpr uint8_t kExisted = 2;  // the store held a committed value before this change
constexpr size_t kHeader = 9;
// The marker's key; store ids are below it.
const std::string kMarkerKey = "\xff" "checkpoint";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Envelope(uint8_t flags, int64_t written_ms, std::string_view payload, std::string* out) {
  out->assign(1, static_cast<char>(flags));
  out->append(reinterpret_cast<const char*>(&written_ms), 8);
  out->append(payload);
}

}  // namespace

void ChangelogWriter::Changed(state::StoreId store, PartitionId partition, std::string_view key,
                              const std::string* value, bool existed, int64_t written_ms) {
  if (partition.value < 0 || derived_.contains(store)) return;
  key_.assign(1, static_cast<char>(store));
  key_.append(key);
  const uint8_t flags = static_cast<uint8_t>((value == nullptr ? kDeleted : 0) | (existed ? kExisted : 0));
  Envelope(flags, written_ms != 0 ? written_ms : WallMs(),
           value == nullptr ? std::string_view() : std::string_view(*value), &value_);
  Status s = producer_.ProduceTo(topic_, partition, key_, value_);
  if (!s.ok() && status_.ok()) status_ = s;
  touched_.insert(partition);
}

void ChangelogWriter::Neutralize(PartitionId partition, std::string_view changelog_key,
                                 const std::optional<std::string>& value) {
  if (value) {
    value_ = *value;  // the restored record, flags and write time as they were
  } else {
    Envelope(kDeleted, WallMs(), {}, &value_);
  }
  Status s = producer_.ProduceTo(topic_, partition, changelog_key, value_);
  if (!s.ok() && status_.ok()) status_ = s;
  touched_.insert(partition);
}

Status ChangelogWriter::WriteMarkers(const std::map<TopicPartition, Offset>& next_offsets) {
  for (const auto& [tp, next] : next_offsets) {
    if (inputs_.contains(tp.topic)) {
      last_offsets_[tp] = next;
      touched_.insert(tp.partition);
    }
  }
  if (touched_.empty()) return Status::Ok();
  ++checkpoint_;
  voc::state::v1::ChangelogMarker marker;
  for (PartitionId partition : touched_) {
    marker.Clear();
    marker.set_checkpoint(checkpoint_);
    marker.set_state_format(format_);
    for (const auto& topic : inputs_) {
      auto it = last_offsets_.find(TopicPartition{topic, partition});
      if (it == last_offsets_.end()) continue;
      marker.add_topic(topic);
      marker.add_next_offset(it->second.value);
    }
    marker.SerializeToString(&value_);
    VOC_RETURN_IF_ERROR(producer_.ProduceTo(topic_, partition, kMarkerKey, value_));
  }
  touched_.clear();
  return Status::Ok();
}

void ChangelogWriter::Resume(const TopicPartition& input, Offset next) { last_offsets_[input] = next; }

void ChangelogWriter::Forget(PartitionId partition) {
  std::erase_if(last_offsets_, [&](const auto& e) { return e.first.partition == partition; });
  touched_.erase(partition);
}

Result<RestoreOutcome> RestoreFromChangelog(const kafka::ClientConfig& client, const std::string& topic,
                                            const TopicPartition& input, const StateLayout& layout,
                                            state::StateStore* db, ChangelogWriter* writer,
                                            std::chrono::milliseconds timeout) {
  const std::vector<state::StoreSpec>& specs = layout.stores;
  const std::vector<Derivation>& derivations = layout.derivations;
  const PartitionId partition = input.partition;
  RestoreOutcome outcome;
  kafka::ConsumerOptions co;
  co.client = client;
  co.topics = {topic};
  co.partitions = {partition};
  co.start_offset = [](const TopicPartition&) { return std::optional<Offset>(Offset(0)); };
  auto consumer = kafka::Consumer::Create(std::move(co));
  if (!consumer.ok()) return consumer.status();
  const TopicPartition tp{topic, partition};
  auto marks = (*consumer)->Watermarks(tp, std::chrono::seconds(10));
  if (!marks.ok()) {
    (*consumer)->Close(std::chrono::seconds(5)).ok();
    return marks.status();
  }
  const int64_t low = marks->first.value, high = marks->second.value;
  if (high == 0) {  // never had state: nothing to restore
    (*consumer)->Close(std::chrono::seconds(5)).ok();
    return outcome;
  }
  if (low > 0) {
    (*consumer)->Close(std::chrono::seconds(5)).ok();
    outcome.fallback = "the changelog " + topic + "/" + std::to_string(partition.value) + " lost its first " +
                       std::to_string(low) + " record(s) (retention, or the embedded broker's size cap)";
    return outcome;
  }
  // Complete checkpoints' records by key, and those after the last marker.
  std::map<std::string, std::string> complete, pending;
  std::optional<voc::state::v1::ChangelogMarker> marker;
  kafka::RecordBatch batch;
  int64_t next = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (next < high && std::chrono::steady_clock::now() < deadline) {
    Status polled = (*consumer)->Poll(10'000, std::chrono::milliseconds(100), &batch);
    if (!polled.ok()) spdlog::warn("restoring {}: {}", topic, polled.ToString());
    for (const kafka::Record& r : batch) {
      next = std::max(next, r.offset.value + 1);
      ++outcome.records;
      if (r.key == kMarkerKey) {
        marker.emplace();
        if (!marker->ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) {
          batch.Clear();
          (*consumer)->Close(std::chrono::seconds(5)).ok();
          return Status::Corruption("changelog " + topic + "/" + std::to_string(partition.value) + " offset " +
                                    std::to_string(r.offset.value) + " is not a checkpoint marker");
        }
        if (!marker->state_format().empty() && marker->state_format() != layout.format) {
          batch.Clear();
          (*consumer)->Close(std::chrono::seconds(5)).ok();
          return Status::FailedPrecondition(
              "changelog " + topic + "/" + std::to_string(partition.value) + " holds state of format " +
              marker->state_format() + ", and this release keeps " + layout.format +
              ": start it on a new changelog topic (state.changelog_topic) and an empty state folder, or go on "
              "with the release that wrote it");
        }
        for (auto& [key, value] : pending) complete[key] = std::move(value);
        pending.clear();
      } else {
        pending[std::string(r.key)] = std::string(r.value);
      }
    }
    batch.Clear();
  }
  (*consumer)->Close(std::chrono::seconds(5)).ok();
  if (next < high) {
    return Status::Timeout("restoring " + topic + "/" + std::to_string(partition.value) + " did not reach offset " +
                           std::to_string(high) + " in time");
  }
  // An unfinished checkpoint's records are written again as restored; one whose key held
  // a value no complete record keeps any more (compacted away) cannot be restored.
  for (const auto& [key, value] : pending) {
    auto it = complete.find(key);
    const bool existed = !value.empty() && (static_cast<uint8_t>(value[0]) & kExisted) != 0;
    if (existed && it == complete.end() && outcome.fallback.empty()) {
      outcome.fallback = "a key of an unfinished checkpoint lost its earlier value to compaction";
    }
    writer->Neutralize(partition, key, it == complete.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  if (!marker || !outcome.fallback.empty()) return outcome;
  if (std::find(marker->topic().begin(), marker->topic().end(), input.topic) == marker->topic().end()) {
    outcome.fallback = "its checkpoints are of other input topics than " + input.topic +
                       " (is the changelog topic shared with another pipeline?)";
    return outcome;
  }

  // The derived stores are built beside the restore and written with it; on an error
  // what they built so far is dropped.
  auto drop_derived = [&] {
    for (const Derivation& d : derivations) d.take([](std::string_view, std::string_view, int64_t) {});
  };
  auto txn = db->Begin();
  for (const auto& [key, value] : complete) {
    if (key.empty() || value.size() < kHeader) {
      drop_derived();
      return Status::Corruption("changelog " + topic + "/" + std::to_string(partition.value) +
                                " holds a record that is not a state change");
    }
    const auto store = static_cast<uint8_t>(key[0]);
    // A store this release no longer has, or one it derives (an earlier release logged it).
    if (store >= specs.size() || specs[store].derived) continue;
    const uint8_t flags = static_cast<uint8_t>(value[0]);
    int64_t written = 0;
    std::memcpy(&written, value.data() + 1, 8);
    // What the store would not show is not written (an entry whose TTL counts event time
    // is kept while the partition's event time is unknown, as it is here).
    if ((flags & kDeleted) != 0 || db->Expired(store, partition, written)) continue;
    const std::string_view stored_key = std::string_view(key).substr(1), stored = std::string_view(value).substr(kHeader);
    txn->PutAsWritten(store, partition, stored_key, stored, written);
    for (const Derivation& d : derivations) {
      if (d.from == store && !d.fold(stored_key, stored, written)) {
        drop_derived();
        return Status::Corruption("changelog " + topic + "/" + std::to_string(partition.value) + " holds a value of store " +
                                  specs[store].name + " that does not read as one");
      }
    }
  }
  for (const Derivation& d : derivations) {
    d.take([&](std::string_view key, std::string_view value, int64_t written) {
      txn->PutAsWritten(d.store, partition, key, value, written);
    });
  }
  for (int i = 0; i < marker->topic_size() && i < marker->next_offset_size(); ++i) {
    const TopicPartition input{marker->topic(i), partition};
    txn->SetNextOffset(input, Offset(marker->next_offset(i)));
    writer->Resume(input, Offset(marker->next_offset(i)));
  }
  VOC_RETURN_IF_ERROR(db->Commit(txn.get()));
  outcome.next = db->NextOffset(input);
  return outcome;
}

}  // namespace voc::runtime
