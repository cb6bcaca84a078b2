#include "tests/runtime/test_util.h"

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "common/kafka/kafka.h"

namespace voc::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/voc-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

HttpReply HttpGet(int port, const std::string& path) {
  HttpReply reply;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return reply;
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return reply;
  }
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);

  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  reply.body = raw.substr(head_end + 4);
  std::string head = raw.substr(0, head_end);
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const size_t ct = lower.find("\r\ncontent-type:");
  if (ct != std::string::npos) {
    size_t begin = ct + 15;
    size_t end = head.find("\r\n", begin);
    reply.content_type = head.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    reply.content_type.erase(0, reply.content_type.find_first_not_of(' '));
  }
  return reply;
}

std::vector<ConsumedRecord> ReadTopic(const std::string& bootstrap, const std::string& topic, size_t min_count,
                                      std::chrono::milliseconds timeout) {
  std::vector<ConsumedRecord> out;
  kafka::ConsumerOptions options;
  options.bootstrap_servers = bootstrap;
  options.topics = {topic};
  options.read_content_type = true;
  auto consumer = kafka::Consumer::Create(std::move(options));
  if (!consumer.ok()) throw std::runtime_error(consumer.status().ToString());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto grace_end = std::chrono::steady_clock::time_point::max();
  kafka::RecordBatch batch;
  while (std::chrono::steady_clock::now() < std::min(deadline, grace_end)) {
    (*consumer)->Poll(1000, std::chrono::milliseconds(100), &batch).ok();  // loss is reported by its callback
    for (const kafka::Record& r : batch) {
      out.push_back({std::string(r.topic), r.partition.value, r.offset.value, std::string(r.key),
                     std::string(r.value), std::string(r.content_type)});
    }
    batch.Clear();
    if (out.size() >= min_count && grace_end == std::chrono::steady_clock::time_point::max()) {
      grace_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    }
  }
  (*consumer)->Close(std::chrono::seconds(5)).ok();
  std::stable_sort(out.begin(), out.end(), [](const ConsumedRecord& a, const ConsumedRecord& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
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
