#include "services/aggregate/detectors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "common/core/hash.h"
#include "voc/state/v1/insight.pb.h"

namespace voc::aggregate::insight {
namespace {

constexpr int kHoursPerDay = 24;
constexpr int kDaysPerWeek = 7;
// 1970-01-01 was a Thursday: the epoch's first hour is hour 72 of a week from Monday.
constexpr int64_t kEpochHourOfWeek = 72;
// An hour no history has seen still expects a little, so one mention is not infinitely
// surprising; min_count keeps such hours quiet anyway.
constexpr double kMinRate = 0.01;
// A residual beyond this many squared sigmas is left out of the calibrations: an anomaly
// must not widen the model until it hides itself (and, truncated at 4 sigma, a normal
// residual loses almost nothing).
constexpr double kMaxResidualSquared = 16;
// Overdispersion is invisible in small counts: the calibrations start as if they had seen
// this much squared volume (scored mentions) with none, so a quiet series stays Poisson
// (binomial).
constexpr double kOverdispersionPriorScale = 100;
constexpr double kShareOverdispersionPriorScale = 10'000;
constexpr double kMaxZ = 37;  // what a tail probability of 1e-300 is worth
constexpr double kMinShare = 0.005;  // keeps the binomial variance off zero

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

int HourOfWeek(int64_t window_start_ms) {
  return static_cast<int>(FloorMod(FloorDiv(window_start_ms, kHourMs) + kEpochHourOfWeek, kHoursPerWeek));
}

// Acklam's rational approximation of the standard normal quantile, refined by one Halley
// step: accurate to double precision over (1e-300, 1).
double NormalQuantile(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

// The z whose upper tail is p: p = 0.5 gives 0, tiny p a large z.
double ZFromUpperTail(double p) {
  if (!(p > 1e-300)) return kMaxZ;
  if (p >= 0.5) return 0;
  return std::min(kMaxZ, -NormalQuantile(p));
}

// Tails of a count distribution, stepped through by the ratio of neighbouring
// probabilities (Dist::RatioUp(k) = pmf(k + 1) / pmf(k)) so a tail sums without a pmf
// evaluation per term, and in logs so a tiny tail does not underflow before its z.
double FromLog(double log_p) { return log_p < -690 ? 0 : std::exp(log_p); }

// P(X >= x), for x above the mean: summed upwards until the terms stop mattering.
template <typename Dist>
double UpperTail(const Dist& dist, int64_t x) {
  if (x <= 0) return 1;
  if (x > dist.Max()) return 0;
  double sum = 1, term = 1;
  for (int64_t k = x; k < dist.Max() && k < x + 10'000'000; ++k) {
    term *= dist.RatioUp(k);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return FromLog(dist.LogPmf(x) + std::log(sum));
}

// P(X <= x), for x below the mean: summed downwards.
template <typename Dist>
double LowerTail(const Dist& dist, int64_t x) {
  if (x < 0) return 0;
  double sum = 1, term = 1;
  for (int64_t k = x; k > 0; --k) {
    term /= dist.RatioUp(k - 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return FromLog(dist.LogPmf(x) + std::log(sum));
}

// Mean m > 0, variance v >= m: negative binomial with size r and success odds
// q = m / (r + m), or Poisson when it is not over-dispersed.
class NegativeBinomial {
 public:
  NegativeBinomial(double mean, double variance) : mean_(mean) {
    poisson_ = variance <= mean * (1 + 1e-9);
    if (!poisson_) {
      r_ = mean * mean / (variance - mean);
      q_ = mean / (r_ + mean);
    }
  }
  double LogPmf(int64_t k) const {
    const double kd = static_cast<double>(k);
    if (poisson_) return -mean_ + kd * std::log(mean_) - std::lgamma(kd + 1);
    return std::lgamma(kd + r_) - std::lgamma(r_) - std::lgamma(kd + 1) + r_ * std::log1p(-q_) + kd * std::log(q_);
  }
  double RatioUp(int64_t k) const {
    const double kd = static_cast<double>(k);
    return poisson_ ? mean_ / (kd + 1) : (kd + r_) / (kd + 1) * q_;
  }
  int64_t Max() const { return std::numeric_limits<int64_t>::max(); }

 private:
  double mean_;
  bool poisson_ = true;
  double r_ = 0;
  double q_ = 0;
};

// n trials whose success probability is p on average with variance v around it:
// beta-binomial, or binomial when v is negligible.
class BetaBinomial {
 public:
  BetaBinomial(int64_t n, double p, double v) : n_(n), p_(p) {
    const double rho = std::min(v / (p * (1 - p)), 0.5);  // intra-window correlation
    binomial_ = rho < 1e-9;
    if (!binomial_) {
      alpha_ = p * (1 / rho - 1);
      beta_ = (1 - p) * (1 / rho - 1);
    }
  }
  double LogPmf(int64_t k) const {
    const double n = static_cast<double>(n_), kd = static_cast<double>(k);
    const double choose = std::lgamma(n + 1) - std::lgamma(kd + 1) - std::lgamma(n - kd + 1);
    if (binomial_) return choose + kd * std::log(p_) + (n - kd) * std::log1p(-p_);
    return choose + LogBeta(kd + alpha_, n - kd + beta_) - LogBeta(alpha_, beta_);
  }
  double RatioUp(int64_t k) const {
    const double n = static_cast<double>(n_), kd = static_cast<double>(k);
    if (binomial_) return (n - kd) / (kd + 1) * p_ / (1 - p_);
    return (n - kd) / (kd + 1) * (kd + alpha_) / (n - kd - 1 + beta_);
  }
  int64_t Max() const { return n_; }

 private:
  static double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
  int64_t n_;
  double p_;
  bool binomial_ = true;
  double alpha_ = 0;
  double beta_ = 0;
};

// Above this mean the normal approximation of a count's tail is as good as the sum.
constexpr double kExactTailMaxMean = 20'000;

double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

MetricFinding TestVolume(const WindowCounts& observed, const Expectation& e, double f, const Sensitivity& s) {
  MetricFinding out;
  out.metric = Metric::kVolume;
  const double mean = std::max(f * e.volume, f * kMinRate);
  const double variance = std::max(e.VolumeVariance(f), mean);
  const int64_t x = observed.volume;
  const double xd = static_cast<double>(x);
  out.tested = true;
  out.observed = xd;
  out.expected = mean;
  const bool exact = mean <= kExactTailMaxMean;
  const NegativeBinomial dist(mean, variance);
  if (xd > mean) {
    out.direction = Direction::kUp;
    const double tail = exact ? UpperTail(dist, x) : NormalUpperTail((xd - 0.5 - mean) / std::sqrt(variance));
    out.statistic = ZFromUpperTail(tail);
    out.anomalous = out.statistic >= s.z_threshold && xd >= static_cast<double>(s.min_count) &&
                    xd >= s.min_volume_ratio * mean;
  } else if (xd < mean) {
    out.direction = Direction::kDown;
    const double tail = exact ? LowerTail(dist, x) : NormalUpperTail((mean - xd - 0.5) / std::sqrt(variance));
    out.statistic = -ZFromUpperTail(tail);
    out.anomalous = -out.statistic >= s.z_threshold && mean >= static_cast<double>(s.min_count) &&
                    xd * s.min_volume_ratio <= mean;
  }
  return out;
}

MetricFinding TestShare(const WindowCounts& observed, const Expectation& e, const Sensitivity& s) {
  MetricFinding out;
  out.metric = Metric::kNegativeShare;
  const int64_t n = observed.sentiment_count, k = observed.negative;
  const double nd = static_cast<double>(n), kd = static_cast<double>(k);
  const double p = std::clamp(e.negative_share, kMinShare, 1 - kMinShare);
  out.tested = true;
  out.observed = kd / nd;
  out.expected = e.negative_share;
  const double diff = kd - nd * p;
  double tail = 0.5;
  if (nd > kExactTailMaxMean) {
    const double variance = nd * p * (1 - p) + nd * nd * e.ShareVariance();
    tail = NormalUpperTail((std::abs(diff) - 0.5) / std::sqrt(variance));
  } else if (diff != 0) {
    const BetaBinomial dist(n, p, e.ShareVariance());
    tail = diff > 0 ? UpperTail(dist, k) : LowerTail(dist, k);
  }
  out.direction = diff > 0 ? Direction::kUp : diff < 0 ? Direction::kDown : Direction::kNone;
  out.statistic = std::copysign(ZFromUpperTail(tail), diff);
  out.anomalous = std::abs(out.statistic) >= s.z_threshold &&
                  std::abs(out.observed - e.negative_share) >= s.min_share_change;
  return out;
}

MetricFinding TestSentiment(const WindowCounts& observed, const Expectation& e, const Sensitivity& s) {
  MetricFinding out;
  out.metric = Metric::kSentiment;
  const double n = static_cast<double>(observed.sentiment_count);
  const double mean = observed.sentiment_sum / n;
  const double variance = e.sentiment_variance / n + e.sentiment_mean_estimate_variance;
  const double diff = mean - e.sentiment_mean;
  out.tested = true;
  out.observed = mean;
  out.expected = e.sentiment_mean;
  out.direction = diff > 0 ? Direction::kUp : diff < 0 ? Direction::kDown : Direction::kNone;
  out.statistic = diff / std::sqrt(variance);
  out.anomalous = std::abs(out.statistic) >= s.z_threshold && std::abs(diff) >= s.min_sentiment_change;
  return out;
}

int64_t Micros(double value) { return std::llround(value * 1e6); }

}  // namespace

// ---------------------------------------------------------------------------------------
// SeasonalBaseline

double Expectation::VolumeVariance(double fraction) const {
  const double mean = fraction * volume;
  return mean + fraction * fraction * volume_estimate_variance + volume_overdispersion * mean * mean;
}

Status BaselineOptions::Validate() const {
  if (!(slot_alpha > 0 && slot_alpha <= 1)) return Status::InvalidArgument("slot_alpha must be in (0, 1]");
  if (!(calibration_alpha > 0 && calibration_alpha <= 1)) {
    return Status::InvalidArgument("calibration_alpha must be in (0, 1]");
  }
  if (!(rate_prior_mentions > 0)) return Status::InvalidArgument("rate_prior_mentions must be > 0");
  if (max_gap_windows < kHoursPerWeek) return Status::InvalidArgument("max_gap_windows must be at least a week");
  return Status::Ok();
}

SeasonalBaseline::SeasonalBaseline(BaselineOptions options) : options_(options) {}

void SeasonalBaseline::Calibration::Update(double excess_sample, double scale_sample, double alpha) {
  // 1/n first: the early samples are the only ones there are, none should dominate.
  const double a = std::max(alpha, 1.0 / (static_cast<double>(windows) + 1));
  excess += a * (excess_sample - excess);
  scale += a * (scale_sample - scale);
  if (windows < std::numeric_limits<uint32_t>::max()) ++windows;
}

double SeasonalBaseline::Calibration::Ratio(double prior_scale, double high) const {
  if (windows == 0) return 0;
  return std::clamp(excess / (scale + prior_scale), 0.0, high);
}

std::optional<int64_t> SeasonalBaseline::last_window_start_ms() const {
  if (windows_fed_ == 0) return std::nullopt;
  return last_window_start_ms_;
}

double SeasonalBaseline::EffectiveWindows(const Slot& slot) const {
  // An exponentially weighted mean is worth (2 - alpha) / alpha samples at most.
  return std::min(static_cast<double>(slot.windows), (2 - options_.slot_alpha) / options_.slot_alpha);
}

double SeasonalBaseline::VolumeOverdispersion() const {
  return volume_calibration_.Ratio(kOverdispersionPriorScale, 1.0);
}

double SeasonalBaseline::ShareOverdispersion() const {
  return share_calibration_.Ratio(kShareOverdispersionPriorScale, 0.05);
}

double SeasonalBaseline::WeekdayVariation() const {
  // Squared relative spread of weekday slots around their hour of day, less what their
  // own noise explains, pooled over the hours: a single hour's seven slots are too few to
  // tell a habit from one busy day.
  const double overdispersion = VolumeOverdispersion();
  double spread = 0, noise = 0, scale = 0;
  for (int hour = 0; hour < kHoursPerDay; ++hour) {
    double sum = 0, sum_sq = 0, inverse_windows = 0;
    int seen = 0;
    for (int day = 0; day < kDaysPerWeek; ++day) {
      const Slot& s = slots_[hour + day * kHoursPerDay];
      if (s.windows == 0) continue;
      sum += s.volume;
      sum_sq += s.volume * s.volume;
      inverse_windows += 1 / EffectiveWindows(s);
      ++seen;
    }
    if (seen < 2) continue;
    const double mean = sum / seen;
    const double within = mean + overdispersion * mean * mean;
    spread += sum_sq - seen * mean * mean;
    noise += (seen - 1) * within * inverse_windows / seen;
    scale += (seen - 1) * mean * mean;
  }
  // Until two weekdays of an hour are seen there is no telling: assume they may differ by half.
  if (!(scale > 0)) return 0.25;
  return std::clamp((spread - noise) / scale, 0.0004, 1.0);
}

SeasonalBaseline::VolumeEstimate SeasonalBaseline::EstimateVolume(int slot) const {
  // The prior for a slot: the same hour of day on the weekdays seen; before any of them,
  // every hour seen.
  const int hour = slot % kHoursPerDay;
  double sum = 0, sum_sq = 0, inverse_windows = 0;
  int seen = 0;
  auto take = [&](const Slot& s) {
    if (s.windows == 0) return;
    sum += s.volume;
    sum_sq += s.volume * s.volume;
    inverse_windows += 1 / EffectiveWindows(s);
    ++seen;
  };
  for (int day = 0; day < kDaysPerWeek; ++day) take(slots_[hour + day * kHoursPerDay]);
  bool same_hour = true;
  if (seen == 0) {
    same_hour = false;
    for (const Slot& s : slots_) take(s);
  }
  VolumeEstimate out;
  if (seen == 0) return out;
  out.informed = true;
  const double prior = sum / seen;
  const double within = prior + VolumeOverdispersion() * prior * prior;  // one window's variance
  // How far this slot may be from its prior: the weekday spread, or with only other hours
  // to go by, the spread between them.
  double between = WeekdayVariation() * prior * prior;
  if (!same_hour) between = std::max(between, seen >= 2 ? (sum_sq - seen * prior * prior) / (seen - 1) : prior * prior);
  between = std::max(between, kMinRate * kMinRate);
  const double prior_variance = (between + within * inverse_windows / seen) / seen;
  const Slot& own = slots_[slot];
  if (own.windows == 0) {
    out.mean = prior;
    out.variance = between + prior_variance;
  } else {
    const double n = EffectiveWindows(own);
    const double weight = between / (between + within / n);
    out.mean = weight * own.volume + (1 - weight) * prior;
    out.variance = weight * within / n + (1 - weight) * (1 - weight) * prior_variance;
  }
  out.mean = std::max(out.mean, kMinRate);
  return out;
}

double SeasonalBaseline::SentimentVariance() const {
  // Before any data: a typical real spread of scores (uniform over [-1, 1] would be 1/3).
  return sentiment_calibration_.windows == 0 ? 0.25 : std::clamp(sentiment_calibration_.excess, 0.01, 1.0);
}

SeasonalBaseline::RateEstimate SeasonalBaseline::EstimateRates(int hour_of_day) const {
  // Slot means times their weight are the exponentially weighted sums of mentions.
  double hour_scored = 0, hour_negative = 0, hour_sentiment = 0;
  double all_scored = 0, all_negative = 0, all_sentiment = 0;
  for (int slot = 0; slot < kHoursPerWeek; ++slot) {
    const Slot& s = slots_[slot];
    if (s.windows == 0) continue;
    const double n = EffectiveWindows(s);
    all_scored += n * s.scored;
    all_negative += n * s.negative;
    all_sentiment += n * s.sentiment_sum;
    if (slot % kHoursPerDay == hour_of_day) {
      hour_scored += n * s.scored;
      hour_negative += n * s.negative;
      hour_sentiment += n * s.sentiment_sum;
    }
  }
  RateEstimate out;
  if (all_scored <= 0) return out;
  out.informed = true;
  const double k = options_.rate_prior_mentions;
  const double weight = hour_scored + k;
  out.share = (hour_negative + k * all_negative / all_scored) / weight;
  out.share_variance = std::max(out.share * (1 - out.share), kMinShare) / weight;
  out.sentiment = (hour_sentiment + k * all_sentiment / all_scored) / weight;
  out.sentiment_variance = SentimentVariance() / weight;
  return out;
}

Expectation SeasonalBaseline::Expected(int64_t window_start_ms) const {
  Expectation out;
  const int slot = HourOfWeek(window_start_ms);
  out.history_windows = windows_fed_;
  out.slot_windows = slots_[slot].windows;
  const VolumeEstimate volume = EstimateVolume(slot);
  out.has_volume = volume.informed;
  out.volume = volume.mean;
  out.volume_estimate_variance = volume.variance;
  out.volume_overdispersion = VolumeOverdispersion();
  const RateEstimate rates = EstimateRates(slot % kHoursPerDay);
  out.has_rates = rates.informed;
  out.negative_share = rates.share;
  out.negative_share_estimate_variance = rates.share_variance;
  out.share_overdispersion = ShareOverdispersion();
  out.sentiment_mean = rates.sentiment;
  out.sentiment_mean_estimate_variance = rates.sentiment_variance;
  out.sentiment_variance = SentimentVariance();
  return out;
}

bool SeasonalBaseline::Observe(int64_t window_start_ms, const WindowCounts& counts) {
  if (FloorMod(window_start_ms, kHourMs) != 0) return false;
  if (windows_fed_ > 0 && window_start_ms <= last_window_start_ms_) return false;
  if (counts.volume < 0 || counts.sentiment_count < 0 || counts.negative < 0 ||
      counts.negative > counts.sentiment_count || !std::isfinite(counts.sentiment_sum)) {
    return false;
  }
  Advance(window_start_ms);
  ObserveOne(window_start_ms, counts);
  return true;
}

void SeasonalBaseline::Advance(int64_t up_to_window_start_ms) {
  if (windows_fed_ == 0) return;
  int64_t next = last_window_start_ms_ + kHourMs;
  if (up_to_window_start_ms <= next) return;
  const int64_t gap = FloorDiv(up_to_window_start_ms - next + kHourMs - 1, kHourMs);
  if (gap > options_.max_gap_windows) {
    const int64_t skipped = gap - options_.max_gap_windows;
    windows_fed_ += static_cast<uint64_t>(skipped);
    next += skipped * kHourMs;
  }
  for (; next < up_to_window_start_ms; next += kHourMs) ObserveOne(next, WindowCounts{});
}

void SeasonalBaseline::ObserveOne(int64_t window_start_ms, const WindowCounts& counts) {
  const int slot_index = HourOfWeek(window_start_ms);
  // Calibrate on what the history predicted before it learns from this window. Only
  // slots seen before count: the first week's surprises (the first Saturday) are the
  // model learning, not the data being overdispersed.
  const VolumeEstimate volume = EstimateVolume(slot_index);
  if (volume.informed && slots_[slot_index].windows > 0) {
    const double m = volume.mean;
    const double model = m + volume.variance;  // without overdispersion: that is the unknown
    const double residual = static_cast<double>(counts.volume) - m;
    if (residual * residual <= kMaxResidualSquared * (model + VolumeOverdispersion() * m * m)) {
      volume_calibration_.Update(residual * residual - model, m * m, options_.calibration_alpha);
    }
  }
  if (counts.sentiment_count > 0) {
    const RateEstimate rates = EstimateRates(slot_index % kHoursPerDay);
    if (rates.informed) {
      const double n = static_cast<double>(counts.sentiment_count);
      const double p = std::clamp(rates.share, kMinShare, 1 - kMinShare);
      const double model = n * p * (1 - p) + n * n * rates.share_variance;
      const double residual = static_cast<double>(counts.negative) - n * p;
      if (residual * residual <= kMaxResidualSquared * (model + n * n * ShareOverdispersion())) {
        share_calibration_.Update(residual * residual - model, n * n, options_.calibration_alpha);
      }
      // E[n (mean - expected)^2] = sigma^2 + n var(expected): the excess estimates sigma^2.
      const double mean_residual = counts.sentiment_sum / n - rates.sentiment;
      if (mean_residual * mean_residual <= kMaxResidualSquared * (SentimentVariance() / n + rates.sentiment_variance)) {
        sentiment_calibration_.Update(n * (mean_residual * mean_residual - rates.sentiment_variance), 0,
                                      options_.calibration_alpha);
      }
    }
  }
  Slot& slot = slots_[slot_index];
  const double a = std::max(options_.slot_alpha, 1.0 / (static_cast<double>(slot.windows) + 1));
  slot.volume += a * (static_cast<double>(counts.volume) - slot.volume);
  slot.scored += a * (static_cast<double>(counts.sentiment_count) - slot.scored);
  slot.negative += a * (static_cast<double>(counts.negative) - slot.negative);
  slot.sentiment_sum += a * (counts.sentiment_sum - slot.sentiment_sum);
  if (slot.windows < std::numeric_limits<uint32_t>::max()) ++slot.windows;
  last_window_start_ms_ = window_start_ms;
  ++windows_fed_;
}

void SeasonalBaseline::SaveTo(voc::state::v1::SeasonalBaselineState* state) const {
  state->Clear();
  for (const Slot& s : slots_) {
    state->add_volume_mean(s.volume);
    state->add_scored_mean(s.scored);
    state->add_negative_mean(s.negative);
    state->add_sentiment_sum_mean(s.sentiment_sum);
    state->add_slot_windows(s.windows);
  }
  state->set_windows_fed(windows_fed_);
  state->set_last_window_start_ms(last_window_start_ms_);
  state->set_volume_excess(volume_calibration_.excess);
  state->set_volume_scale(volume_calibration_.scale);
  state->set_volume_calibration_windows(volume_calibration_.windows);
  state->set_share_excess(share_calibration_.excess);
  state->set_share_scale(share_calibration_.scale);
  state->set_share_calibration_windows(share_calibration_.windows);
  state->set_sentiment_variance(sentiment_calibration_.excess);
  state->set_sentiment_variance_windows(sentiment_calibration_.windows);
}

Result<SeasonalBaseline> SeasonalBaseline::Load(const voc::state::v1::SeasonalBaselineState& state,
                                                BaselineOptions options) {
  VOC_RETURN_IF_ERROR(options.Validate());
  SeasonalBaseline out(options);
  if (state.windows_fed() == 0 && state.volume_mean_size() == 0) return out;  // never saved with data
  if (state.volume_mean_size() != kHoursPerWeek || state.scored_mean_size() != kHoursPerWeek ||
      state.negative_mean_size() != kHoursPerWeek || state.sentiment_sum_mean_size() != kHoursPerWeek ||
      state.slot_windows_size() != kHoursPerWeek) {
    return Status::Corruption("seasonal baseline: expected 168 slots");
  }
  for (int i = 0; i < kHoursPerWeek; ++i) {
    Slot& s = out.slots_[i];
    s.volume = state.volume_mean(i);
    s.scored = state.scored_mean(i);
    s.negative = state.negative_mean(i);
    s.sentiment_sum = state.sentiment_sum_mean(i);
    s.windows = state.slot_windows(i);
  }
  out.windows_fed_ = state.windows_fed();
  out.last_window_start_ms_ = state.last_window_start_ms();
  out.volume_calibration_ = {state.volume_excess(), state.volume_scale(), state.volume_calibration_windows()};
  out.share_calibration_ = {state.share_excess(), state.share_scale(), state.share_calibration_windows()};
  out.sentiment_calibration_ = {state.sentiment_variance(), 0, state.sentiment_variance_windows()};
  return out;
}

// ---------------------------------------------------------------------------------------
// Evaluate

Status Sensitivity::Validate() const {
  if (!(z_threshold > 0)) return Status::InvalidArgument("z_threshold must be > 0");
  if (min_count < 0 || min_scored < 1) return Status::InvalidArgument("min_count >= 0 and min_scored >= 1");
  if (!(min_volume_ratio >= 1)) return Status::InvalidArgument("min_volume_ratio must be >= 1");
  if (!(min_share_change >= 0) || !(min_sentiment_change >= 0)) {
    return Status::InvalidArgument("minimum changes must be >= 0");
  }
  return Status::Ok();
}

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kVolume: return "volume";
    case Metric::kNegativeShare: return "negative_share";
    case Metric::kSentiment: return "sentiment";
  }
  return "unknown";
}

bool Evaluation::AnyAnomalous() const {
  return std::any_of(findings.begin(), findings.end(), [](const MetricFinding& f) { return f.anomalous; });
}

const MetricFinding& Evaluation::Of(Metric metric) const { return findings[static_cast<int>(metric) - 1]; }

Evaluation Evaluate(const WindowCounts& observed, const Expectation& expected, double elapsed_fraction,
                    const Sensitivity& sensitivity) {
  Evaluation out;
  out.findings[0].metric = Metric::kVolume;
  out.findings[1].metric = Metric::kNegativeShare;
  out.findings[2].metric = Metric::kSentiment;
  if (expected.history_windows < sensitivity.min_history_windows) return out;
  if (observed.volume < 0 || observed.sentiment_count < 0 || observed.negative < 0 ||
      observed.negative > observed.sentiment_count || !std::isfinite(observed.sentiment_sum)) {
    return out;  // inconsistent counts: nothing to say, rather than nonsense
  }
  // A window just opened is a sliver, not nothing: the first minute still tests.
  const double f = std::isfinite(elapsed_fraction) ? std::clamp(elapsed_fraction, 1.0 / 60, 1.0) : 1.0;
  if (expected.has_volume) out.findings[0] = TestVolume(observed, expected, f, sensitivity);
  if (expected.has_rates && observed.sentiment_count >= sensitivity.min_scored) {
    out.findings[1] = TestShare(observed, expected, sensitivity);
    out.findings[2] = TestSentiment(observed, expected, sensitivity);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// AlertLifecycle

std::string AlertId(std::string_view kind, std::string_view series_key, int64_t opened_window_start_ms) {
  const std::string window = std::to_string(opened_window_start_ms);
  return HashHex128({"voc-insight-alert", kind, series_key, window});
}

Status LifecycleOptions::Validate() const {
  if (resolve_after_closed_windows < 1) return Status::InvalidArgument("resolve_after_closed_windows must be >= 1");
  if (!(resolve_below_z >= 0)) return Status::InvalidArgument("resolve_below_z must be >= 0");
  if (!(update_min_effect_change >= 0)) return Status::InvalidArgument("update_min_effect_change must be >= 0");
  if (window_ms <= 0) return Status::InvalidArgument("window_ms must be > 0");
  return Status::Ok();
}

AlertLifecycle::AlertLifecycle(std::string kind, std::string series_key, Direction watch, LifecycleOptions options)
    : kind_(std::move(kind)), series_key_(std::move(series_key)), watch_(watch), options_(options) {}

namespace {

// The size of an anomaly, comparable across windows and partial windows.
double Effect(const AlertEvidence& e) {
  if (e.metric == Metric::kVolume) return e.expected > 0 ? e.observed / e.expected - 1 : e.observed;
  return e.observed - e.expected;
}

}  // namespace

bool AlertLifecycle::MateriallyChanged(const AlertEvidence& now) const {
  if (now.direction != published_.direction) return true;
  const double before = Effect(published_);
  return std::abs(Effect(now) - before) >= options_.update_min_effect_change * std::abs(before);
}

AlertEvent AlertLifecycle::Event(AlertEventType type, const AlertEvidence& evidence) const {
  AlertEvent e;
  e.type = type;
  e.alert_id = alert_id_;
  e.kind = kind_;
  e.series_key = series_key_;
  e.opened_window_start_ms = opened_window_start_ms_;
  e.evidence = evidence;
  return e;
}

std::optional<AlertEvent> AlertLifecycle::Apply(int64_t window_start_ms, double elapsed_fraction, bool closed,
                                                const MetricFinding& finding) {
  const double progress = closed ? 1.0 : std::clamp(std::isfinite(elapsed_fraction) ? elapsed_fraction : 0.0, 0.0, 1.0);
  // Closed windows are applied in window order, and so are evaluations of filling windows
  // (by window, then progress), but the two interleave: a window closes after the next
  // one has started filling. A filling window already closed is old news.
  if (closed_any_ && window_start_ms <= last_closed_window_start_ms_) return std::nullopt;
  int64_t skipped = 0;
  if (closed) {
    if (closed_any_) skipped = (window_start_ms - last_closed_window_start_ms_) / options_.window_ms - 1;
    closed_any_ = true;
    last_closed_window_start_ms_ = window_start_ms;
  } else {
    if (applied_any_ && (window_start_ms < last_window_start_ms_ ||
                         (window_start_ms == last_window_start_ms_ && progress <= last_progress_))) {
      return std::nullopt;  // redelivered or older: already reflected
    }
    applied_any_ = true;
    last_window_start_ms_ = window_start_ms;
    last_progress_ = progress;
  }

  AlertEvidence evidence;
  evidence.metric = finding.metric;
  evidence.direction = finding.direction;
  evidence.statistic = finding.statistic;
  evidence.observed = finding.observed;
  evidence.expected = finding.expected;
  evidence.window_start_ms = window_start_ms;
  evidence.elapsed_fraction = closed ? 1.0 : progress;

  const bool anomalous = finding.anomalous && (watch_ == Direction::kNone || finding.direction == watch_);
  if (!open_) {
    if (!anomalous) return std::nullopt;
    open_ = true;
    alert_id_ = AlertId(kind_, series_key_, window_start_ms);
    opened_window_start_ms_ = window_start_ms;
    published_ = evidence;
    normal_closed_windows_ = 0;
    return Event(AlertEventType::kOpened, evidence);
  }
  if (anomalous) {
    normal_closed_windows_ = 0;
    if (!MateriallyChanged(evidence)) return std::nullopt;
    published_ = evidence;
    return Event(AlertEventType::kUpdated, evidence);
  }
  // Hysteresis: a closed window that is not anomalous but still well above normal (z at
  // least resolve_below_z the watched way) neither counts towards resolving nor resets:
  // a sustained spike that the history starts to absorb must not flap.
  const double z = finding.tested ? finding.statistic : 0.0;
  const bool elevated = watch_ == Direction::kUp     ? z >= options_.resolve_below_z
                        : watch_ == Direction::kDown ? z <= -options_.resolve_below_z
                                                     : std::abs(z) >= options_.resolve_below_z;
  if (closed && elevated) normal_closed_windows_ = 0;
  const uint64_t normal = static_cast<uint64_t>(normal_closed_windows_) + static_cast<uint64_t>(skipped) +
                          (closed && !elevated ? 1 : 0);
  normal_closed_windows_ = static_cast<uint32_t>(std::min<uint64_t>(normal, std::numeric_limits<uint32_t>::max()));
  if (normal_closed_windows_ < options_.resolve_after_closed_windows) return std::nullopt;
  AlertEvent resolved = Event(AlertEventType::kResolved, evidence);
  open_ = false;
  alert_id_.clear();
  opened_window_start_ms_ = 0;
  published_ = AlertEvidence{};
  normal_closed_windows_ = 0;
  return resolved;
}

void AlertLifecycle::SaveTo(voc::state::v1::AlertLifecycleState* state) const {
  state->Clear();
  state->set_open(open_);
  state->set_alert_id(alert_id_);
  state->set_opened_window_start_ms(opened_window_start_ms_);
  auto* p = state->mutable_published();
  p->set_metric(static_cast<int32_t>(published_.metric));
  p->set_direction(static_cast<int32_t>(published_.direction));
  p->set_statistic(published_.statistic);
  p->set_observed(published_.observed);
  p->set_expected(published_.expected);
  p->set_window_start_ms(published_.window_start_ms);
  p->set_elapsed_fraction(published_.elapsed_fraction);
  state->set_normal_closed_windows(normal_closed_windows_);
  state->set_applied_any(applied_any_);
  state->set_last_window_start_ms(last_window_start_ms_);
  state->set_last_elapsed_fraction(last_progress_);
  state->set_closed_any(closed_any_);
  state->set_last_closed_window_start_ms(last_closed_window_start_ms_);
}

Result<AlertLifecycle> AlertLifecycle::Load(std::string kind, std::string series_key, Direction watch,
                                            const voc::state::v1::AlertLifecycleState& state,
                                            LifecycleOptions options) {
  VOC_RETURN_IF_ERROR(options.Validate());
  const auto& p = state.published();
  if (p.metric() < 0 || p.metric() > 3 || p.direction() < 0 || p.direction() > 2) {
    return Status::Corruption("alert lifecycle: unknown metric or direction");
  }
  AlertLifecycle out(std::move(kind), std::move(series_key), watch, options);
  out.open_ = state.open();
  out.alert_id_ = state.alert_id();
  out.opened_window_start_ms_ = state.opened_window_start_ms();
  out.published_.metric = p.metric() == 0 ? Metric::kVolume : static_cast<Metric>(p.metric());
  out.published_.direction = static_cast<Direction>(p.direction());
  out.published_.statistic = p.statistic();
  out.published_.observed = p.observed();
  out.published_.expected = p.expected();
  out.published_.window_start_ms = p.window_start_ms();
  out.published_.elapsed_fraction = p.elapsed_fraction();
  out.normal_closed_windows_ = state.normal_closed_windows();
  out.applied_any_ = state.applied_any();
  out.last_window_start_ms_ = state.last_window_start_ms();
  out.last_progress_ = state.last_elapsed_fraction();
  out.closed_any_ = state.closed_any();
  out.last_closed_window_start_ms_ = state.last_closed_window_start_ms();
  return out;
}

// ---------------------------------------------------------------------------------------
// ReleaseTracker

namespace {

// Splits "1.10.2" into its components; false when a component is empty or not all digits.
bool NumericComponents(std::string_view v, std::vector<std::string_view>* parts) {
  parts->clear();
  size_t start = 0;
  while (true) {
    const size_t dot = v.find('.', start);
    const std::string_view part = v.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    parts->push_back(part);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Compares digit strings of any length as numbers.
int CompareNumber(std::string_view a, std::string_view b) {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int CompareStrings(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  std::vector<std::string_view> pa, pb;
  if (NumericComponents(a, &pa) && NumericComponents(b, &pb)) {
    for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
      const int c = CompareNumber(i < pa.size() ? pa[i] : "0", i < pb.size() ? pb[i] : "0");
      if (c != 0) return c;
    }
  }
  // Ties ("1.2" vs "1.2.0") still need an order: they are different keys.
  return CompareStrings(a, b);
}

Status ReleaseOptions::Validate() const {
  if (max_versions < 2) return Status::InvalidArgument("max_versions must be >= 2");
  if (min_scored < 2) return Status::InvalidArgument("min_scored must be >= 2");
  if (!(z_threshold > 0)) return Status::InvalidArgument("z_threshold must be > 0");
  if (!(min_share_change >= 0) || !(min_sentiment_change >= 0)) {
    return Status::InvalidArgument("minimum changes must be >= 0");
  }
  return Status::Ok();
}

ReleaseTracker::ReleaseTracker(ReleaseOptions options) : options_(options) {}

void ReleaseTracker::Apply(VersionStats& stats, const ReleaseResponse& r, int sign) const {
  stats.responses += sign;
  if (!r.scored) return;
  const double s = std::clamp(r.sentiment, -1.0, 1.0);
  stats.sentiment_count += sign;
  stats.negative += r.negative ? sign : 0;
  stats.sentiment_sum_micros += sign * Micros(s);
  stats.sentiment_sq_micros += sign * Micros(s * s);
}

bool ReleaseTracker::Add(std::string_view version, const ReleaseResponse& response) {
  const auto older = [](const VersionStats& v, std::string_view x) { return CompareVersions(v.version, x) < 0; };
  auto it = std::lower_bound(versions_.begin(), versions_.end(), version, older);
  if (it == versions_.end() || it->version != version) {
    if (versions_.size() >= options_.max_versions && it == versions_.begin()) return false;  // too old to keep
    it = versions_.insert(it, VersionStats{std::string(version)});
    if (versions_.size() > options_.max_versions) {
      versions_.erase(versions_.begin());
      // The erase moved the new entry: find it again.
      it = std::lower_bound(versions_.begin(), versions_.end(), version, older);
    }
  }
  Apply(*it, response, +1);
  return true;
}

bool ReleaseTracker::Remove(std::string_view version, const ReleaseResponse& response) {
  auto it = std::find_if(versions_.begin(), versions_.end(),
                         [&](const VersionStats& v) { return v.version == version; });
  if (it == versions_.end()) return false;
  // A retraction of something never added would leave negative counts behind.
  if (it->responses < 1 || (response.scored && (it->sentiment_count < 1 || (response.negative && it->negative < 1)))) {
    return false;
  }
  Apply(*it, response, -1);
  // An emptied version must not stand in as "newest" or "previous".
  if (it->responses <= 0 && it->sentiment_count <= 0) versions_.erase(it);
  return true;
}

ReleaseComparison ReleaseTracker::Compare() const {
  ReleaseComparison out;
  if (versions_.empty()) return out;
  const VersionStats& newest = versions_.back();
  out.newest = newest.version;
  out.newest_scored = newest.sentiment_count;
  if (newest.sentiment_count < options_.min_scored) return out;
  // The nearest older version with enough responses: a hotfix nobody used is skipped.
  const VersionStats* previous = nullptr;
  for (auto it = versions_.rbegin() + 1; it != versions_.rend(); ++it) {
    if (it->sentiment_count >= options_.min_scored) {
      previous = &*it;
      break;
    }
  }
  if (previous == nullptr) return out;
  out.compared = true;
  out.previous = previous->version;
  out.previous_scored = previous->sentiment_count;

  const double n1 = static_cast<double>(newest.sentiment_count), n0 = static_cast<double>(previous->sentiment_count);
  out.newest_share = static_cast<double>(newest.negative) / n1;
  out.previous_share = static_cast<double>(previous->negative) / n0;
  const double pooled = static_cast<double>(newest.negative + previous->negative) / (n1 + n0);
  const double share_se = std::sqrt(std::max(pooled * (1 - pooled), 1e-9) * (1 / n1 + 1 / n0));
  out.share_z = (out.newest_share - out.previous_share) / share_se;

  auto mean_and_variance = [](const VersionStats& v) {
    const double n = static_cast<double>(v.sentiment_count);
    const double mean = static_cast<double>(v.sentiment_sum_micros) / 1e6 / n;
    const double sq = static_cast<double>(v.sentiment_sq_micros) / 1e6;
    // A floor: identical scores would make any difference infinitely significant.
    return std::pair{mean, std::max((sq - n * mean * mean) / (n - 1), 1e-4)};
  };
  const auto [m1, v1] = mean_and_variance(newest);
  const auto [m0, v0] = mean_and_variance(*previous);
  out.newest_sentiment = m1;
  out.previous_sentiment = m0;
  out.sentiment_z = (m1 - m0) / std::sqrt(v1 / n1 + v0 / n0);

  const double share_change = out.newest_share - out.previous_share, sentiment_change = m1 - m0;
  const bool share_worse = out.share_z >= options_.z_threshold && share_change >= options_.min_share_change;
  const bool share_better = out.share_z <= -options_.z_threshold && -share_change >= options_.min_share_change;
  const bool sentiment_worse =
      out.sentiment_z <= -options_.z_threshold && -sentiment_change >= options_.min_sentiment_change;
  const bool sentiment_better =
      out.sentiment_z >= options_.z_threshold && sentiment_change >= options_.min_sentiment_change;
  // Any significant worsening is what a team has to act on, even beside an improvement.
  if (share_worse || sentiment_worse) {
    out.verdict = ReleaseVerdict::kRegression;
  } else if (share_better || sentiment_better) {
    out.verdict = ReleaseVerdict::kFix;
  }
  return out;
}

void ReleaseTracker::SaveTo(voc::state::v1::ReleaseStatsState* state) const {
  state->Clear();
  for (const VersionStats& v : versions_) {
    auto* s = state->add_versions();
    s->set_version(v.version);
    s->set_responses(v.responses);
    s->set_negative(v.negative);
    s->set_sentiment_count(v.sentiment_count);
    s->set_sentiment_sum_micros(v.sentiment_sum_micros);
    s->set_sentiment_sq_micros(v.sentiment_sq_micros);
  }
}

Result<ReleaseTracker> ReleaseTracker::Load(const voc::state::v1::ReleaseStatsState& state, ReleaseOptions options) {
  VOC_RETURN_IF_ERROR(options.Validate());
  ReleaseTracker out(options);
  for (const auto& s : state.versions()) {
    if (!out.versions_.empty() && CompareVersions(out.versions_.back().version, s.version()) >= 0) {
      return Status::Corruption("release stats: versions out of order");
    }
    out.versions_.push_back(VersionStats{s.version(), s.responses(), s.negative(), s.sentiment_count(),
                                         s.sentiment_sum_micros(), s.sentiment_sq_micros()});
  }
  // A smaller max_versions than the one saved with keeps the newest.
  if (out.versions_.size() > options.max_versions) {
    out.versions_.erase(out.versions_.begin(), out.versions_.end() - static_cast<std::ptrdiff_t>(options.max_versions));
  }
  return out;
}

}  // namespace voc::aggregate::insight
