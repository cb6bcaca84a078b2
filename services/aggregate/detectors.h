// The statistical core of voc-aggregate's insight detectors: theme anomalies (volume,
// negative share, mean sentiment against the series' own seasonal history) and release
// regressions (newest app version against the previous one). Pure: no Kafka, no RocksDB;
// the processor feeds windows in, applies the findings and stores the state these
// classes save (proto/voc/state/v1/insight.proto). Every class here keeps fixed-size or
// bounded state, so memory per theme does not grow with the length of the stream.
//
// Conventions: windows are event-time hourly windows identified by their start (ms since
// the epoch, hour aligned); negative share is negative / sentiment_count (the split is of
// scored mentions); sentiment is on [-1, 1].
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"

namespace voc::state::v1 {
class SeasonalBaselineState;
class AlertLifecycleState;
class ReleaseStatsState;
}  // namespace voc::state::v1

namespace voc::aggregate::insight {

inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int kHoursPerWeek = 168;

// One hourly window's counts: a closed window, or the part of an open one filled so far.
struct WindowCounts {
  int64_t volume = 0;
  int64_t negative = 0;         // scored mentions that are negative
  double sentiment_sum = 0;
  int64_t sentiment_count = 0;  // scored mentions
};

// What a series' history expects of one hourly window. The uncertainty of each estimate
// is kept apart from the spread of the data around it, so a test can scale each to a
// partial window.
struct Expectation {
  bool has_volume = false;  // false: no history at this hour or any other
  double volume = 0;        // expected count of the whole window
  double volume_estimate_variance = 0;
  // Squared coefficient of variation of the hourly rate itself, beyond Poisson noise
  // (bursts, busy days): the count's variance is mean + overdispersion * mean^2.
  double volume_overdispersion = 0;
  bool has_rates = false;   // false: no scored mention seen yet
  double negative_share = 0;
  double negative_share_estimate_variance = 0;
  double share_overdispersion = 0;  // variance of a window's true share around it
  double sentiment_mean = 0;
  double sentiment_mean_estimate_variance = 0;
  double sentiment_variance = 0;    // of one mention's score
  uint64_t history_windows = 0;     // windows the series has been fed, gaps included
  uint32_t slot_windows = 0;        // of them, in this hour of the week

  // Predictive variance of the count over the first `fraction` of the window.
  double VolumeVariance(double fraction) const;
  // Predictive variance of a window's true negative share (estimate and overdispersion).
  double ShareVariance() const { return negative_share_estimate_variance + share_overdispersion; }
};

struct BaselineOptions {
  // Weight of the newest window in its hour-of-week slot; one update a week, so 0.15
  // remembers about 12 weeks. Until a slot has 1/alpha windows it is a plain mean.
  double slot_alpha = 0.15;
  // Weight of the newest window in the series' calibration (overdispersion, sentiment
  // variance): updated hourly, 0.01 remembers about four days.
  double calibration_alpha = 0.01;
  // Pseudo-mentions shrinking an hour of day's negative share and mean sentiment towards
  // the series' overall values while that hour has seen few mentions.
  double rate_prior_mentions = 100;
  // A gap longer than this (in windows; 26 weeks) feeds only its last part: older slot
  // contents have decayed to almost nothing by then anyway.
  uint32_t max_gap_windows = 26 * kHoursPerWeek;

  Status Validate() const;
};

// Learns one series' hourly windows per hour of the week (168 slots, Monday 00:00 UTC
// first) with exponentially weighted means. A weekday slot with little history is shrunk
// towards the mean of its hour of day over the weekdays seen, by how far apart weekdays
// really are beyond their noise (empirical Bayes, pooled over all hours of the day), so a
// quiet series leans on the hour of day and a large one trusts its weekday slot after a
// week. Negative share and sentiment are learnt per hour of day (weekday slots are too
// sparse for them), shrunk towards the whole series. Fixed size: 168 slots and a few
// calibration sums. NOT thread-safe; owned by the thread that owns its theme.
class SeasonalBaseline {
 public:
  explicit SeasonalBaseline(BaselineOptions options = {});

