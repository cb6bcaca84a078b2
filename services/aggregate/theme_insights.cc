#include "services/aggregate/theme_insights.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace voc::aggregate {

struct InsightProbe {
  explicit InsightProbe(prometheus::Registry& r)
      : events(prometheus::BuildCounter()
                   .Name("voc_aggregate_alerts_total")
                   .Help("Theme and release alert events voc-aggregate emitted, by kind and status.")
                   .Labels({{"service", "voc-aggregate"}})
                   .Register(r)),
        tests(prometheus::BuildCounter()
                  .Name("voc_aggregate_insight_tests_total")
                  .Help("Windows the insight detectors tested, and history they could not use.")
                  .Labels({{"service", "voc-aggregate"}})
                  .Register(r)),
        spike_tests(tests.Add({{"test", "spike"}})),
        release_tests(tests.Add({{"test", "release"}})),
        unreadable(tests.Add({{"test", "unreadable_state"}})) {
    // Every series exists from the start at 0, so a dashboard sees it before the first alert.
    for (const char* kind : {"theme_spike", "release_regression", "release_fix"}) {
      for (const char* status : {"opened", "updated", "resolved"}) events.Add({{"kind", kind}, {"status", status}});
    }
  }
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Family<prometheus::Counter>& tests;
  prometheus::Counter& spike_tests;
  prometheus::Counter& release_tests;
  prometheus::Counter& unreadable;
};

namespace {

constexpr char kSpike[] = "theme_spike";
constexpr char kRegression[] = "release_regression";
constexpr char kFix[] = "release_fix";

// "theme_spike|reliability.crashes|volume": one alert series' lifecycle.
std::string LifecycleKey(std::string_view kind, std::string_view series_key) {
  std::string key(kind);
  key += '|';
  key += series_key;
  return key;
}

insight::WindowCounts Counts(const voc::state::v1::WindowState& s) {
  return {.volume = s.volume(),
          .negative = s.negative(),
          .sentiment_sum = static_cast<double>(s.sentiment_sum_micros()) / 1e6,
          .sentiment_count = s.sentiment_count()};
}

const char* StatusName(voc::v1::Alert::Status status) {
  switch (status) {
    case voc::v1::Alert::STATUS_OPENED: return "opened";
    case voc::v1::Alert::STATUS_UPDATED: return "updated";
    case voc::v1::Alert::STATUS_RESOLVED: return "resolved";
    default: return "unspecified";
  }
}

// One sentence a person reads in a dashboard or a chat channel.
std::string Summary(const voc::v1::Alert& a) {
  const auto& e = a.evidence();
  const std::string& theme = a.theme_id();
  char line[512];
  if (a.kind() == voc::v1::Alert::KIND_THEME_SPIKE) {
    const bool volume = e.metric() == "volume";
    const std::string segment = e.segment().empty() ? "" : " among " + e.segment() + " customers";
    std::snprintf(line, sizeof line, "%s of theme %s%s: %s %.3g against %.3g expected from its history (z = %.1f)%s",
                  volume ? "Volume" : e.metric() == "negative_share" ? "Negative share" : "Mean sentiment",
                  theme.c_str(), segment.c_str(), e.observed() >= e.expected() ? "up," : "down,", e.observed(), e.expected(),
                  e.statistic(), a.status() == voc::v1::Alert::STATUS_RESOLVED ? "; back to normal" : "");
  } else {
    std::snprintf(line, sizeof line, "Theme %s %s on app version %s against %s: %s %.3g vs %.3g (z = %.1f)",
                  theme.c_str(), a.kind() == voc::v1::Alert::KIND_RELEASE_REGRESSION ? "worse" : "better",
                  e.version().c_str(), e.previous_version().c_str(), e.metric().c_str(), e.observed(), e.expected(),
                  e.statistic());
  }
  return line;
}

}  // namespace

ThemeInsights::ThemeInsights(InsightOptions options, prometheus::Registry& registry)
    : options_(std::move(options)), probe_(std::make_unique<InsightProbe>(registry)) {}

ThemeInsights::~ThemeInsights() = default;

void ThemeInsights::Open(runtime::Setup& setup, std::chrono::seconds ttl) {
  if (!options_.enabled) return;
  // A theme's history is written every closed hour; one silent for twice the retention (of
  // event time, as the windows) is forgotten with its windows.
  baselines_ = setup.Store<voc::state::v1::SeasonalBaselineState>(
      {.name = "baseline", .ttl = ttl, .ttl_in_event_time = true});
  lifecycles_ = setup.Store<voc::state::v1::AlertLifecycleState>(
      {.name = "lifecycle", .ttl = ttl, .ttl_in_event_time = true});
  releases_ = setup.Store<voc::state::v1::ReleaseStatsState>(
      {.name = "release", .ttl = ttl, .ttl_in_event_time = true});
}

