// The state's changelog: every change a checkpoint writes to a typed store also goes to a
// compacted topic partitioned like the input (one topic per service group, a record per
// key: [store id][key]), and once those are acknowledged a marker record says where the
// input resumes. A partition assigned to an instance without local state is restored from
// it before processing resumes, so state follows its partition across instances, lost
// volumes and moves, whatever the input topics' retention.
//
// Only complete checkpoints are restored: records after the last marker belong to a
// checkpoint that never finished and are left out (and written again, as restored, so
// no later restore mistakes them for complete). A changelog that lost its beginning, or a
// key a compaction took away under an unfinished checkpoint, cannot be restored exactly:
// that is an error in the log and a count, and the partition is rebuilt from its input.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/kafka/kafka.h"
#include "common/runtime/processor.h"
#include "common/state/kv_store.h"
#include "common/state/state_store.h"

namespace voc::runtime {

// What a checkpoint writes. NOT thread-safe: the processing thread owns it.
class ChangelogWriter final : public state::ChangeSink {
 public:
  // inputs: the input topics, whose offsets each marker carries. derived: the stores a
  // restore rebuilds from others (Setup::DerivedStore), whose changes it leaves out.
  // format: the state format each marker names (Setup::StateFormat).
  ChangelogWriter(std::string topic, std::set<std::string> inputs, kafka::Producer& producer,
                  std::set<state::StoreId> derived = {}, std::string format = {})
      : topic_(std::move(topic)),
        inputs_(std::move(inputs)),
        derived_(std::move(derived)),
        format_(std::move(format)),
        producer_(producer) {}

  // A typed store's change (state::ChangeSink): queued on the producer. Table rows (the
  // reserved partition) are not: their topic is their changelog.
  void Changed(state::StoreId store, PartitionId partition, std::string_view key, const std::string* value,
               bool existed, int64_t written_ms) override;
  // A restored partition's record of a checkpoint that never finished, written again as
  // what was restored (nullopt: no value) so no later restore takes it for complete.
  void Neutralize(PartitionId partition, std::string_view changelog_key, const std::optional<std::string>& value);
  // After the changes are acknowledged: a marker for each partition changed since the
  // last call or whose input moved, with the next offsets of its inputs.
  Status WriteMarkers(const std::map<TopicPartition, Offset>& next_offsets);
  // Where an input partition resumes (assigned with local or restored state): the
  // markers carry it until the input moves on.
  void Resume(const TopicPartition& input, Offset next);
  // A revoked partition: its markers are the next owner's.
  void Forget(PartitionId partition);
  // The first error a Changed call met (producing failed), cleared.
  Status TakeStatus() { return std::exchange(status_, Status::Ok()); }
  const std::string& topic() const { return topic_; }

 private:
  std::string topic_;
  std::set<std::string> inputs_;
  std::set<state::StoreId> derived_;
  std::string format_;
  kafka::Producer& producer_;
  std::map<TopicPartition, Offset> last_offsets_;  // of the inputs held
  std::set<PartitionId> touched_;
  uint64_t checkpoint_ = 0;
  std::string key_, value_;
  Status status_;
};

struct RestoreOutcome {
  std::optional<Offset> next;  // where the input resumes; nullopt: rebuild from the input
  uint64_t records = 0;        // changelog records read
  std::string fallback;        // why the input rebuilds it instead, when it does
};

// What a restore writes into: the stores by id (their TTLs drop what expired), how the
// derived ones are rebuilt, and the state format the changelog's checkpoints must name.
struct StateLayout {
  std::vector<state::StoreSpec> stores;
  std::vector<Derivation> derivations = {};
  std::string format = {};
};

// How a restore runs.
struct RestoreOptions {
  // A restore not done by then is an error (the service stops on it).
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // How much it writes to the store at once, and lets the derived values it builds hold
  // before it writes them: about what it holds in memory besides its consumer's pre-fetch.
  size_t chunk_bytes = 8 << 20;
  // Its consumer's own properties, after the client's (the memory plan's restore bounds;
  // none: librdkafka's, 100,000 records or 64 MiB).
  kafka::Properties consumer_properties = {};
  // After each batch it reads of the changelog up to the last checkpoint: the offset it
  // has read to, and the one it reads to (what is left is an upper bound of the records
  // left: compaction leaves gaps). On the restoring thread.
  std::function<void(int64_t read, int64_t end)> progress = {};
};

// Restores one input partition's state from the changelog into db (laid out as layout
// says), with the derived stores rebuilt from what it restored, committing it all with
// the marker's offsets. It holds little of the changelog at once: it finds the last
// marker by reading back from the end, then writes the records up to it in chunks of
// options.chunk_bytes, folds the derived stores from what the database then holds
// (writing their values whenever they hold more than a chunk), and commits the offsets
// last. Its
// consumer takes options.consumer_properties (the memory plan's restore bounds), not the
// service consumer's smaller ones: librdkafka 2.0 fetches again only a second after its
// queue passed a bound, and a restore empties a small queue in far less (restore_bench on
// a real broker ran 3x slower with them).
// The partition's state is dropped first (local state behind the changelog, what an
// interrupted restore left) and again when the restore does not finish or falls back to
// the input. Records of a checkpoint that never finished are handed to
// writer->Neutralize. A checkpoint of another state format (another release's) is
// FailedPrecondition: nothing is restored.
Result<RestoreOutcome> RestoreFromChangelog(const kafka::ClientConfig& client, const std::string& topic,
                                            const TopicPartition& input, const StateLayout& layout,
                                            state::StateStore* db, ChangelogWriter* writer,
                                            const RestoreOptions& options = {});

}  // namespace voc::runtime
