#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <thread>
#include <unordered_map>

#include "common/core/string_map.h"
#include "common/kafka/kafka.h"
#include "common/kafka/rdkafka_util.h"

namespace voc::kafka {
namespace {

using internal::HandlePtr;

// A record whose delivery failed with a retriable error, kept to be sent again.
struct FailedRecord {
  std::string topic;
  int32_t partition = RD_KAFKA_PARTITION_UA;  // unassigned: by key
  std::string key;
  std::string value;
};

class ProducerImpl final : public Producer {
 public:
  Status Init(const ProducerOptions& options) {
    Properties defaults = {
        {"bootstrap.servers", options.client.bootstrap_servers},
        {"acks", "all"},
        {"socket.nagle.disable", "true"},
        {"linger.ms", "20"},
        {"batch.num.messages", "10000"},
        {"batch.size", "1048576"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"message.max.bytes", "16777216"},
        {"message.timeout.ms", "30000"},
        // Same key, same partition as the Java client computes.
        {"partitioner", "murmur2_random"},
    };
    auto conf = internal::MakeConf({&defaults, &options.client.properties, &options.properties});
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf->get(), &ProducerImpl::DeliveryCallback);
    rd_kafka_conf_set_error_cb(conf->get(), &ProducerImpl::ErrorCallback);
    on_statistics_ = options.on_statistics;
    if (on_statistics_) rd_kafka_conf_set_stats_cb(conf->get(), &ProducerImpl::StatisticsCallback);
    auto handle = internal::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
    if (!handle.ok()) return handle.status();
    rk_ = std::move(handle).value();
    return Status::Ok();
  }

  Status Produce(std::string_view topic, std::string_view key, std::string_view value) override {
    return Send(topic, RD_KAFKA_PARTITION_UA, key, value);
  }

  Status ProduceTo(std::string_view topic, PartitionId partition, std::string_view key,
                   std::string_view value) override {
    return Send(topic, partition.value, key, value);
  }

  Status Send(std::string_view topic, int32_t partition, std::string_view key, std::string_view value) {
    rd_kafka_topic_t* rkt = Topic(topic);
    if (rkt == nullptr) {
      return Status::InvalidArgument("cannot produce to " + std::string(topic) + ": " +
                                     rd_kafka_err2str(rd_kafka_last_error()));
    }
    std::optional<std::chrono::steady_clock::time_point> deadline;  // set once the queue is full
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return Status::InvalidArgument("cannot produce to " + std::string(topic) + ": " + rd_kafka_err2str(err));
      }
      if (!deadline) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      if (internal::RemainingMs(*deadline) == 0) return Status::Timeout("producer queue stayed full for 30 s");
      rd_kafka_poll(rk_.get(), 10);  // serve delivery reports to make room
    }
  }

  Status Flush(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      rd_kafka_flush(rk_.get(), std::max(1, internal::RemainingMs(deadline)));
      rd_kafka_poll(rk_.get(), 0);
      if (!fatal_.ok()) {
        Status s = fatal_;
        fatal_ = Status::Ok();
        return s;
      }
      if (failed_.empty() && rd_kafka_outq_len(rk_.get()) == 0) return Status::Ok();
      if (internal::RemainingMs(deadline) == 0) {
        return Status::Timeout(std::to_string(rd_kafka_outq_len(rk_.get()) + failed_.size()) +
                               " records not acknowledged by the broker in time");
      }
      // Retriable failures (broker down, leader moved): send again; consumers downstream
      // are idempotent, so a record that did land twice changes nothing.
      std::vector<FailedRecord> retry;
      retry.swap(failed_);
      if (!retry.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const auto& r : retry) {
        VOC_RETURN_IF_ERROR(Send(r.topic, r.partition, r.key, r.value));
        ++resent_;
      }
    }
  }

  void Poll() override { rd_kafka_poll(rk_.get(), 0); }

  void TakeAcknowledged(const std::function<void(std::string_view topic, uint64_t records)>& fn) override {
    for (auto& [rkt, n] : acknowledged_) {
      if (n == 0) continue;
      fn(rd_kafka_topic_name(rkt), n);
      n = 0;
    }
  }

  uint64_t delivered() const override { return delivered_; }
  uint64_t resent() const override { return resent_; }

 private:
  // The topic's handle, made on first use: naming the topic on every record would look
  // it up (under librdkafka's lock) every time.
  rd_kafka_topic_t* Topic(std::string_view name) {
    auto it = topics_.find(name);
    if (it != topics_.end()) return it->second.get();
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), std::string(name).c_str(), nullptr);
    if (rkt == nullptr) return nullptr;
    topics_.emplace(std::string(name), TopicPtr(rkt));
    return rkt;
  }

  static void DeliveryCallback(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    static_cast<ProducerImpl*>(opaque)->OnDelivery(msg);
  }

  static int StatisticsCallback(rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<ProducerImpl*>(opaque)->on_statistics_(std::string_view(json, len));
    return 0;  // librdkafka frees json
  }

  // Client-level errors (served by Poll and Flush): one that waiting cannot heal fails
  // the next Flush with the setting to change, instead of a retry loop that says nothing.
  static void ErrorCallback(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<ProducerImpl*>(opaque);
    std::string hint = internal::UnhealableErrorHint(static_cast<rd_kafka_resp_err_t>(err));
    if (hint.empty()) {
      spdlog::warn("producer: {}", reason);  // librdkafka retries it
    } else if (self->fatal_.ok()) {
      self->fatal_ = Status::FailedPrecondition(hint + " (librdkafka: " + reason + ")");
    }
  }

  void OnDelivery(const rd_kafka_message_t* msg) {
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++delivered_;
      ++acknowledged_[msg->rkt];
      return;
    }
    const bool retriable = msg->err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE &&
                           msg->err != RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE && msg->err != RD_KAFKA_RESP_ERR__FATAL;
    if (!retriable) {
      fatal_ = Status::InvalidArgument(std::string("record to ") + rd_kafka_topic_name(msg->rkt) +
                                       " rejected: " + rd_kafka_err2str(msg->err));
      return;
    }
    failed_.push_back({rd_kafka_topic_name(msg->rkt), msg->partition,
                       std::string(static_cast<const char*>(msg->key), msg->key_len),
                       std::string(static_cast<const char*>(msg->payload), msg->len)});
  }

  struct TopicDeleter {
    void operator()(rd_kafka_topic_t* rkt) const { rd_kafka_topic_destroy(rkt); }
  };
  using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

  HandlePtr rk_;
  StringMap<TopicPtr> topics_;  // destroyed before rk_, which they reference
  std::unordered_map<rd_kafka_topic_t*, uint64_t> acknowledged_;  // since TakeAcknowledged, by topic
  std::vector<FailedRecord> failed_;
  Status fatal_;
  kafka::StatisticsCallback on_statistics_;
  uint64_t delivered_ = 0;
  uint64_t resent_ = 0;
};

}  // namespace

Result<std::unique_ptr<Producer>> Producer::Create(ProducerOptions options) {
  auto producer = std::make_unique<ProducerImpl>();
  VOC_RETURN_IF_ERROR(producer->Init(options));
  return std::unique_ptr<Producer>(std::move(producer));
}

}  // namespace voc::kafka
