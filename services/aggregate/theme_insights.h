// voc-aggregate's insight detectors on its own windows and stores: theme spikes (volume,
// negative share and mean sentiment of a theme's all-channel hourly window, and of each
// of its segment windows, against that series' own seasonal history) and release regressions and fixes (a theme's newest app
// version against the previous one). The statistics are in detectors.h; this module
// keeps their state in the processor's typed stores and turns findings into alerts
// (voc.v1.Alert, keyed by alert id, opened / updated / resolved).
//
// Timing: a window still filling is tested at each of its emissions, so an alert goes out
// within one emit interval of the data that crossed the line; a closed window is tested
// once more, then feeds the history. Everything is in event time, and every decision is
// stored with the offsets, so a redelivered batch repeats the same alerts under the same
// ids (AlertLifecycle ignores what it has applied before).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/runtime/processor.h"
#include "services/aggregate/detectors.h"
#include "voc/state/v1/insight.pb.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/alert.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::aggregate {

struct InsightOptions {
  bool enabled = true;
  // Also watch each theme x segment (the segment rollup's windows), where the theme has
  // more than one segment and the theme as a whole is normal on that metric.
  bool segment_spikes = true;
  std::string alerts_topic = "voc.alerts";
  insight::BaselineOptions baseline;
  insight::Sensitivity sensitivity;
  insight::LifecycleOptions lifecycle;
  insight::ReleaseOptions release;
  std::string service_version = "0.1.0";
};

struct InsightProbe;

// NOT thread-safe: runs on the aggregate processor's thread.
class ThemeInsights {
 public:
  ThemeInsights(InsightOptions options, prometheus::Registry& registry);
  ~ThemeInsights();

  // Stores: baseline (a theme's seasonal history), lifecycle (an alert series' state, by
  // kind, theme and metric) and release (a theme's stats per app version).
  void Open(runtime::Setup& setup, std::chrono::seconds ttl);

  // A contribution entered (sign +1) or left (-1) a theme: the release stats follow it.
  void OnContribution(PartitionId partition, const std::string& theme_id, const std::string& app_version,
                      bool sentiment_scored, int64_t sentiment_micros, int sign);

  // A theme's all-channel hourly window is being emitted: test it, and each of its segment
  // windows (`segments`, most mentions first), and emit the alerts that follow; a closed
  // window then feeds each series' history. watermark_ms: the partition's.
  void OnHourlyWindow(PartitionId partition, const voc::state::v1::WindowState& window,
                      const std::vector<const voc::state::v1::WindowState*>& segments, int64_t watermark_ms,
                      int64_t now_ms,
                      runtime::Context& ctx);

 private:
  // Tests one series' window; a metric in `quiet` cannot open an alert (the theme's own
  // series already has it). Returns the metrics anomalous now or with an open alert.
  std::array<bool, 3> TestSpike(PartitionId partition, const voc::state::v1::WindowState& window,
                                int64_t watermark_ms, int64_t now_ms, const std::array<bool, 3>& quiet,
                                const std::vector<std::string>& top_segments, runtime::Context& ctx);
  void TestRelease(PartitionId partition, const voc::state::v1::WindowState& window, int64_t now_ms,
                   runtime::Context& ctx);
  // Applies a finding to the series' lifecycle; emits the event it makes, if any. Returns
  // whether the series' alert is open.
  bool Step(PartitionId partition, const std::string& kind, const std::string& series_key, insight::Direction watch,
            const voc::state::v1::WindowState& window, double elapsed_fraction, bool closed,
            const insight::MetricFinding& finding, const insight::ReleaseComparison* release, int64_t now_ms,
            const std::vector<std::string>& top_segments, runtime::Context& ctx);

  InsightOptions options_;
  std::unique_ptr<InsightProbe> probe_;
  state::KeyValueStore<voc::state::v1::SeasonalBaselineState>* baselines_ = nullptr;
  state::KeyValueStore<voc::state::v1::AlertLifecycleState>* lifecycles_ = nullptr;
  state::KeyValueStore<voc::state::v1::ReleaseStatsState>* releases_ = nullptr;
  voc::v1::Alert alert_;
  std::string key_;
  std::string bytes_;
};

}  // namespace voc::aggregate
