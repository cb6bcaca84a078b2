#include "tests/e2e/oracle.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <stdexcept>

#include "common/core/hash.h"
#include "common/core/theme_ids.h"
#include "common/text/analyzer.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/enrich/simhash.h"

namespace voc::test {
namespace {

// The feedback ids that are near duplicates once every text is in: per customer, a text
// with an earlier one (by event time, then id) within the horizon and the distance. The
// stream must not give a customer more texts than the index keeps.
std::set<std::string> NearDuplicates(const gen::GroundTruth& truth, text::Analyzer& analyzer) {
  const enrich::EnrichOptions o;
  struct Text {
    int64_t event_time_ms;
    std::string feedback_id;
    uint64_t simhash;
  };
  std::map<std::string, std::vector<Text>> by_customer;
  text::Analysis a;
  for (const auto& [key, f] : truth.feedback) {
    analyzer.Analyze(f.text, &a);
    int words = 0;
    const uint64_t simhash = enrich::SimHash(a.redacted_text, &words);
    if (words < o.near_duplicate_min_words) continue;
    by_customer[f.customer_id].push_back(
        {f.event_time_ms, HashHex128({f.source_system, f.channel, f.external_id}), simhash});
  }
  std::set<std::string> out;
  for (auto& [customer, texts] : by_customer) {
    if (texts.size() > o.near_duplicate_max_entries) {
      throw std::runtime_error("customer " + customer + " has more texts than the near-duplicate index keeps");
    }
    std::sort(texts.begin(), texts.end(), [](const Text& x, const Text& y) {
      return std::tie(x.event_time_ms, x.feedback_id) < std::tie(y.event_time_ms, y.feedback_id);
    });
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (texts[i].event_time_ms - texts[j].event_time_ms <= o.near_duplicate_horizon.count() &&
            enrich::HammingDistance(texts[i].simhash, texts[j].simhash) <= o.near_duplicate_max_distance) {
          out.insert(texts[i].feedback_id);
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace

std::map<std::string, ExpectedWindow> ExpectedAggregates(const gen::GroundTruth& truth,
                                                         const std::vector<voc::v1::CustomerProfile>& customers,
                                                         const std::vector<std::chrono::milliseconds>& window_sizes,
                                                         const std::string& taxonomy) {
  auto analyzer = text::Analyzer::Create(
      {taxonomy.empty() ? VOC_SOURCE_DIR "/data/taxonomy/software.yaml" : taxonomy, VOC_SOURCE_DIR "/data/lexicons"});
  if (!analyzer.ok()) throw std::runtime_error(analyzer.status().ToString());
  std::map<std::string, int64_t> arr;
  std::map<std::string, std::string> segment;
  for (const auto& c : customers) {
    arr[c.customer_id()] = c.arr();
    segment[c.customer_id()] = c.segment();
  }
  const std::set<std::string> near_duplicates = NearDuplicates(truth, **analyzer);
  std::map<std::string, ExpectedWindow> out;
  text::Analysis a;
  for (const auto& [id, f] : truth.feedback) {
    (*analyzer)->Analyze(f.text, &a);
    const std::string feedback_id = HashHex128({f.source_system, f.channel, f.external_id});
    const bool near_duplicate = near_duplicates.contains(feedback_id);
    std::vector<std::pair<std::string, double>> themes;
    for (const auto& t : a.themes) themes.emplace_back(t.id, t.clause_compound);
    if (themes.empty()) themes.emplace_back(kUnthemedId, a.compound);
    std::set<std::string> drivers;  // the overall window counts the response once per theme
    for (const auto& [theme, sentiment] : themes) drivers.insert(theme);
    themes.emplace_back(kOverallThemeId, a.compound);
    // The windows each theme's mention counts in: its channel, all channels, and the
    // rollups by segment and app version (the generator stays under their caps).
    auto seg = segment.find(f.customer_id);
    std::vector<std::string> slots = {
        f.channel, "all",
        aggregate::RollupSlot(aggregate::Rollup::kSegment,
                              seg == segment.end() || seg->second.empty() ? "unknown" : seg->second)};
    if (!f.app_version.empty()) slots.push_back(aggregate::RollupSlot(aggregate::Rollup::kAppVersion, f.app_version));
    for (const auto& [theme, sentiment] : themes) {
      for (auto size : window_sizes) {
        const int64_t s = size.count();
        const int64_t start = f.event_time_ms / s * s;
        for (const std::string& channel : slots) {
          ExpectedWindow& w = out[aggregate::WindowKey(s, start, theme, channel)];
          w.volume++;
          if (!near_duplicate) w.unique_volume++;
          if (a.sentiment_scored) {
            const int64_t micros = std::llround(sentiment * 1e6);
            w.sentiment_count++;
            (micros >= 50'000 ? w.positive : micros <= -50'000 ? w.negative : w.neutral)++;
          }
          if (f.nps) {
            w.nps_responses++;
            (*f.nps >= 9 ? w.promoters : *f.nps >= 7 ? w.passives : w.detractors)++;
          }
          if (f.csat) {
            w.csat_responses++;
            w.csat_sum += *f.csat;
          }
          if (theme == kOverallThemeId && (f.nps || f.csat)) {
            for (const auto& d : drivers) {
              ExpectedWindow::Driver& driver = w.drivers[d];
              if (f.nps) {
                driver.nps_responses++;
                if (*f.nps >= 9) driver.promoters++;
                if (*f.nps <= 6) driver.detractors++;
              }
              if (f.csat) {
                driver.csat_responses++;
                driver.csat_sum += *f.csat;
              }
            }
          }
          w.feedback_ids.insert(feedback_id);
          if (w.customers.insert(f.customer_id).second) {
            w.unique_customers++;
            w.arr_affected += arr[f.customer_id];
          }
        }
      }
    }
  }
  return out;
}

std::vector<std::string> CompareAggregates(const std::map<std::string, ExpectedWindow>& expected,
                                           const std::map<std::string, voc::v1::ThemeAggregate>& actual) {
  std::vector<std::string> diffs;
  for (const auto& [key, e] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      diffs.push_back(key + ": no aggregate emitted (expected volume " + std::to_string(e.volume) + ")");
      continue;
    }
    const auto& a = it->second;
    auto check = [&](const char* field, int64_t want, int64_t got) {
      if (want != got) diffs.push_back(key + ": " + field + " " + std::to_string(got) + ", expected " + std::to_string(want));
    };
    check("volume", e.volume, a.volume());
    check("unique_volume", e.unique_volume, a.unique_volume());
    check("sentiment_count", e.sentiment_count, a.sentiment_count());
    check("negative", e.negative, a.negative());
    check("neutral", e.neutral, a.neutral());
    check("positive", e.positive, a.positive());
    check("nps_responses", e.nps_responses, a.nps_responses());
    check("promoters", e.promoters, a.promoters());
    check("passives", e.passives, a.passives());
    check("detractors", e.detractors, a.detractors());
    check("csat_responses", e.csat_responses, a.csat_responses());
    check("unique_customers", e.unique_customers, a.unique_customers());
    check("arr_affected", e.arr_affected, a.arr_affected());
    // Drivers: each theme's impact, the overall score minus the score without its responses.
    std::map<std::string, const voc::v1::DriverImpact*> drivers;
    for (const auto& d : a.drivers()) drivers[d.theme_id()] = &d;
    if (drivers.size() != e.drivers.size()) {
      diffs.push_back(key + ": " + std::to_string(drivers.size()) + " drivers, expected " +
                      std::to_string(e.drivers.size()));
    }
    auto nps = [](int64_t n, int64_t p, int64_t d) { return n > 0 ? 100.0 * static_cast<double>(p - d) / n : 0.0; };
    for (const auto& [theme, d] : e.drivers) {
      auto it = drivers.find(theme);
      if (it == drivers.end()) continue;
      const double overall = nps(e.nps_responses, e.promoters, e.detractors);
      const double without =
          nps(e.nps_responses - d.nps_responses, e.promoters - d.promoters, e.detractors - d.detractors);
      const double impact = d.nps_responses > 0 ? overall - without : 0.0;
      if (it->second->nps_responses() != d.nps_responses || std::abs(it->second->nps_impact() - impact) > 1e-9) {
        diffs.push_back(key + ": driver " + theme + " NPS impact " + std::to_string(it->second->nps_impact()) +
                        ", expected " + std::to_string(impact));
      }
    }
    std::vector<std::string> examples(e.feedback_ids.begin(), e.feedback_ids.end());
    examples.resize(std::min<size_t>(examples.size(), 3));
    if (std::vector<std::string>(a.example_feedback_ids().begin(), a.example_feedback_ids().end()) != examples) {
      diffs.push_back(key + ": example feedback ids differ from the three smallest");
    }
  }
  // A window the stream should not have touched may exist only as an emptied one (a
  // revision moved its feedback elsewhere).
  for (const auto& [key, a] : actual) {
    if (!expected.contains(key) && a.volume() != 0) {
      diffs.push_back(key + ": volume " + std::to_string(a.volume()) + " where none was expected");
    }
  }
  return diffs;
}

}  // namespace voc::test
