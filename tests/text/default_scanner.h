// The shipped taxonomy compiled, and a theme scanner over it: what the scanner and cue
// tests scan with.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "common/text/taxonomy.h"
#include "common/text/theme_matcher.h"

namespace voc::text::test {

struct DefaultScanner {
  Taxonomy taxonomy;
  std::unique_ptr<ThemeDatabase> db;      // compiled from taxonomy
  std::unique_ptr<ThemeScanner> scanner;  // over db
};

// Null, with the reason as a test failure, when the shipped taxonomy does not load or
// compile.
inline std::unique_ptr<DefaultScanner> MakeDefaultScanner() {
  auto taxonomy = LoadTaxonomy(std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml");
  if (!taxonomy.ok()) {
    ADD_FAILURE() << taxonomy.status().ToString();
    return nullptr;
  }
  auto out = std::make_unique<DefaultScanner>();
  out->taxonomy = std::move(taxonomy).value();
  auto db = ThemeDatabase::Compile(out->taxonomy);
  if (!db.ok()) {
    ADD_FAILURE() << db.status().ToString();
    return nullptr;
  }
  out->db = std::move(db).value();
  auto scanner = ThemeScanner::Create(out->db.get());
  if (!scanner.ok()) {
    ADD_FAILURE() << scanner.status().ToString();
    return nullptr;
  }
  out->scanner = std::move(scanner).value();
  return out;
}

}  // namespace voc::text::test
