#include "common/runtime/table_reader.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace voc::runtime {

Result<std::unique_ptr<TableReader>> TableReader::Create(ProcessorDriver& driver, const kafka::ClientConfig& client,
                                                         const kafka::Properties& consumer_properties,
                                                         std::function<void(const TopicPartition&, int64_t)> on_loss) {
  std::unique_ptr<TableReader> reader(new TableReader(driver));
  for (size_t i = 0; i < driver.tables().size(); ++i) {
    const TableSpec& spec = driver.tables()[i];
    Followed& t = reader->tables_.emplace_back();
    t.table = i;
    t.topic = spec.topic;
    t.give_up = std::chrono::steady_clock::now() + spec.catch_up;
    kafka::ConsumerOptions co;
    co.client = client;
    co.topics = {spec.topic};
    co.properties = consumer_properties;
    // A caught-up reader fetches once per fetch.wait.max.ms for as long as it runs; a table
    // changes rarely, and a change may reach later records half a second late.
    auto& wait = co.properties["fetch.wait.max.ms"];
    if (std::atoi(wait.c_str()) < 500) wait = "500";
    co.start_offset = [&driver](const TopicPartition& tp) { return driver.StoredOffset(tp); };
    co.on_loss = on_loss;
    auto consumer = kafka::Consumer::Create(std::move(co));
    if (!consumer.ok()) return consumer.status();
    t.consumer = std::move(consumer).value();
    for (const auto& tp : t.consumer->Assignment()) {
      auto marks = t.consumer->Watermarks(tp, std::chrono::seconds(10));
      if (!marks.ok()) return marks.status();
      t.end_at_start[tp] = marks->second;
      t.next[tp] = driver.StoredOffset(tp).value_or(marks->first);
    }
  }
  return reader;
}

TableReader::~TableReader() {
  batch_.Clear();  // messages go before their consumers
  for (auto& t : tables_) t.consumer->Close(std::chrono::seconds(5)).ok();
}

Status TableReader::Follow(std::chrono::milliseconds wait, Emitter& out,
                           std::map<TopicPartition, Offset>* next_offsets) {
  for (auto& t : tables_) {
    Status polled = t.consumer->Poll(10'000, t.caught_up ? std::chrono::milliseconds(0) : wait, &batch_);
    for (const kafka::Record& r : batch_) {
      const TopicPartition tp{std::string(r.topic), r.partition};
      t.next[tp] = Offset(r.offset.value + 1);
      (*next_offsets)[tp] = t.next[tp];
      if (driver_.ApplyTableRow(t.table, r.key, r.value)) {
        ++t.rows;
      } else {
        out.DeadLetter(r, "MALFORMED_PROTOBUF", "a row of table " + t.topic + " that does not parse, or has no key");
      }
    }
    batch_.Clear();
    if (!polled.ok()) return polled;
    if (!t.caught_up) {
      t.caught_up = true;
      for (const auto& [tp, end] : t.end_at_start) t.caught_up &= t.next[tp] >= end;
      if (t.caught_up) spdlog::info("table {}: {} rows read; caught up", t.topic, t.rows);
    }
  }
  return Status::Ok();
}

bool TableReader::ready() const {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& t : tables_) {
    if (!t.caught_up && now < t.give_up) return false;
  }
  return true;
}

std::string TableReader::progress() const {
  for (const auto& t : tables_) {
    if (t.caught_up) continue;
    int64_t read = 0, total = 0;
    for (const auto& [tp, end] : t.end_at_start) {
      total += end.value;
      auto it = t.next.find(tp);
      read += it == t.next.end() ? 0 : it->second.value;
    }
    return "reading table " + t.topic + " (offset " + std::to_string(read) + " of " + std::to_string(total) + ")";
  }
  return {};
}

}  // namespace voc::runtime
