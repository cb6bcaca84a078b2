#include "common/kafka/rdkafka_util.h"

namespace voc::kafka::internal {

Result<ConfPtr> MakeConf(std::initializer_list<const Properties*> layers) {
  ConfPtr conf(rd_kafka_conf_new());
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

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace voc::kafka::internal
