#include "common/metrics/http_server.h"

#include <CivetServer.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <iterator>
#include <mutex>
#include <vector>

namespace voc::metrics {
namespace {

void Reply(mg_connection* conn, const HttpResponse& r) {
  const char* reason = r.status == 200 ? "OK" : r.status == 404 ? "Not Found" : r.status == 400 ? "Bad Request"
                                                                                                 : "Service Unavailable";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
            r.status, reason, r.content_type.c_str(), r.body.size());
  mg_write(conn, r.body.data(), r.body.size());
}

class FunctionHandler final : public CivetHandler {
 public:
  explicit FunctionHandler(RouteHandler fn) : fn_(std::move(fn)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    Reply(conn, fn_(info->query_string != nullptr ? info->query_string : ""));
    return true;
  }

 private:
  RouteHandler fn_;
};

class HttpServerImpl final : public HttpServer {
 public:
  Status Init(const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
              std::shared_ptr<const Health> health) {
    std::vector<std::string> options = {"listening_ports", listen, "num_threads", "2"};
    try {
      server_ = std::make_unique<CivetServer>(options);
    } catch (const CivetException& e) {
      return Status::Unavailable("cannot listen on " + listen + " for HTTP: " + e.what() +
                                 " (is the port in use? set service.http_listen to another address)");
    }
    AddRoute("/metrics", [this, registry](const std::string&) {
      auto families = registry->Collect();
      for (const auto& collectable : Collectables()) {
        auto more = collectable->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
      }
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                          prometheus::TextSerializer().Serialize(families)};
    });
    AddRoute("/healthz", [health](const std::string&) {
      bool alive = health->alive(std::chrono::seconds(30));
      return HttpResponse{alive ? 200 : 503, "text/plain", alive ? "ok\n" : "processing loop stalled\n"};
    });
    AddRoute("/readyz", [health](const std::string&) {
      if (health->ready()) return HttpResponse{200, "text/plain", "ready\n"};
      const std::string reason = health->reason();
      return HttpResponse{503, "text/plain", reason.empty() ? "not ready\n" : "not ready: " + reason + "\n"};
    });
    return Status::Ok();
  }

  ~HttpServerImpl() override {
    // Stop serving before the handlers it calls go away.
    if (server_) server_->close();
  }

  int port() const override {
    auto ports = server_->getListeningPorts();
    return ports.empty() ? 0 : ports[0];
  }

  void AddCollectable(std::shared_ptr<const prometheus::Collectable> collectable) override {
    std::lock_guard lock(mu_);
    collectables_.push_back(std::move(collectable));
  }

  void AddRoute(const std::string& path, RouteHandler handler) override {
    std::lock_guard lock(mu_);
    handlers_.push_back(std::make_unique<FunctionHandler>(std::move(handler)));
    server_->addHandler(path, handlers_.back().get());
  }

 private:
  std::vector<std::shared_ptr<const prometheus::Collectable>> Collectables() {
    std::lock_guard lock(mu_);
    return collectables_;
  }

  std::mutex mu_;  // guards handlers_ and collectables_
  std::vector<std::unique_ptr<FunctionHandler>> handlers_;
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectables_;
  std::unique_ptr<CivetServer> server_;  // declared last: destroyed first
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen,
                                                      std::shared_ptr<prometheus::Registry> registry,
                                                      std::shared_ptr<const Health> health) {
  auto server = std::make_unique<HttpServerImpl>();
  VOC_RETURN_IF_ERROR(server->Init(listen, std::move(registry), std::move(health)));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace voc::metrics
