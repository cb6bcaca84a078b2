#include "tests/e2e/oracle.h"

#include <cmath>
#include <stdexcept>

#include "common/core/hash.h"
#include "common/text/analyzer.h"
#include "services/aggregate/aggregate_processor.h"

namespace voc::test {

std::map<std::string, ExpectedWindow> ExpectedAggregates(const gen::GroundTruth& truth,
                                                         const std::vector<voc::v1::CustomerProfile>& customers,
                                                         const std::vector<std::chrono::milliseconds>& window_sizes) {
  auto analyzer = text::Analyzer::Create({VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"});
  if (!analyzer.ok()) throw std::runtime_error(analyzer.status().ToString());
  std::map<std::string, int64_t> arr;
  for (const auto& c : customers) arr[c.customer_id()] = c.arr();
  std::map<std::string, ExpectedWindow> out;
  text::Analysis a;
  for (const auto& [id, f] : truth.feedback) {
    (*analyzer)->Analyze(f.text, &a);
    std::vector<std::pair<std::string, double>> themes;
    for (const auto& t : a.themes) themes.emplace_back(t.id, t.clause_compound);
    if (themes.empty()) themes.emplace_back("other", a.compound);
    for (const auto& [theme, sentiment] : themes) {
      for (auto size : window_sizes) {
        const int64_t s = size.count();
        const int64_t start = f.event_time_ms / s * s;
        for (const std::string& channel : {f.channel, std::string("all")}) {
          ExpectedWindow& w = out[aggregate::WindowKey(s, start, theme, channel)];
          w.volume++;
          if (a.sentiment_scored) {
            const int64_t micros = std::llround(sentiment * 1e6);
            w.sentiment_count++;
            (micros >= 50'000 ? w.positive : micros <= -50'000 ? w.negative : w.neutral)++;
          }
          if (f.nps) {
            w.nps_responses++;
            (*f.nps >= 9 ? w.promoters : *f.nps >= 7 ? w.passives : w.detractors)++;
          }
          if (f.csat) w.csat_responses++;
          w.feedback_ids.insert(HashHex128({f.source_system, f.channel, f.external_id}));
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
