// `vocctl demo`: the embedded broker, the three services and the generator together,
// with a live table of themes (volume per channel, sentiment, NPS) read back from the
// aggregates topic, as a dashboard would.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "common/core/theme_ids.h"
#include "common/kafka/kafka.h"
#include "services/pipeline/embedded_pipeline.h"
#include "tools/vocctl/commands.h"
#include "voc/v1/alert.pb.h"
#include "voc/v1/dead_letter.pb.h"
#include "voc/v1/theme.pb.h"
#include "voc/v1/topic.pb.h"

namespace voc::vocctl {
namespace {

struct ThemeRow {
  std::string path;
  int64_t volume = 0;
  std::array<int64_t, 4> by_channel{};
  int64_t sentiment_count = 0;
  double sentiment_sum = 0;
  int64_t negative = 0;
  int64_t nps_responses = 0;
  int64_t promoters = 0;
  int64_t detractors = 0;
};

// What the demo reads back: the latest upsert of every window, dead letters, alerts.
class DashboardView {
 public:
  void Apply(const kafka::Record& r, const runtime::PipelineTopicNames& n) {
    if (r.topic == n.aggregates) {
      voc::v1::ThemeAggregate a;
      if (a.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) windows_[std::string(r.key)] = a;
    } else if (r.topic == n.dlq) {
      voc::v1::DeadLetter d;
      if (d.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) dead_letters_[d.reason()]++;
    } else if (r.topic == n.emerging) {
      voc::v1::EmergingTopic t;
      if (t.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) emerging_[t.phrase()] = t;
    } else if (r.topic == n.alerts) {
      voc::v1::Alert a;
      if (!a.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) return;
      if (a.kind() == voc::v1::Alert::KIND_URGENT_FEEDBACK) {
        ++urgent_;
      } else if (a.status() == voc::v1::Alert::STATUS_RESOLVED) {
        open_.erase(a.alert_id());
      } else {
        open_[a.alert_id()] = a;
      }
    }
  }