void ThemeInsights::OnContribution(PartitionId partition, const std::string& theme_id, const std::string& app_version,
                                   bool sentiment_scored, int64_t sentiment_micros, int sign) {
  if (!options_.enabled || app_version.empty()) return;
  const voc::state::v1::ReleaseStatsState* stored = releases_->Get(partition, theme_id);
  auto tracker = stored ? insight::ReleaseTracker::Load(*stored, options_.release)
                        : Result<insight::ReleaseTracker>(insight::ReleaseTracker(options_.release));
  if (!tracker.ok()) {
    probe_->unreadable.Increment();
    tracker = insight::ReleaseTracker(options_.release);
  }
  const insight::ReleaseResponse response{.scored = sentiment_scored,
                                          .negative = sentiment_micros <= -50'000,
                                          .sentiment = static_cast<double>(sentiment_micros) / 1e6};
  const bool changed = sign > 0 ? tracker->Add(app_version, response) : tracker->Remove(app_version, response);
  if (changed) tracker->SaveTo(&releases_->Update(partition, theme_id));
}

void ThemeInsights::OnHourlyWindow(PartitionId partition, const voc::state::v1::WindowState& window,
                                   const std::vector<const voc::state::v1::WindowState*>& segments, int64_t watermark_ms,
                                   int64_t now_ms, runtime::Context& ctx) {
  if (!options_.enabled) return;
  std::vector<std::string> top;
  for (const auto* s : segments) {
    if (top.size() < 3 && s->volume() > 0) top.push_back(s->rollup_value());
  }
  const std::array<bool, 3> theme_found = TestSpike(partition, window, watermark_ms, now_ms, {}, top, ctx);
  // A spike across the whole theme is the theme's alert (with its top segments); one
  // segment of it is news of its own only while the theme as a whole is normal.
  if (options_.segment_spikes && segments.size() > 1) {
    for (const auto* s : segments) TestSpike(partition, *s, watermark_ms, now_ms, theme_found, {}, ctx);
  }
  if (window.closed()) TestRelease(partition, window, now_ms, ctx);
}

std::array<bool, 3> ThemeInsights::TestSpike(PartitionId partition, const voc::state::v1::WindowState& window,
                                             int64_t watermark_ms, int64_t now_ms, const std::array<bool, 3>& quiet,
                                             const std::vector<std::string>& top_segments, runtime::Context& ctx) {
  // The series: the theme, or one segment of it ("reliability.crashes|segment=enterprise").
  std::string theme = window.theme_id();
  if (window.rollup() != 0) {
    theme += "|segment=";
    theme += window.rollup_value();
  }
  const voc::state::v1::SeasonalBaselineState* stored = baselines_->Get(partition, theme);
  auto baseline = stored ? insight::SeasonalBaseline::Load(*stored, options_.baseline)
                         : Result<insight::SeasonalBaseline>(insight::SeasonalBaseline(options_.baseline));
  if (!baseline.ok()) {
    probe_->unreadable.Increment();
    baseline = insight::SeasonalBaseline(options_.baseline);
  }
  const int64_t start = window.window_start_ms();
  const bool closed = window.closed();
  const double elapsed =
      closed ? 1.0
             : std::clamp(static_cast<double>(watermark_ms - start) / static_cast<double>(window.window_size_ms()),
                          0.05, 1.0);
  const insight::WindowCounts counts = Counts(window);
  const insight::Evaluation evaluation =
      insight::Evaluate(counts, baseline->Expected(start), elapsed, options_.sensitivity);
  probe_->spike_tests.Increment();
  // Spikes of volume and negative share, drops of sentiment: the other way is good news.
  std::array<bool, 3> found{};
  for (size_t i = 0; i < evaluation.findings.size(); ++i) {
    insight::MetricFinding finding = evaluation.findings[i];
    const auto watch = finding.metric == insight::Metric::kSentiment ? insight::Direction::kDown : insight::Direction::kUp;
    const bool anomalous = finding.anomalous && finding.direction == watch;
    if (quiet[i]) finding.anomalous = false;
    const bool open = Step(partition, kSpike, theme + "|" + std::string(insight::MetricName(finding.metric)), watch,
                           window, elapsed, closed, finding, nullptr, now_ms, top_segments, ctx);
    found[i] = anomalous || open;
  }
  // A closed window becomes history once: a later correction of it is not fed again.
  if (closed && baseline->Observe(start, counts)) baseline->SaveTo(&baselines_->Update(partition, theme));
  return found;
}