  // Feeds one closed hourly window. Empty windows between the last window fed and this
  // one are fed first (Advance). Returns false, changing nothing, when the window is not
  // after the last one fed, not hour aligned, or its counts are inconsistent.
  bool Observe(int64_t window_start_ms, const WindowCounts& counts);
  // Feeds an empty window for every hour after the last one fed up to, not including,
  // `up_to_window_start_ms`: a series with no mentions in an hour saw volume 0 there.
  // Call it before Expected() for a window after a gap. Nothing before the first Observe.
  void Advance(int64_t up_to_window_start_ms);

  // What the history expects of the hourly window starting at `window_start_ms`.
  Expectation Expected(int64_t window_start_ms) const;

  uint64_t windows_fed() const { return windows_fed_; }
  std::optional<int64_t> last_window_start_ms() const;

  void SaveTo(voc::state::v1::SeasonalBaselineState* state) const;
  static Result<SeasonalBaseline> Load(const voc::state::v1::SeasonalBaselineState& state,
                                       BaselineOptions options = {});

 private:
  struct Slot {
    double volume = 0;
    double scored = 0;
    double negative = 0;
    double sentiment_sum = 0;
    uint32_t windows = 0;
  };
  // Exponentially weighted means that are plain means until they have 1/alpha samples:
  // `excess` over `scale` estimates a variance per unit of scale.
  struct Calibration {
    double excess = 0;
    double scale = 0;
    uint32_t windows = 0;
    void Update(double excess_sample, double scale_sample, double alpha);
    // excess / scale in [0, high], as if `prior_scale` more had been seen with no excess.
    double Ratio(double prior_scale, double high) const;
  };
  struct VolumeEstimate {
    bool informed = false;
    double mean = 0;
    double variance = 0;  // of the estimate
  };
  struct RateEstimate {
    bool informed = false;
    double share = 0;
    double share_variance = 0;
    double sentiment = 0;
    double sentiment_variance = 0;  // of the estimate
  };

  void ObserveOne(int64_t window_start_ms, const WindowCounts& counts);
  double EffectiveWindows(const Slot& slot) const;
  double VolumeOverdispersion() const;
  double ShareOverdispersion() const;
  double WeekdayVariation() const;
  VolumeEstimate EstimateVolume(int slot) const;
  RateEstimate EstimateRates(int hour_of_day) const;
  double SentimentVariance() const;

  BaselineOptions options_;
  std::array<Slot, kHoursPerWeek> slots_{};
  uint64_t windows_fed_ = 0;
  int64_t last_window_start_ms_ = 0;
  Calibration volume_calibration_;
  Calibration share_calibration_;
  Calibration sentiment_calibration_;  // excess alone: the per-mention variance
};

// How sure a test must be before it calls a window anomalous.
struct Sensitivity {
  double z_threshold = 4.0;           // one-sided; volume converts its tail probability to z
  int64_t min_count = 5;              // volume: the larger of observed and expected count
  int64_t min_scored = 20;            // share and sentiment: scored mentions observed
  double min_volume_ratio = 1.2;      // observed/expected at least this, or at most 1/this
  double min_share_change = 0.05;     // absolute, in share
  double min_sentiment_change = 0.1;  // absolute, on [-1, 1]
  uint64_t min_history_windows = kHoursPerWeek;  // no alert at all before a week of history

