#include "tests/runtime/test_util.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/registry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "common/kafka/kafka.h"

namespace voc::test {

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

std::string FileText(const std::string& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

std::vector<ConsumedRecord> ReadTopic(const kafka::ClientConfig& cluster, const std::string& topic,
                                      std::chrono::milliseconds timeout) {
  std::vector<ConsumedRecord> out;
  kafka::ConsumerOptions options;
  options.client = cluster;
  options.topics = {topic};
  options.read_content_type = true;
  auto consumer = kafka::Consumer::Create(std::move(options));
  if (!consumer.ok()) {
    ADD_FAILURE() << "cannot read topic " << topic << ": " << consumer.status().ToString();
    return out;
  }
  // Per partition, the next offset to read and the end to read to.
  std::map<int32_t, std::pair<int64_t, int64_t>> progress;
  for (const TopicPartition& tp : (*consumer)->Assignment()) {
    // A real broker under load can answer one query with a passing error (Kafka 0.9, 16
    // instances of every stage: "Unknown broker error"): it is asked again before the
    // read gives up.
    auto marks = (*consumer)->Watermarks(tp, std::chrono::seconds(10));
    for (int attempt = 1; !marks.ok() && attempt < 5; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      marks = (*consumer)->Watermarks(tp, std::chrono::seconds(10));
    }
    if (!marks.ok()) {
      ADD_FAILURE() << "cannot read the end of " << topic << ": " << marks.status().ToString();
      (*consumer)->Close(std::chrono::seconds(5)).ok();
      return out;
    }
    progress[tp.partition.value] = {marks->first.value, marks->second.value};
  }
  const auto behind = [&] {
    for (const auto& [partition, p] : progress) {
      if (p.first < p.second) return partition;
    }
    return -1;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  kafka::RecordBatch batch;
  while (behind() >= 0 && std::chrono::steady_clock::now() < deadline) {
    (*consumer)->Poll(1000, std::chrono::milliseconds(100), &batch).ok();  // loss is reported by its callback
    for (const kafka::Record& r : batch) {
      auto& next = progress[r.partition.value].first;
      next = std::max(next, r.offset.value + 1);
      out.push_back({std::string(r.topic), r.partition.value, r.offset.value, std::string(r.key),
                     std::string(r.value), std::string(r.content_type)});
    }
    batch.Clear();
  }
  if (const int32_t partition = behind(); partition >= 0) {
    const auto& p = progress[partition];
    ADD_FAILURE() << "reading " << topic << " did not reach its end within " << timeout.count() << " ms: partition "
                  << partition << " was read to offset " << p.first << " of " << p.second;
  }
  (*consumer)->Close(std::chrono::seconds(5)).ok();
  std::stable_sort(out.begin(), out.end(), [](const ConsumedRecord& a, const ConsumedRecord& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

int64_t CountRecords(const kafka::ClientConfig& cluster, const std::string& topic) {
  auto partitions = kafka::PartitionCount(cluster, topic, std::chrono::seconds(5));
  if (!partitions.ok()) return -1;
  int64_t total = 0;
  for (int p = 0; p < *partitions; ++p) {
    auto marks = kafka::Watermarks(cluster, {topic, PartitionId(p)}, std::chrono::seconds(5));
    if (!marks.ok()) return -1;
    total += marks->second.value - marks->first.value;
  }
  return total;
}

bool AwaitRecords(const kafka::ClientConfig& cluster, const std::string& topic, int64_t min_count,
                  std::chrono::milliseconds timeout) {
  return WaitFor([&] { return CountRecords(cluster, topic) >= min_count; }, timeout);
}

namespace {

// A consumer handle of `group` that never joins it: it only asks what the group committed.
rd_kafka_t* GroupQueryHandle(const kafka::ClientConfig& cluster, const std::string& group, std::string* error) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  kafka::Properties props = cluster.properties;
  props["bootstrap.servers"] = cluster.bootstrap_servers;
  props["group.id"] = group;
  props["log_level"] = "3";
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      *error = std::string(errstr);  // assigned as a char*, GCC 12 -O3 warns falsely (-Wrestrict)
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    *error = errstr;
    rd_kafka_conf_destroy(conf);
  }
  return rk;
}

}  // namespace

std::string AwaitCaughtUp(const kafka::ClientConfig& cluster, const std::string& group,
                          const std::vector<std::string>& topics, std::chrono::milliseconds timeout) {
  std::string error;
  rd_kafka_t* rk = GroupQueryHandle(cluster, group, &error);
  if (rk == nullptr) return "cannot ask what group " + group + " committed: " + error;
  std::string behind;
  WaitFor(
      [&] {
        behind.clear();
        for (const auto& topic : topics) {
          auto partitions = kafka::PartitionCount(cluster, topic, std::chrono::seconds(5));
          if (!partitions.ok()) {
            behind = partitions.status().ToString();
            return false;
          }
          rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(*partitions);
          for (int p = 0; p < *partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
          auto err = rd_kafka_committed(rk, list, 5000);
          for (int p = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && p < list->cnt; ++p) {
            auto marks = kafka::Watermarks(cluster, {topic, PartitionId(p)}, std::chrono::seconds(5));
            if (!marks.ok()) {
              behind = marks.status().ToString();
              break;
            }
            const int64_t committed = list->elems[p].offset;
            // A partition nothing was ever written to has nothing to commit.
            if (marks->second.value > 0 && committed < marks->second.value) {
              behind = "group " + group + " committed offset " + std::to_string(committed) + " of " + topic + "/" +
                       std::to_string(p) + ", whose end is " + std::to_string(marks->second.value);
              break;
            }
          }
          if (err != RD_KAFKA_RESP_ERR_NO_ERROR) behind = std::string("cannot ask the group: ") + rd_kafka_err2str(err);
          rd_kafka_topic_partition_list_destroy(list);
          if (!behind.empty()) return false;
        }
        return true;
      },
      timeout);
  rd_kafka_destroy(rk);
  return behind;
}

Status ProduceWithHeader(const std::string& bootstrap, const std::string& topic, const std::string& key,
                         const std::string& value, const std::string& header, const std::string& header_value) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_resp_err_t delivery = RD_KAFKA_RESP_ERR__TIMED_OUT;
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set_opaque(conf, &delivery);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    *static_cast<rd_kafka_resp_err_t*>(opaque) = msg->err;
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(errstr);
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADER(header.c_str(), header_value.data(), static_cast<ssize_t>(header_value.size())),
      RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_flush(rk, 10000);
    err = delivery;
  }
  rd_kafka_destroy(rk);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Unavailable(rd_kafka_err2str(err));
  return Status::Ok();
}

}  // namespace voc::test
