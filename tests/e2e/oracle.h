// The expected aggregates of a generated stream, computed straight from the generator's
// ground truth (the final revision of every feedback) and the text analyzer: no Kafka,
// no state; near-duplicate roles from the texts and their event times alone. What the
// pipeline emits must equal this, window by window.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/gen/generator.h"
#include "voc/v1/theme.pb.h"

namespace voc::test {

struct ExpectedWindow {
  int64_t volume = 0;
  int64_t unique_volume = 0;  // near duplicates left out, their roles as the input decides them
  int64_t sentiment_count = 0;
  int64_t negative = 0, neutral = 0, positive = 0;
  int64_t nps_responses = 0, promoters = 0, passives = 0, detractors = 0;
  int64_t csat_responses = 0;
  int64_t csat_sum = 0;
  // The overall ("*") windows: per theme, what its responses add up to.
  struct Driver {
    int64_t nps_responses = 0, promoters = 0, detractors = 0;
    int64_t csat_responses = 0, csat_sum = 0;
  };
  std::map<std::string, Driver> drivers;
  int64_t unique_customers = 0;
  int64_t arr_affected = 0;
  std::set<std::string> customers;
  std::set<std::string> feedback_ids;  // the examples are the smallest three
};

// Keyed like the aggregates topic: "size|start|theme|channel" and "size|start|theme|segment=S" (or app_version=V).
// taxonomy: the file the themes come from; empty: data/taxonomy/software.yaml.
std::map<std::string, ExpectedWindow> ExpectedAggregates(const gen::GroundTruth& truth,
                                                         const std::vector<voc::v1::CustomerProfile>& customers,
                                                         const std::vector<std::chrono::milliseconds>& window_sizes,
                                                         const std::string& taxonomy = {});

// Compares the latest upsert of every window with the expectation; returns the
// differences as readable lines (empty when equal).
std::vector<std::string> CompareAggregates(const std::map<std::string, ExpectedWindow>& expected,
                                           const std::map<std::string, voc::v1::ThemeAggregate>& actual);

}  // namespace voc::test
