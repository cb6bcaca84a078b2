#include "common/metrics/scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace voc::metrics {

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

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::vector<Sample> ParseExposition(std::string_view body) {
  std::vector<Sample> out;
  while (!body.empty()) {
    const size_t eol = body.find('\n');
    std::string_view line = body.substr(0, eol);
    body.remove_prefix(eol == std::string_view::npos ? body.size() : eol + 1);
    if (line.empty() || line[0] == '#') continue;
    // name{labels} value [timestamp]: the value follows the labels' closing brace, whose
    // quoted values may hold spaces and braces of their own.
    Sample s;
    size_t rest = line.find_first_of("{ ");
    if (rest == std::string_view::npos) continue;
    s.name = line.substr(0, rest);
    if (line[rest] == '{') {
      const size_t close = line.rfind('}');
      if (close == std::string_view::npos || close < rest) continue;
      s.labels = line.substr(rest + 1, close - rest - 1);
      rest = close + 1;
    }
    const std::string value(line.substr(rest));
    char* end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    out.push_back(std::move(s));
  }
  return out;
}

bool HasLabel(const Sample& sample, std::string_view name, std::string_view value) {
  std::string needle(name);
  needle += "=\"";
  needle += value;
  needle += '"';
  for (size_t at = sample.labels.find(needle); at != std::string::npos; at = sample.labels.find(needle, at + 1)) {
    const bool starts = at == 0 || sample.labels[at - 1] == ',';
    const size_t after = at + needle.size();
    if (starts && (after == sample.labels.size() || sample.labels[after] == ',')) return true;
  }
  return false;
}

double SampleSum(const std::vector<Sample>& samples, std::string_view name,
                 const std::map<std::string, std::string>& labels) {
  double sum = 0;
  bool found = false;
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    if (!std::ranges::all_of(labels, [&](const auto& kv) { return HasLabel(s, kv.first, kv.second); })) continue;
    sum += s.value;
    found = true;
  }
  return found ? sum : -1;
}

std::optional<std::vector<Sample>> Scrape(int port) {
  const HttpReply reply = HttpGet(port, "/metrics");
  if (reply.status != 200) return std::nullopt;
  return ParseExposition(reply.body);
}

}  // namespace voc::metrics