  void Print(bool plain, double elapsed_s, uint64_t produced) const {
    int64_t smallest = INT64_MAX;
    for (const auto& [k, a] : windows_) smallest = std::min(smallest, a.window_size_ms());
    std::map<std::string, ThemeRow> rows;
    std::map<std::string, ThemeRow> segments;  // all feedback by customer segment
    const voc::v1::ThemeAggregate* drivers = nullptr;  // the newest overall window of the largest size
    for (const auto& [k, a] : windows_) {
      if (a.theme_id() == kOverallThemeId && a.channel() == voc::v1::CHANNEL_UNSPECIFIED && a.drivers_size() > 0 &&
          (drivers == nullptr || std::pair(a.window_size_ms(), a.window_start_ms()) >
                                     std::pair(drivers->window_size_ms(), drivers->window_start_ms()))) {
        drivers = &a;
      }
      if (a.window_size_ms() != smallest) continue;
      if (!a.segment().empty() || !a.app_version().empty()) {  // a rollup: the same responses again
        if (a.theme_id() == kOverallThemeId && !a.segment().empty()) {
          ThemeRow& row = segments[a.segment()];
          row.volume += a.volume();
          row.nps_responses += a.nps_responses();
          row.promoters += a.promoters();
          row.detractors += a.detractors();
        }
        continue;
      }
      ThemeRow& row = rows[a.theme_id()];
      if (!a.theme_path().empty()) row.path = a.theme_path();
      if (a.channel() != voc::v1::CHANNEL_UNSPECIFIED) {
        row.by_channel[a.channel()] += a.volume();
        continue;
      }
      row.volume += a.volume();
      row.sentiment_count += a.sentiment_count();
      row.sentiment_sum += a.sentiment_mean() * static_cast<double>(a.sentiment_count());
      row.negative += a.negative();
      row.nps_responses += a.nps_responses();
      row.promoters += a.promoters();
      row.detractors += a.detractors();
    }
    std::vector<const ThemeRow*> sorted;
    for (const auto& [id, row] : rows) {
      if (id != kOverallThemeId) sorted.push_back(&row);
    }
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->volume > b->volume; });
    if (!plain) std::printf("\033[H\033[2J");
    std::printf("vocstream demo  %5.0fs  raw records produced: %" PRIu64 "  windows: %zu  urgent alerts: %" PRId64 "\n\n",
                elapsed_s, produced, windows_.size(), urgent_);
    std::printf("%-40s %7s %7s %7s %7s %9s %6s %6s\n", "theme", "volume", "ticket", "survey", "review", "sentiment",
                "neg%", "NPS");
    if (auto it = rows.find(kOverallThemeId); it != rows.end()) {
      sorted.insert(sorted.begin(), &it->second);  // all feedback first, each response once
    }
    size_t shown = 0;
    for (const ThemeRow* r : sorted) {
      if (++shown > 21) break;
      const double mean = r->sentiment_count > 0 ? r->sentiment_sum / static_cast<double>(r->sentiment_count) : 0;
      const double neg = r->sentiment_count > 0 ? 100.0 * static_cast<double>(r->negative) / static_cast<double>(r->sentiment_count) : 0;
      char nps[16] = "-";
      if (r->nps_responses > 0) {
        std::snprintf(nps, sizeof nps, "%+.0f",
                      100.0 * static_cast<double>(r->promoters - r->detractors) / static_cast<double>(r->nps_responses));
      }
      std::printf("%-40.40s %7" PRId64 " %7" PRId64 " %7" PRId64 " %7" PRId64 " %+9.3f %5.0f%% %6s\n", r->path.c_str(),
                  r->volume, r->by_channel[1], r->by_channel[2], r->by_channel[3], mean, neg, nps);
    }
    if (drivers != nullptr) {
      std::printf("\nNPS drivers (theme: overall NPS minus NPS without it):");
      for (int i = 0; i < drivers->drivers_size() && i < 5; ++i) {
        std::printf("  %s %+.1f", drivers->drivers(i).theme_id().c_str(), drivers->drivers(i).nps_impact());
      }
      std::printf("\n");
    }
    if (!segments.empty()) {
      std::printf("\nby segment (volume, NPS):");
      for (const auto& [segment, r] : segments) {
        std::printf("  %s %" PRId64, segment.c_str(), r.volume);
        if (r.nps_responses > 0) {
          std::printf(" %+.0f", 100.0 * static_cast<double>(r.promoters - r.detractors) /
                                    static_cast<double>(r.nps_responses));
        }
      }
      std::printf("\n");
    }
    if (!emerging_.empty()) {
      std::printf("\nemerging topics (phrases no theme names, rising):");
      std::vector<const voc::v1::EmergingTopic*> rising;
      for (const auto& [phrase, t] : emerging_) rising.push_back(&t);
      std::sort(rising.begin(), rising.end(), [](auto* a, auto* b) { return a->growth() > b->growth(); });
      for (size_t i = 0; i < rising.size() && i < 5; ++i) {
        std::printf("  \"%s\" %" PRId64 " (x%.1f)", rising[i]->phrase().c_str(), rising[i]->unthemed_count(),
                    rising[i]->growth());
      }
      std::printf("\n");
    }
    std::printf("\nopen alerts:");
    if (open_.empty()) std::printf(" none (spikes need a week of a theme's history)");
    for (const auto& [id, a] : open_) std::printf("\n  %s", a.summary().c_str());
    std::printf("\n\ndead letters:");
    if (dead_letters_.empty()) std::printf(" none");
    for (const auto& [reason, n] : dead_letters_) std::printf("  %s %" PRId64, reason.c_str(), n);
    std::printf("\n%s", plain ? "\n" : "(Ctrl-C to stop)\n");
    std::fflush(stdout);
  }

 private:
  std::map<std::string, voc::v1::ThemeAggregate> windows_;
  std::map<std::string, int64_t> dead_letters_;
  int64_t urgent_ = 0;
  std::map<std::string, voc::v1::Alert> open_;  // theme and release alerts not resolved, by id
  std::map<std::string, voc::v1::EmergingTopic> emerging_;  // the latest of each phrase
};

}  // namespace

