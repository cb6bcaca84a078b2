// Cluster questions: on a handle a client already has, or on a short-lived one built
// from the same ClientConfig, each with a deadline.
#include <librdkafka/rdkafka.h>

#include "common/kafka/kafka.h"
#include "common/kafka/rdkafka_util.h"

namespace voc::kafka {
namespace internal {

Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("cannot read the metadata of topic " + topic + ": " + rd_kafka_err2str(err));
  }
  Result<int> result = Status::NotFound("topic " + topic + " does not exist");
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topics[0].partition_cnt > 0) {
    result = md->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return result;
}

Result<std::pair<Offset, Offset>> Watermarks(rd_kafka_t* rk, const TopicPartition& tp,
                                             std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  auto err = rd_kafka_query_watermark_offsets(rk, tp.topic.c_str(), tp.partition.value, &low, &high,
                                              static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("cannot read the offsets of " + tp.topic + "/" + std::to_string(tp.partition.value) +
                               ": " + rd_kafka_err2str(err));
  }
  return std::make_pair(Offset(low), Offset(high));
}

}  // namespace internal

namespace {

// A producer handle never joins a group and sends nothing unasked: the cheapest handle
// that answers metadata questions with the cluster's own properties.
Result<internal::HandlePtr> QueryHandle(const ClientConfig& client) {
  const Properties defaults = {{"bootstrap.servers", client.bootstrap_servers}, {"log_level", "3"}};
  auto conf = internal::MakeConf({&defaults, &client.properties});
  if (!conf.ok()) return conf.status();
  return internal::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
}

}  // namespace

Result<int> PartitionCount(const ClientConfig& client, const std::string& topic, std::chrono::milliseconds timeout) {
  auto rk = QueryHandle(client);
  if (!rk.ok()) return rk.status();
  return internal::PartitionCount(rk->get(), topic, timeout);
}

Result<std::pair<Offset, Offset>> Watermarks(const ClientConfig& client, const TopicPartition& tp,
                                             std::chrono::milliseconds timeout) {
  auto rk = QueryHandle(client);
  if (!rk.ok()) return rk.status();
  return internal::Watermarks(rk->get(), tp, timeout);
}

}  // namespace voc::kafka
