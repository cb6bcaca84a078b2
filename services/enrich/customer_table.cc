#include "services/enrich/customer_table.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/runtime/processor.h"

namespace voc::enrich {

CustomerTable::CustomerTable(kafka::ClientConfig client, std::string topic, kafka::Properties properties,
                             state::StoreId store_id)
    : client_(std::move(client)),
      topic_(std::move(topic)),
      properties_(std::move(properties)),
      store_id_(store_id) {}

CustomerTable::~CustomerTable() {
  batch_.Clear();  // messages go before their consumer
  if (consumer_) consumer_->Close(std::chrono::seconds(5)).ok();
}

Status CustomerTable::Start(state::StateStore* store) {
  kafka::ConsumerOptions co;
  co.client = client_;
  co.topics = {topic_};
  co.properties = properties_;
  // A caught-up reader fetches once per fetch.wait.max.ms for as long as it runs; the table
  // changes rarely, and a change may reach later records half a second late.
  auto& wait = co.properties["fetch.wait.max.ms"];
  if (std::atoi(wait.c_str()) < 500) wait = "500";
  co.start_offset = [store](const TopicPartition& tp) { return store->NextOffset(tp); };
  co.on_loss = [](const TopicPartition& tp, int64_t lost) {
    spdlog::error("customer table: {} row(s) of {}/{} fell off the log", lost, tp.topic, tp.partition.value);
  };
  auto consumer = kafka::Consumer::Create(std::move(co));
  if (!consumer.ok()) return consumer.status();
  consumer_ = std::move(consumer).value();
  for (const auto& tp : consumer_->Assignment()) {
    auto marks = consumer_->Watermarks(tp, std::chrono::seconds(10));
    if (!marks.ok()) return marks.status();
    end_at_start_[tp] = marks->second;
    next_[tp] = store->NextOffset(tp).value_or(marks->first);
  }
  return Status::Ok();
}

Status CustomerTable::ApplyBatch(state::StateStore* store, size_t* applied) {
  *applied = 0;
  if (batch_.empty()) return Status::Ok();
  auto txn = store->Begin();
  voc::v1::CustomerProfile profile;
  for (const auto& r : batch_) {
    next_[TopicPartition{std::string(r.topic), r.partition}] = Offset(r.offset.value + 1);
    if (auto cached = cache_.find(r.key); cached != cache_.end()) cache_.erase(cached);
    // A tombstone (null value) deletes the row, as on any compacted topic.
    if (r.value.empty()) {
      txn->Delete(store_id_, kTablePartition, r.key);
      continue;
    }
    if (!profile.ParseFromArray(r.value.data(), static_cast<int>(r.value.size())) || r.key.empty()) {
      spdlog::warn("customer table: skipping unreadable row at {}/{}@{}", r.topic, r.partition.value,
                   r.offset.value);
      continue;
    }
    txn->Put(store_id_, kTablePartition, r.key, r.value);
    ++*applied;
  }
  for (const auto& [tp, next] : next_) txn->SetNextOffset(tp, next);
  batch_.Clear();
  rows_applied_ += *applied;
  return store->Commit(txn.get());
}

Status CustomerTable::Follow(state::StateStore* store, std::chrono::milliseconds slice) {
  if (!consumer_) VOC_RETURN_IF_ERROR(Start(store));
  auto deadline = std::chrono::steady_clock::now() + slice;
  do {
    VOC_RETURN_IF_ERROR(consumer_->Poll(10000, std::chrono::milliseconds(caught_up_ ? 0 : 100), &batch_));
    size_t applied = 0;
    VOC_RETURN_IF_ERROR(ApplyBatch(store, &applied));
    if (!caught_up_) {
      caught_up_ = true;
      for (const auto& [tp, end] : end_at_start_) caught_up_ &= next_[tp] >= end;
      if (caught_up_) spdlog::info("customer table: {} rows read; caught up", rows_applied_);
    }
  } while (!caught_up_ && std::chrono::steady_clock::now() < deadline);
  return Status::Ok();
}

const voc::v1::CustomerProfile* CustomerTable::Lookup(state::StateStore* store, std::string_view customer_id) {
  auto it = cache_.find(customer_id);
  if (it == cache_.end()) {
    auto found = store->Get(store_id_, kTablePartition, customer_id, &value_);
    if (!found.ok()) return nullptr;  // a failed read is not an answer to remember
    std::optional<voc::v1::CustomerProfile> row;
    if (*found && !row.emplace().ParseFromString(value_)) {  // stored only once it parsed: the store is corrupt
      throw runtime::FatalError("voc-enrich: the stored customers row of a customer cannot be read: the state "
                                "store is corrupt or of another format");
    }
    if (cache_.size() >= kMaxCached) cache_.clear();
    it = cache_.emplace(std::string(customer_id), std::move(row)).first;
  }
  return it->second ? &*it->second : nullptr;
}

}  // namespace voc::enrich
