#include "common/runtime/changelog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <functional>

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

// A restore reads a changelog partition twice, and holds neither read whole: the first
// looks back from the end for the last marker (this many records, then four times as
// many, ...), the second writes everything up to it into the store, committing a chunk
// at a time. The offsets commit last, so a restore stopped halfway leaves a partition
// without offsets, which the next one drops and restores again.
constexpr int64_t kTailRecords = 4096;

using Clock = std::chrono::steady_clock;

std::string Where(const TopicPartition& tp) {
  return "changelog " + tp.topic + "/" + std::to_string(tp.partition.value);
}

// Hands fn each record of the changelog partition tp from offset `from` up to `to`
// (exclusive), in order, through a consumer with these properties; fn's first error ends
// the read. after_batch, when given, learns the offset read to after each batch.
Status ReadRange(const kafka::ClientConfig& client, const kafka::Properties& properties, const TopicPartition& tp,
                 int64_t from, int64_t to, Clock::time_point deadline,
                 const std::function<Status(const kafka::Record&)>& fn,
                 const std::function<void(int64_t read, int64_t end)>& after_batch = {}) {
  kafka::ConsumerOptions co;
  co.client = client;
  co.properties = properties;
  co.topics = {tp.topic};
  co.partitions = {tp.partition};
  co.start_offset = [from](const TopicPartition&) { return std::optional<Offset>(Offset(from)); };
  auto consumer = kafka::Consumer::Create(std::move(co));
  if (!consumer.ok()) return consumer.status();
  kafka::RecordBatch batch;
  int64_t next = from;
  Status status;
  while (status.ok() && next < to && Clock::now() < deadline) {
    Status polled = (*consumer)->Poll(10'000, std::chrono::milliseconds(100), &batch);
    if (!polled.ok()) spdlog::warn("restoring from {}: {}", Where(tp), polled.ToString());
    for (const kafka::Record& r : batch) {
      next = std::max(next, r.offset.value + 1);
      if (status.ok() && r.offset.value < to) status = fn(r);
    }
    if (!batch.empty() && after_batch) after_batch(std::min(next, to), to);
    batch.Clear();
  }
  (*consumer)->Close(std::chrono::seconds(5)).ok();
  if (status.ok() && next < to) {
    return Status::Timeout("restoring " + Where(tp) + " did not reach offset " + std::to_string(to) + " in time");
  }
  return status;
}

// A marker record read into marker; one of another state format than `format` is
// FailedPrecondition, naming both.
Status ReadMarker(const kafka::Record& r, const TopicPartition& tp, const std::string& format,
                  voc::state::v1::ChangelogMarker* marker) {
  marker->Clear();
  if (!marker->ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) {
    return Status::Corruption(Where(tp) + " offset " + std::to_string(r.offset.value) + " is not a checkpoint marker");
  }
  if (!marker->state_format().empty() && marker->state_format() != format) {
    return Status::FailedPrecondition(
        Where(tp) + " holds state of format " + marker->state_format() + ", and this release keeps " + format +
        ": start it on a new changelog topic (state.changelog_topic) and an empty state folder, or go on with the "
        "release that wrote it");
  }
  return Status::Ok();
}

// Changelog records by key.
using Records = std::map<std::string, std::string, std::less<>>;

// The last complete checkpoint of a changelog partition, and the records after it.
struct LastCheckpoint {
  std::optional<int64_t> offset;  // of its marker; none when no checkpoint ever finished
  voc::state::v1::ChangelogMarker marker;
  Records pending;  // after it: the latest record of each key
  uint64_t records_after = 0;
};

// Looks back from the end (high) for the last marker: most checkpoints are far smaller
// than kTailRecords, so this reads little of a long changelog.
Result<LastCheckpoint> FindLastCheckpoint(const kafka::ClientConfig& client, const kafka::Properties& properties,
                                          const TopicPartition& tp, int64_t high, const std::string& format,
                                          Clock::time_point deadline) {
  LastCheckpoint last;
  for (int64_t span = kTailRecords;; span *= 4) {
    const int64_t start = std::max<int64_t>(0, high - span);
    last = LastCheckpoint();
    VOC_RETURN_IF_ERROR(ReadRange(client, properties, tp, start, high, deadline, [&](const kafka::Record& r) {
      if (r.key == kMarkerKey) {
        VOC_RETURN_IF_ERROR(ReadMarker(r, tp, format, &last.marker));
        last.offset = r.offset.value;
        last.pending.clear();
        last.records_after = 0;
      } else {
        last.pending[std::string(r.key)] = std::string(r.value);
        ++last.records_after;
      }
      return Status::Ok();
    }));
    if (last.offset || start == 0) return last;
  }
}

// An unfinished checkpoint's records are written again as restored (complete: the last
// complete record of each of their keys); one whose key held a value no complete record
// keeps any more (compacted away) cannot be restored.
void NeutralizePending(const LastCheckpoint& last, const Records& complete, PartitionId partition,
                       ChangelogWriter* writer, RestoreOutcome* outcome) {
  for (const auto& [key, value] : last.pending) {
    auto it = complete.find(key);
    const bool existed = !value.empty() && (static_cast<uint8_t>(value[0]) & kExisted) != 0;
    if (existed && it == complete.end() && outcome->fallback.empty()) {
      outcome->fallback = "a key of an unfinished checkpoint lost its earlier value to compaction";
    }
    writer->Neutralize(partition, key, it == complete.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
}

// Writes the changelog up to last's marker into the partition's (empty) state, then its
// derived stores, then, last, its offsets: outcome->next is set once all is committed.
Status RestoreUpTo(const kafka::ClientConfig& client, const TopicPartition& tp,
                   const TopicPartition& input, const StateLayout& layout, const LastCheckpoint& last,
                   state::StateStore* db, ChangelogWriter* writer, Clock::time_point deadline,
                   const RestoreOptions& options, RestoreOutcome* outcome) {
  const size_t chunk_bytes = options.chunk_bytes;
  const std::vector<state::StoreSpec>& specs = layout.stores;
  const PartitionId partition = tp.partition;
  auto txn = db->Begin();
  size_t chunk = 0;
  const auto commit_chunk = [&](size_t bytes) {
    chunk += bytes;
    if (chunk < chunk_bytes) return Status::Ok();
    chunk = 0;
    return db->Commit(txn.get());
  };
  Records complete;  // of the keys pending
  voc::state::v1::ChangelogMarker marker;
  const auto apply = [&](const kafka::Record& r) {
    ++outcome->records;
    if (r.key == kMarkerKey) return ReadMarker(r, tp, layout.format, &marker);
    if (r.key.empty() || r.value.size() < kHeader) {
      return Status::Corruption(Where(tp) + " holds a record that is not a state change");
    }
    if (last.pending.contains(r.key)) complete[std::string(r.key)] = std::string(r.value);
    const auto store = static_cast<uint8_t>(r.key[0]);
    // A store this release no longer has, or one it derives (an earlier release logged it).
    if (store >= specs.size() || specs[store].derived) return Status::Ok();
    const uint8_t flags = static_cast<uint8_t>(r.value[0]);
    int64_t written = 0;
    std::memcpy(&written, r.value.data() + 1, 8);
    const std::string_view key = r.key.substr(1);
    // What the store would not show is not written (an entry whose TTL counts event time
    // is kept while the partition's event time is unknown, as it is here); an earlier
    // record of the key may have been.
    if ((flags & kDeleted) != 0 || db->Expired(store, partition, written)) {
      txn->Delete(store, partition, key);
    } else {
      txn->PutAsWritten(store, partition, key, r.value.substr(kHeader), written);
    }
    return commit_chunk(r.key.size() + r.value.size());
  };
  VOC_RETURN_IF_ERROR(
      ReadRange(client, options.consumer_properties, tp, 0, *last.offset + 1, deadline, apply, options.progress));
  VOC_RETURN_IF_ERROR(db->Commit(txn.get()));
  NeutralizePending(last, complete, partition, writer, outcome);
  if (!outcome->fallback.empty()) return Status::Ok();

  // The derived stores, folded from their sources' entries as the store now holds them.
  // Values that outgrow a chunk are put and committed, and read back when named again.
  for (const Derivation& d : layout.derivations) {
    Status failed;
    const Derivation::Put put = [&](std::string_view key, std::string_view value, int64_t written) {
      txn->PutAsWritten(d.store, partition, key, value, written);
      if (Status s = commit_chunk(key.size() + value.size()); !s.ok() && failed.ok()) failed = s;
    };
    const DerivedLoad load = [&](std::string_view key, std::string* bytes, int64_t* written) {
      auto found = db->Get(d.store, partition, key, bytes, written);
      if (!found.ok() && failed.ok()) failed = found.status();
      return found.ok() && *found;
    };
    bool readable = true;
    VOC_RETURN_IF_ERROR(db->Scan(d.from, partition, "", [&](std::string_view key, std::string_view value,
                                                          int64_t written) {
      readable = d.fold(key, value, written);
      if (readable && d.held_bytes() >= chunk_bytes) {
        d.take(put, load);
        if (Status s = db->Commit(txn.get()); !s.ok() && failed.ok()) failed = s;
        chunk = 0;
      }
      return readable && failed.ok();
    }));
    VOC_RETURN_IF_ERROR(failed);
    if (!readable) {
      return Status::Corruption(Where(tp) + " holds a value of store " + specs[static_cast<size_t>(d.from)].name +
                                " that does not read as one");
    }
    d.take(put, nullptr);
    VOC_RETURN_IF_ERROR(failed);
  }
  for (int i = 0; i < last.marker.topic_size() && i < last.marker.next_offset_size(); ++i) {
    const TopicPartition resumed{last.marker.topic(i), partition};
    txn->SetNextOffset(resumed, Offset(last.marker.next_offset(i)));
    writer->Resume(resumed, Offset(last.marker.next_offset(i)));
  }
  VOC_RETURN_IF_ERROR(db->Commit(txn.get()));
  outcome->next = db->NextOffset(input);
  return Status::Ok();
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
                                            const RestoreOptions& options) {
  const PartitionId partition = input.partition;
  const TopicPartition tp{topic, partition};
  const auto deadline = Clock::now() + options.timeout;
  RestoreOutcome outcome;
  // Whatever state the partition has goes first (state older than the changelog, or what
  // an interrupted restore left); a restore that does not finish leaves it empty again,
  // for the input to rebuild or the next start to restore.
  VOC_RETURN_IF_ERROR(db->DropPartition(partition));
  auto marks = kafka::Watermarks(client, tp, std::chrono::seconds(10));
  if (!marks.ok()) return marks.status();
  const int64_t low = marks->first.value, high = marks->second.value;
  if (high == 0) return outcome;  // never had state: nothing to restore
  if (low > 0) {
    outcome.fallback = "the changelog " + topic + "/" + std::to_string(partition.value) + " lost its first " +
                       std::to_string(low) + " record(s) (retention, or the embedded broker's size cap)";
    return outcome;
  }
  auto last = FindLastCheckpoint(client, options.consumer_properties, tp, high, layout.format, deadline);
  if (!last.ok()) return last.status();
  outcome.records = last->records_after;
  if (!last->offset) {  // no checkpoint ever finished: the input rebuilds it
    NeutralizePending(*last, {}, partition, writer, &outcome);
    return outcome;
  }
  const auto& topics = last->marker.topic();
  if (std::find(topics.begin(), topics.end(), input.topic) == topics.end()) {
    outcome.fallback = "its checkpoints are of other input topics than " + input.topic +
                       " (is the changelog topic shared with another pipeline?)";
    return outcome;
  }
  Status restored = RestoreUpTo(client, tp, input, layout, *last, db, writer, deadline, options, &outcome);
  if (!restored.ok() || !outcome.next) {
    for (const Derivation& d : layout.derivations) d.take([](std::string_view, std::string_view, int64_t) {}, nullptr);
    if (Status s = db->DropPartition(partition); !s.ok()) spdlog::warn("restoring {}: {}", Where(tp), s.ToString());
  }
  if (!restored.ok()) return restored;
  return outcome;
}

}  // namespace voc::runtime