void ThemeInsights::TestRelease(PartitionId partition, const voc::state::v1::WindowState& window, int64_t now_ms,
                                runtime::Context& ctx) {
  const std::string& theme = window.theme_id();
  const voc::state::v1::ReleaseStatsState* stored = releases_->Get(partition, theme);
  if (stored == nullptr) return;
  auto tracker = insight::ReleaseTracker::Load(*stored, options_.release);
  if (!tracker.ok()) {
    probe_->unreadable.Increment();
    return;
  }
  const insight::ReleaseComparison c = tracker->Compare();
  probe_->release_tests.Increment();
  if (!c.compared) return;
  // Each verdict is a series of its own per newest version: the regression of 4.2.0
  // opens once and resolves when 4.2.0 no longer differs (or a newer version arrives).
  const bool share = std::abs(c.share_z) >= std::abs(c.sentiment_z);
  insight::MetricFinding finding;
  finding.metric = share ? insight::Metric::kNegativeShare : insight::Metric::kSentiment;
  finding.tested = true;
  finding.statistic = share ? c.share_z : c.sentiment_z;
  finding.observed = share ? c.newest_share : c.newest_sentiment;
  finding.expected = share ? c.previous_share : c.previous_sentiment;
  const std::string series = theme + "|" + c.newest;
  for (const char* kind : {kRegression, kFix}) {
    const bool found = (kind == kRegression) == (c.verdict == insight::ReleaseVerdict::kRegression) &&
                       c.verdict != insight::ReleaseVerdict::kNone;
    finding.anomalous = found;
    finding.direction = found ? (finding.statistic > 0 ? insight::Direction::kUp : insight::Direction::kDown)
                              : insight::Direction::kNone;
    Step(partition, kind, series, insight::Direction::kNone, window, 1.0, true, finding, &c, now_ms, {}, ctx);
  }
}

bool ThemeInsights::Step(PartitionId partition, const std::string& kind, const std::string& series_key,
                         insight::Direction watch, const voc::state::v1::WindowState& window, double elapsed_fraction, bool closed,
                         const insight::MetricFinding& finding, const insight::ReleaseComparison* release,
                         int64_t now_ms, const std::vector<std::string>& top_segments, runtime::Context& ctx) {
  key_ = LifecycleKey(kind, series_key);
  const voc::state::v1::AlertLifecycleState* stored = lifecycles_->Get(partition, key_);
  // Nothing to remember for a series that never opened an alert and is normal now.
  if (stored == nullptr && !finding.anomalous) return false;
  auto lifecycle =
      stored ? insight::AlertLifecycle::Load(kind, series_key, watch, *stored, options_.lifecycle)
             : Result<insight::AlertLifecycle>(insight::AlertLifecycle(kind, series_key, watch, options_.lifecycle));
  if (!lifecycle.ok()) {
    probe_->unreadable.Increment();
    lifecycle = insight::AlertLifecycle(kind, series_key, watch, options_.lifecycle);
  }
  const auto event = lifecycle->Apply(window.window_start_ms(), elapsed_fraction, closed, finding);
  lifecycle->SaveTo(&lifecycles_->Update(partition, key_));
  if (!event) return lifecycle->open();

  alert_.Clear();
  alert_.set_schema_version(1);
  alert_.set_alert_id(event->alert_id);
  alert_.set_kind(kind == kSpike        ? voc::v1::Alert::KIND_THEME_SPIKE
                  : kind == kRegression ? voc::v1::Alert::KIND_RELEASE_REGRESSION
                                        : voc::v1::Alert::KIND_RELEASE_FIX);
  alert_.set_status(event->type == insight::AlertEventType::kOpened    ? voc::v1::Alert::STATUS_OPENED
                    : event->type == insight::AlertEventType::kUpdated ? voc::v1::Alert::STATUS_UPDATED
                                                                       : voc::v1::Alert::STATUS_RESOLVED);
  alert_.set_theme_id(window.theme_id());
  alert_.set_event_time_ms(event->evidence.window_start_ms);
  auto* e = alert_.mutable_evidence();
  e->set_metric(std::string(insight::MetricName(event->evidence.metric)));
  e->set_observed(event->evidence.observed);
  e->set_expected(event->evidence.expected);
  e->set_statistic(event->evidence.statistic);
  e->set_window_start_ms(event->evidence.window_start_ms);
  e->set_window_size_ms(window.window_size_ms());
  e->set_count(window.volume());
  e->set_unique_customers(window.unique_customers());
  e->set_arr_affected(window.arr_affected());
  for (const auto& id : window.examples()) {
    if (e->example_feedback_ids_size() >= 3) break;
    e->add_example_feedback_ids(id);
  }
  if (window.rollup() != 0) e->set_segment(window.rollup_value());
  for (const auto& segment : top_segments) e->add_top_segments(segment);
  if (release != nullptr) {
    e->set_version(release->newest);
    e->set_previous_version(release->previous);
    e->set_count(release->newest_scored);
    e->set_previous_count(release->previous_scored);
  }
  alert_.set_summary(Summary(alert_));
  auto* meta = alert_.mutable_meta();
  meta->set_service("voc-aggregate");
  meta->set_service_version(options_.service_version);
  meta->set_processed_at_ms(now_ms);
  alert_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.alerts_topic, alert_.alert_id(), bytes_);
  probe_->events.Add({{"kind", kind}, {"status", StatusName(alert_.status())}}).Increment();
  return lifecycle->open();
}

}  // namespace voc::aggregate
