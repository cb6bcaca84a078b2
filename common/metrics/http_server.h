// The HTTP endpoint every service has: /metrics (Prometheus text exposition 0.0.4),
// /healthz (the processing loop is alive), /readyz (assigned, restored, caught up),
// plus query routes a service adds (the aggregator's window queries).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/core/status.h"

namespace prometheus {
class Collectable;
class Registry;
}

namespace voc::metrics {

// Written by the processing thread, read by HTTP threads: atomics, and the reason under
// reason_mutex_.
class Health {
 public:
  void SetReady(bool ready) { ready_.store(ready, std::memory_order_relaxed); }
  bool ready() const { return ready_.load(std::memory_order_relaxed); }
  // Why the service is not ready, for /readyz ("" when nothing more than "not ready" is known).
  void SetReason(std::string reason) {
    std::lock_guard lock(reason_mutex_);
    reason_ = std::move(reason);
  }
  std::string reason() const {
    std::lock_guard lock(reason_mutex_);
    return reason_;
  }
  // The processing loop calls this every iteration; /healthz fails when it stops.
  void Beat() { last_beat_ms_.store(NowMs(), std::memory_order_relaxed); }
  bool alive(std::chrono::milliseconds max_silence) const {
    return NowMs() - last_beat_ms_.load(std::memory_order_relaxed) <= max_silence.count();
  }

 private:
  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::atomic<bool> ready_{false};
  mutable std::mutex reason_mutex_;
  std::string reason_;
  std::atomic<int64_t> last_beat_ms_{NowMs()};
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Runs on civetweb's threads; a route handler must be thread-safe.
using RouteHandler = std::function<HttpResponse(const std::string& query_string)>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // listen: "host:port"; port 0 picks a free one (see port()).
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen,
                                                   std::shared_ptr<prometheus::Registry> registry,
                                                   std::shared_ptr<const Health> health);
  virtual int port() const = 0;
  // Adds a GET route such as "/windows". Call before the service starts processing.
  virtual void AddRoute(const std::string& path, RouteHandler handler) = 0;
  // Adds metrics that are read when /metrics is scraped (process metrics from /proc),
  // served after the registry's. Its Collect must be thread-safe.
  virtual void AddCollectable(std::shared_ptr<const prometheus::Collectable> collectable) = 0;
};

}  // namespace voc::metrics
