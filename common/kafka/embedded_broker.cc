#include "common/kafka/embedded_broker.h"

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>

#include "common/kafka/rdkafka_util.h"

namespace voc::kafka {
namespace {

class EmbeddedBrokerImpl final : public EmbeddedBroker {
 public:
  ~EmbeddedBrokerImpl() override {
    // The cluster lives on the host handle: destroy it first.
    if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  }

  Status Init(int broker_count) {
    // The mock broker's sockets take their options from this handle. Without TCP_NODELAY
    // a response written right behind another waits for the client's delayed ACK
    // (about 40 ms): every flush of records to more than one partition would pay it.
    const Properties host = {{"log_level", "3"}, {"socket.nagle.disable", "true"}};
    auto conf = internal::MakeConf({&host});
    if (!conf.ok()) return conf.status();
    auto handle = internal::MakeHandle(RD_KAFKA_PRODUCER, std::move(conf).value());
    if (!handle.ok()) return handle.status();
    host_ = std::move(handle).value();
    cluster_ = rd_kafka_mock_cluster_new(host_.get(), broker_count);
    if (cluster_ == nullptr) return Status::Unavailable("cannot start the embedded Kafka broker");
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
    return Status::Ok();
  }

  const std::string& bootstrap_servers() const override { return bootstrap_; }

  Status CreateTopic(const std::string& name, int partitions) override {
    if (partitions <= 0) return Status::InvalidArgument("topic " + name + " needs at least one partition");
    auto err = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("cannot create topic " + name + ": " + rd_kafka_err2str(err));
    }
    return Status::Ok();
  }

  Status SetBrokerDown(int broker_id) override {
    return Check(rd_kafka_mock_broker_set_down(cluster_, broker_id), "set broker down");
  }
  Status SetBrokerUp(int broker_id) override {
    return Check(rd_kafka_mock_broker_set_up(cluster_, broker_id), "set broker up");
  }

  Status DelayResponses(int broker_id, int16_t api_key, size_t count, std::chrono::milliseconds delay) override {
    for (size_t i = 0; i < count; ++i) {
      VOC_RETURN_IF_ERROR(Check(rd_kafka_mock_broker_push_request_error_rtts(cluster_, broker_id, api_key, 1,
                                                                             RD_KAFKA_RESP_ERR_NO_ERROR,
                                                                             static_cast<int>(delay.count())),
                                "delay responses"));
    }
    return Status::Ok();
  }
  Result<size_t> PendingDelays(int broker_id, int16_t api_key) override {
    size_t count = 0;
    VOC_RETURN_IF_ERROR(
        Check(rd_kafka_mock_broker_error_stack_cnt(cluster_, broker_id, api_key, &count), "count delayed responses"));
    return count;
  }

 private:
  static Status Check(rd_kafka_resp_err_t err, const char* what) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
    return Status::Unavailable(std::string(what) + ": " + rd_kafka_err2str(err));
  }

  internal::HandlePtr host_;  // outlives cluster_ (see destructor)
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(int broker_count) {
  auto broker = std::make_unique<EmbeddedBrokerImpl>();
  VOC_RETURN_IF_ERROR(broker->Init(broker_count));
  return std::unique_ptr<EmbeddedBroker>(std::move(broker));
}

}  // namespace voc::kafka