  Status Validate() const;
};

enum class Metric { kVolume = 1, kNegativeShare = 2, kSentiment = 3 };
// kUp: the metric rose (worse for negative share); kDown: it fell (worse for sentiment).
enum class Direction { kNone = 0, kUp = 1, kDown = 2 };

std::string_view MetricName(Metric metric);

struct MetricFinding {
  Metric metric = Metric::kVolume;
  bool tested = false;     // enough history and data to test at all
  bool anomalous = false;
  Direction direction = Direction::kNone;
  double statistic = 0;    // signed z (volume: z-equivalent of its tail probability)
  double observed = 0;     // count, share or mean
  double expected = 0;     // volume: scaled to the elapsed fraction
};

struct Evaluation {
  std::array<MetricFinding, 3> findings;  // volume, negative share, sentiment
  bool AnyAnomalous() const;
  const MetricFinding& Of(Metric metric) const;
};

// Tests one window, possibly still filling, against its expectation. `elapsed_fraction`
// is how far into the window the data is (the watermark's position in it, (0, 1]): the
// expected count is scaled by it; shares and means need no scaling, only the counts.
// Volume uses the tail probability of a negative binomial with the expectation's mean and
// variance (Poisson when not over-dispersed), negative share that of a beta-binomial
// (binomial likewise), so small counts are judged exactly; the statistic is the z with the
// same tail. Mean sentiment is a z test.
Evaluation Evaluate(const WindowCounts& observed, const Expectation& expected, double elapsed_fraction,
                    const Sensitivity& sensitivity);

enum class AlertEventType { kOpened, kUpdated, kResolved };

struct AlertEvidence {
  Metric metric = Metric::kVolume;
  Direction direction = Direction::kNone;
  double statistic = 0;
  double observed = 0;
  double expected = 0;
  int64_t window_start_ms = 0;
  double elapsed_fraction = 0;
};

struct AlertEvent {
  AlertEventType type = AlertEventType::kOpened;
  std::string alert_id;
  std::string kind;
  std::string series_key;
  int64_t opened_window_start_ms = 0;
  AlertEvidence evidence;  // of the evaluation that caused the event
};

// 32 hex digits naming an alert: the same (kind, series, opening window) after a
// redelivery or a replay gives the same id.
std::string AlertId(std::string_view kind, std::string_view series_key, int64_t opened_window_start_ms);

struct LifecycleOptions {
  uint32_t resolve_after_closed_windows = 2;  // consecutive normal closed windows
  // A closed window counts as normal only with z below this the watched way: between it
  // and the alert threshold the alert stays open (hysteresis).
  double resolve_below_z = 2.0;
  // An open alert is updated only when its direction flips or the size of the anomaly
  // (volume: observed / expected - 1; share and sentiment: observed - expected) moves by
  // at least this fraction of the size last sent. Not the statistic: that grows with the
  // data as a window fills and restarts with every window.
  double update_min_effect_change = 0.5;
  int64_t window_ms = kHourMs;  // to count windows skipped between evaluations

  Status Validate() const;
};

// The lifecycle of one alert kind on one series (e.g. volume spikes of theme x segment),
// over its evaluations in order: opened when anomalous, updated while it persists and the
// evidence materially changes, resolved after enough normal closed windows (an evaluation
// of a still-filling window never resolves). One that watches a direction (kUp: spikes,
// kDown: drops) takes an anomaly the other way as normal, so a spike right after a drop
// is a new alert, not an update; kNone watches both. Windows skipped between evaluations
// count as normal closed windows: the caller evaluates every window with data. Closed
// windows are applied in window order, filling ones by (window, progress), and the two may
// interleave (a window closes after the next one started filling); an evaluation at or
// before the newest one of its kind applied, or of a window already closed, changes
// nothing, so redelivery is idempotent. NOT thread-safe; owned by the thread that
// owns its theme.
class AlertLifecycle {
 public:
  AlertLifecycle(std::string kind, std::string series_key, Direction watch = Direction::kNone,
                 LifecycleOptions options = {});

  std::optional<AlertEvent> Apply(int64_t window_start_ms, double elapsed_fraction, bool closed,
                                  const MetricFinding& finding);

  bool open() const { return open_; }
  const std::string& alert_id() const { return alert_id_; }

