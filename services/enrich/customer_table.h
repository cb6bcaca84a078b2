// The customer table: voc.customers (compacted, keyed by customer id) read whole into the
// state store, so enrichment joins against the latest profile of every customer. It is
// read to its end before processing starts, then followed as it changes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/core/string_map.h"
#include "common/kafka/kafka.h"
#include "common/state/state_store.h"
#include "voc/v1/customer.pb.h"

namespace voc::enrich {

// NOT thread-safe: owned by the processing thread.
class CustomerTable {
 public:
  // Customers live under this reserved partition: no input partition reaches it.
  static constexpr PartitionId kTablePartition{-1};

  CustomerTable(kafka::ClientConfig client, std::string topic, kafka::Properties properties,
                state::StoreId store_id);
  ~CustomerTable();

  // Reads what has arrived: without waiting once caught up, before that for at most `slice`
  // towards the end the table had at start-up.
  Status Follow(state::StateStore* store, std::chrono::milliseconds slice);
  bool caught_up() const { return caught_up_; }
  // The latest profile, or nullptr when the customer is unknown; valid until the next
  // Follow or Lookup. Answers come from memory after the first lookup of a customer,
  // until a change to the row arrives. A stored row that does not parse throws
  // runtime::FatalError.
  const voc::v1::CustomerProfile* Lookup(state::StateStore* store, std::string_view customer_id);
  uint64_t rows_applied() const { return rows_applied_; }

 private:
  Status Start(state::StateStore* store);
  Status ApplyBatch(state::StateStore* store, size_t* applied);

  kafka::ClientConfig client_;
  std::string topic_;
  kafka::Properties properties_;
  state::StoreId store_id_;
  std::unique_ptr<kafka::Consumer> consumer_;
  kafka::RecordBatch batch_;
  std::map<TopicPartition, Offset> end_at_start_;  // high watermarks when we started
  std::map<TopicPartition, Offset> next_;
  bool caught_up_ = false;
  uint64_t rows_applied_ = 0;
  std::string value_;
  // Rows looked up, parsed; nullopt: not in the table. Past kMaxCached entries it starts over.
  static constexpr size_t kMaxCached = 200'000;
  StringMap<std::optional<voc::v1::CustomerProfile>> cache_;
};

}  // namespace voc::enrich
