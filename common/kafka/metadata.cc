// One-off cluster questions, each on a short-lived handle with a deadline.
#include <librdkafka/rdkafka.h>

#include "common/kafka/kafka.h"
#include "common/kafka/rdkafka_util.h"

namespace voc::kafka {
namespace {

Result<internal::HandlePtr> QueryHandle(const std::string& bootstrap_servers) {
  auto conf = internal::MakeConf({{"bootstrap.servers", bootstrap_servers}, {"log_level", "3"}}, {});
  if (!conf.ok()) return conf.status();
  return internal::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
}

}  // namespace

Result<int> PartitionCount(const std::string& bootstrap_servers, const std::string& topic,
                           std::chrono::milliseconds timeout) {
  auto rk = QueryHandle(bootstrap_servers);
  if (!rk.ok()) return rk.status();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk->get(), 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("cannot read metadata of topic " + topic + " from " + bootstrap_servers + ": " +
                               rd_kafka_err2str(err));
  }
  Result<int> result = Status::NotFound("topic " + topic + " does not exist");
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) result = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return result;
}

Result<std::pair<Offset, Offset>> Watermarks(const std::string& bootstrap_servers, const TopicPartition& tp,
                                             std::chrono::milliseconds timeout) {
  auto rk = QueryHandle(bootstrap_servers);
  if (!rk.ok()) return rk.status();
  int64_t low = 0, high = 0;
  auto err = rd_kafka_query_watermark_offsets(rk->get(), tp.topic.c_str(), tp.partition.value, &low, &high,
                                              static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("cannot read offsets of " + tp.topic + "/" + std::to_string(tp.partition.value) +
                               ": " + rd_kafka_err2str(err));
  }
  return std::make_pair(Offset(low), Offset(high));
}

}  // namespace voc::kafka