  void SaveTo(voc::state::v1::AlertLifecycleState* state) const;
  static Result<AlertLifecycle> Load(std::string kind, std::string series_key, Direction watch,
                                     const voc::state::v1::AlertLifecycleState& state,
                                     LifecycleOptions options = {});

 private:
  bool MateriallyChanged(const AlertEvidence& now) const;
  AlertEvent Event(AlertEventType type, const AlertEvidence& evidence) const;

  std::string kind_;
  std::string series_key_;
  Direction watch_;
  LifecycleOptions options_;
  bool open_ = false;
  std::string alert_id_;
  int64_t opened_window_start_ms_ = 0;
  AlertEvidence published_;
  uint32_t normal_closed_windows_ = 0;
  bool applied_any_ = false;
  int64_t last_window_start_ms_ = 0;  // the newest filling window applied ...
  double last_progress_ = 0;          // ... and how far it was
  bool closed_any_ = false;
  int64_t last_closed_window_start_ms_ = 0;  // the newest closed window applied
};

// <0, 0, >0 as version a is older than, the same as, or newer than b. Dotted numeric
// versions ("1.10.2") compare component by component as numbers (missing components are
// 0, so "1.2" and "1.2.0" tie and then fall back to string order); anything else compares
// as strings.
int CompareVersions(std::string_view a, std::string_view b);

struct ReleaseOptions {
  size_t max_versions = 8;        // the newest N versions are kept
  int64_t min_scored = 50;        // scored responses needed on both sides
  double z_threshold = 4.0;  // tested again every closed hour: a high bar keeps repeated looks honest
  double min_share_change = 0.05;
  double min_sentiment_change = 0.1;

  Status Validate() const;
};

// One response about a theme on one app version.
struct ReleaseResponse {
  bool scored = false;
  bool negative = false;  // only counted when scored
  double sentiment = 0;   // only counted when scored
};

enum class ReleaseVerdict { kNone, kRegression, kFix };

struct ReleaseComparison {
  ReleaseVerdict verdict = ReleaseVerdict::kNone;
  bool compared = false;       // false: no two versions with enough scored responses
  std::string newest;
  std::string previous;
  int64_t newest_scored = 0;
  int64_t previous_scored = 0;
  double newest_share = 0;
  double previous_share = 0;
  double share_z = 0;          // two-proportion, pooled; > 0: newest more negative
  double newest_sentiment = 0;
  double previous_sentiment = 0;
  double sentiment_z = 0;      // Welch; < 0: newest worse
};

// One theme's stats per app version, for the last N versions by version order. Responses
// can be retracted exactly (integer sums). Compare() tests the newest version against the
// nearest older one with enough responses: a significant worsening of negative share or
// mean sentiment is a regression, a significant improvement (and no worsening) a fix.
// NOT thread-safe; owned by the thread that owns its theme.
class ReleaseTracker {
 public:
  explicit ReleaseTracker(ReleaseOptions options = {});

  // False, changing nothing, for a version older than all N kept.
  bool Add(std::string_view version, const ReleaseResponse& response);
  // Takes back a response added before. False, changing nothing, for a version not kept.
  bool Remove(std::string_view version, const ReleaseResponse& response);

  ReleaseComparison Compare() const;
  size_t versions() const { return versions_.size(); }

  void SaveTo(voc::state::v1::ReleaseStatsState* state) const;
  static Result<ReleaseTracker> Load(const voc::state::v1::ReleaseStatsState& state, ReleaseOptions options = {});

 private:
  struct VersionStats {
    std::string version;
    int64_t responses = 0;
    int64_t negative = 0;
    int64_t sentiment_count = 0;
    int64_t sentiment_sum_micros = 0;
    int64_t sentiment_sq_micros = 0;
  };
  void Apply(VersionStats& stats, const ReleaseResponse& response, int sign) const;

  ReleaseOptions options_;
  std::vector<VersionStats> versions_;  // oldest first
};

}  // namespace voc::aggregate::insight
