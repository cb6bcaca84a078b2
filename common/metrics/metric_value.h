// Reads a metric back out of a registry in-process: the demo, the whole-pipeline
// benchmark and the tests watch progress this way instead of scraping HTTP.
#pragma once

#include <map>
#include <string>

namespace prometheus {
class Registry;
}

namespace voc::metrics {

// Sum of the counter and gauge series of family `name` whose labels include `labels`;
// -1 when no such family is registered.
double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels = {});

}  // namespace voc::metrics