int RunDemo(const DemoArgs& args, const std::atomic<bool>& stop) {
  std::string state = args.state_dir;
  const bool temporary = state.empty();
  if (temporary) state = (std::filesystem::temp_directory_path() / ("vocstream-demo-" + std::to_string(getpid()))).string();
  std::cerr << "vocctl demo: starting the embedded broker and the three services (state in " << state << ")\n";
  pipeline::EmbeddedPipelineOptions po;
  po.partitions = args.partitions;
  po.state_root = state;
  po.aggregate.emit_interval = std::chrono::milliseconds(500);
  po.http = true;
  auto pipe = pipeline::EmbeddedPipeline::Start(std::move(po));
  if (!pipe.ok()) {
    std::cerr << "vocctl demo: cannot start the pipeline: " << pipe.status().ToString() << "\n";
    return 1;
  }
  auto& p = **pipe;
  std::cerr << "vocctl demo: broker at " << p.bootstrap_servers() << "; metrics at http://127.0.0.1:"
            << p.http_port(pipeline::Stage::kIngest) << "/metrics (ingest), :" << p.http_port(pipeline::Stage::kEnrich)
            << " (enrich), :" << p.http_port(pipeline::Stage::kAggregate) << " (aggregate)\n";
  auto producer = kafka::Producer::Create({.client = p.client(), .properties = {{"linger.ms", "5"}}});
  if (!producer.ok()) {
    std::cerr << "vocctl demo: " << producer.status().ToString() << "\n";
    return 1;
  }
  gen::GenOptions go;
  go.seed = args.seed;
  go.live = true;
  go.topics = p.topics();
  gen::Generator generator(go);
  for (const auto& c : generator.customers()) {
    (*producer)->Produce(p.topics().customers, c.customer_id(), c.SerializeAsString()).ok();
  }
  kafka::ConsumerOptions co;
  co.client = p.client();
  co.topics = {p.topics().aggregates, p.topics().dlq, p.topics().alerts, p.topics().emerging};
  auto reader = kafka::Consumer::Create(std::move(co));
  if (!reader.ok()) {
    std::cerr << "vocctl demo: " << reader.status().ToString() << "\n";
    return 1;
  }
  DashboardView view;
  kafka::RecordBatch batch;
  const auto start = std::chrono::steady_clock::now();
  auto next_draw = start;
  uint64_t produced = 0;
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (args.duration.count() > 0 && now - start >= args.duration) break;
    // Produce what the rate allows by now, then read back what the dashboards see.
    while (static_cast<double>(produced) < elapsed * args.rate) {
      auto r = generator.Next();
      if (Status s = (*producer)->Produce(r.topic, r.key, r.value); !s.ok()) {
        std::cerr << "vocctl demo: " << s.ToString() << "\n";
        break;
      }
      ++produced;
    }
    (*producer)->Flush(std::chrono::seconds(10)).ok();
    batch.Clear();
    (*reader)->Poll(10000, std::chrono::milliseconds(100), &batch).ok();
    for (const auto& r : batch) view.Apply(r, p.topics());
    if (now >= next_draw) {
      next_draw = now + std::chrono::seconds(args.plain ? 5 : 1);
      view.Print(args.plain, elapsed, produced);
    }
  }
  // Let the last records through before the final table.
  const auto drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < drain_until) {
    batch.Clear();
    (*reader)->Poll(10000, std::chrono::milliseconds(200), &batch).ok();
    for (const auto& r : batch) view.Apply(r, p.topics());
  }
  view.Print(true, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), produced);
  const auto& truth = generator.truth();
  std::printf("generated: %zu records = %zu new feedback, %zu revisions, %zu exact duplicates, %zu stale revisions, "
              "%zu malformed\n",
              truth.records, truth.originals, truth.revisions, truth.exact_duplicates, truth.stale, truth.malformed);
  batch.Clear();
  (*reader)->Close(std::chrono::seconds(5)).ok();
  reader->reset();
  producer->reset();  // clients go before the broker they talk to
  Status stopped = p.Stop();
  pipe->reset();
  if (temporary) std::filesystem::remove_all(state);
  if (!stopped.ok()) {
    std::cerr << "vocctl demo: a service stopped with an error: " << stopped.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace voc::vocctl
