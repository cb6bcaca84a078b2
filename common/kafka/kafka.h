// Kafka I/O for vocstream services: a consumer with manual offsets and cooperative-sticky
// assignment, a producer whose every delivery is checked, and the embedded broker.
// librdkafka stays behind this header: services see Record, TopicPartition and Offset.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"
#include "common/core/types.h"

namespace voc::kafka {

// librdkafka properties passed through as given ("linger.ms" -> "20").
using Properties = std::map<std::string, std::string>;

// How a client reaches one cluster. Every handle — consumer, producer, the metadata
// queries below, the tools' — is built from it, so a property set once here
// (security.protocol, sasl.*, ssl.*, client.id, api.version.request,
// broker.version.fallback) reaches them all.
struct ClientConfig {
  std::string bootstrap_servers;
  Properties properties = {};  // applied to every handle, after its defaults, before its own
};


// librdkafka's statistics, a JSON document (see librdkafka's STATISTICS.md), every
// statistics.interval.ms when that property is set; called on the thread that polls.
using StatisticsCallback = std::function<void(std::string_view json)>;

// Logical start offsets a start_offset callback may return.
inline constexpr Offset kOffsetBeginning{-2};
inline constexpr Offset kOffsetEnd{-1};

// One consumed record. Its views stay valid while the RecordBatch that holds it lives.
struct Record {
  std::string_view topic;
  PartitionId partition;
  Offset offset;
  std::string_view key;
  std::string_view value;
  // The broker's timestamp; 0 or less where it keeps none (librdkafka gives 0 for records
  // of Kafka before 0.10).
  int64_t timestamp_ms = -1;
  std::string_view content_type;  // the "content-type" header (when asked for), empty when absent
};

// Owns the broker's messages behind a batch of Records. NOT thread-safe.
class RecordBatch {
 public:
  RecordBatch() = default;
  RecordBatch(const RecordBatch&) = delete;
  RecordBatch& operator=(const RecordBatch&) = delete;
  ~RecordBatch();

  void Clear();
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const Record& operator[](size_t i) const { return records_[i]; }
  std::vector<Record>::const_iterator begin() const { return records_.begin(); }
  std::vector<Record>::const_iterator end() const { return records_.end(); }

 private:
  friend class ConsumerImpl;
  std::vector<void*> messages_;  // rd_kafka_message_t*, parallel to records_
  std::vector<Record> records_;
};

struct PartitionLag {
  TopicPartition partition;
  int64_t lag = 0;  // high watermark minus position, from the last fetch
};

struct ConsumerOptions {
  ClientConfig client;
  // Consumer group; empty means no group: every partition of `topics` is assigned
  // (how a service reads a table such as voc.customers whole).
  std::string group_id;
  std::vector<std::string> topics;
  // Without a group: only these partitions of the topics are assigned (empty: all).
  std::vector<PartitionId> partitions;
  Properties properties;  // the consumer's own pass-through, applied after client.properties
  // Fill Record::content_type from the record's headers (reading them costs a little on
  // every record; only a consumer that honours the header asks).
  bool read_content_type = false;
  // Where a newly assigned partition starts; nullopt: the group's committed offset, or the
  // log's start when there is none. Stateful services answer from their state store.
  std::function<std::optional<Offset>(const TopicPartition&)> start_offset;
  // Called inside Poll, on the polling thread, before the assignment changes.
  std::function<void(const std::vector<TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<TopicPartition>&)> on_revoked;
  // An offset fell off the log (retention, or the embedded broker's size cap): `lost`
  // records were never seen. The consumer resumes at the log's start and reports it.
  std::function<void(const TopicPartition&, int64_t lost)> on_loss;
  StatisticsCallback on_statistics;
};

// NOT thread-safe: all calls happen on the service's processing thread.
class Consumer {
 public:
  virtual ~Consumer() = default;
  static Result<std::unique_ptr<Consumer>> Create(ConsumerOptions options);

  // Appends up to max_records to batch, waiting at most timeout for the first one.
  // Rebalance callbacks run inside this call. A broker error that waiting cannot heal
  // (a setting the cluster refuses, failed authentication, a missing topic) comes back as
  // kFailedPrecondition with a sentence naming the setting to change.
  virtual Status Poll(size_t max_records, std::chrono::milliseconds timeout, RecordBatch* batch) = 0;
  // Commits the next offset to read of each partition to the group (asynchronously), with
  // every earlier offset the group has not confirmed: call it at every checkpoint, also
  // with nothing new, so a commit lost to a rebalance is sent again.
  virtual Status Commit(const std::vector<std::pair<TopicPartition, Offset>>& next_offsets) = 0;
  virtual std::vector<TopicPartition> Assignment() = 0;
  virtual std::vector<PartitionLag> Lag() = 0;
  // The offset the group committed for tp (nullopt: none, or no group), asked at most
  // timeout; callable inside the rebalance callbacks.
  virtual std::optional<Offset> Committed(const TopicPartition& tp, std::chrono::milliseconds timeout) = 0;
  // Low and high watermark of a partition, asked on this consumer's own connection.
  virtual Result<std::pair<Offset, Offset>> Watermarks(const TopicPartition& tp, std::chrono::milliseconds timeout) = 0;
  // Leaves the group, waiting at most timeout. A close that times out goes on: calling
  // Close again waits for it once more, and destruction waits up to 10 s more before it
  // gives the client up (a warning says so). Destruction without Close leaves the group
  // the same way without calling back.
  virtual Status Close(std::chrono::milliseconds timeout) = 0;
};

struct ProducerOptions {
  ClientConfig client;
  Properties properties = {};  // the producer's own pass-through, applied after client.properties
  StatisticsCallback on_statistics = {};  // served by Poll and Flush
};

// NOT thread-safe: all calls happen on one thread.
class Producer {
 public:
  virtual ~Producer() = default;
  static Result<std::unique_ptr<Producer>> Create(ProducerOptions options);

  // Queues a copy of the record; partitioned by key (murmur2, as the Java client does). A
  // key with no data (std::string_view(), not an empty string's view) sends none: such
  // records are spread over the partitions at random.
  virtual Status Produce(std::string_view topic, std::string_view key, std::string_view value) = 0;
  // Queues a copy of the record for one partition (a changelog follows its input's).
  virtual Status ProduceTo(std::string_view topic, PartitionId partition, std::string_view key,
                           std::string_view value) = 0;
  // Waits until every queued record is acknowledged, re-sending the ones that failed
  // with a retriable error. Ok only when all are acknowledged before the deadline.
  virtual Status Flush(std::chrono::milliseconds deadline) = 0;
  // Serves the delivery reports that have arrived, without waiting.
  virtual void Poll() = 0;
  // Calls fn with the records acknowledged per topic since the last call.
  virtual void TakeAcknowledged(const std::function<void(std::string_view topic, uint64_t records)>& fn) = 0;
  virtual uint64_t delivered() const = 0;
  virtual uint64_t resent() const = 0;
};

// How many partitions `topic` has, asking the cluster at most `timeout`. NotFound when
// the cluster does not know the topic.
Result<int> PartitionCount(const ClientConfig& client, const std::string& topic, std::chrono::milliseconds timeout);

// Low and high watermark (first offset kept, next offset to be written) of a partition.
Result<std::pair<Offset, Offset>> Watermarks(const ClientConfig& client, const TopicPartition& tp,
                                             std::chrono::milliseconds timeout);

}  // namespace voc::kafka
