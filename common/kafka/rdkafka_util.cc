#include "common/kafka/rdkafka_util.h"

#include "common/logging/logging.h"

namespace voc::kafka::internal {
namespace {

// librdkafka's own log lines (syslog levels) go through the process's logger, in its
// format (text or JSON lines, the client and facility as fields), never straight to
// stderr. Called on librdkafka's threads; the logger is thread-safe.
void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  logging::Level ours = logging::Level::kDebug;
  if (level <= 2) {
    ours = logging::Level::kCritical;
  } else if (level == 3) {
    ours = logging::Level::kError;
  } else if (level == 4) {
    ours = logging::Level::kWarn;
  } else if (level <= 6) {
    ours = logging::Level::kInfo;
  }
  logging::Log(ours, std::string("librdkafka: ") + message,
               {{"client", rk != nullptr ? rd_kafka_name(rk) : "-"}, {"facility", facility}});
}

}  // namespace

Result<ConfPtr> MakeConf(std::initializer_list<const Properties*> layers) {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);
  char errstr[512];
  for (const Properties* props : layers) {
    for (const auto& [key, value] : *props) {
      if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        return Status::InvalidArgument("Kafka property '" + key + "' = '" + value + "': " + errstr);
      }
    }
  }
  return conf;
}

Result<HandlePtr> MakeHandle(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return Status::InvalidArgument(std::string("cannot create Kafka client: ") + errstr);
  conf.release();  // rd_kafka_new took it
  return HandlePtr(rk);
}

std::string UnhealableErrorHint(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
      return "the broker refuses the consumer's session.timeout.ms (brokers before Kafka 2.3 accept at most 30 s "
             "by default, group.max.session.timeout.ms): set kafka.consumer.session.timeout.ms within the broker's "
             "group.min/max.session.timeout.ms";
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
      return "the broker does not speak a request this client sends: for brokers before Kafka 0.10 set "
             "kafka.client.api.version.request=false and kafka.client.broker.version.fallback to the broker's version";
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR__SSL:
      return "the cluster refused this client's credentials: check kafka.client.security.protocol and the "
             "kafka.client.sasl.* / ssl.* properties";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "the cluster's ACLs do not allow this client: grant its principal read on the input topics and the "
             "group, and write on the output topics";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return "a topic this service reads or writes does not exist and the cluster does not create topics on "
             "demand: create the pipeline's topics (deploy/README.md lists them) or fix the topics.* names";
    case RD_KAFKA_RESP_ERR__FATAL:
      return "librdkafka raised a fatal error: the client cannot go on; check the log line before this one";
    default:
      return {};
  }
}

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace voc::kafka::internal
