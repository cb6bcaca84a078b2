#include "common/text/theme_matcher.h"

#include <hs.h>

#include <algorithm>
#include <limits>
#include <string>

namespace voc::text {
namespace {

// Pattern ids below kSignalBase are theme indexes; from it on, signal cues.
constexpr unsigned kSignalBase = 1u << 24;

}  // namespace

struct ThemeDatabase::Impl {
  hs_database_t* db = nullptr;
  ~Impl() { hs_free_database(db); }
};

ThemeDatabase::~ThemeDatabase() = default;

Result<std::unique_ptr<ThemeDatabase>> ThemeDatabase::Compile(const Taxonomy& taxonomy) {
  std::vector<std::string> expressions;
  std::vector<unsigned> ids;
  std::vector<std::string> owners;  // what to name in an error
  for (size_t t = 0; t < taxonomy.themes.size(); ++t) {
    const Theme& theme = taxonomy.themes[t];
    for (const std::string& p : theme.phrases) {
      expressions.push_back(PhraseToRegex(p));
      ids.push_back(static_cast<unsigned>(t));
      owners.push_back("theme '" + theme.id + "': phrase '" + p + "'");
    }
    for (const std::string& p : theme.patterns) {
      expressions.push_back("\\b(?:" + p + ")\\b");
      ids.push_back(static_cast<unsigned>(t));
      owners.push_back("theme '" + theme.id + "': pattern '" + p + "'");
    }
  }
  for (const SignalCue& cue : SignalCues()) {
    expressions.push_back(cue.is_regex ? "\\b(?:" + std::string(cue.expression) + ")\\b"
                                       : PhraseToRegex(cue.expression));
    ids.push_back(kSignalBase + static_cast<unsigned>(cue.signal));
    owners.push_back(std::string("built-in cue '") + cue.expression + "'");
  }
  std::vector<const char*> ptrs;
  ptrs.reserve(expressions.size());
  for (const std::string& e : expressions) ptrs.push_back(e.c_str());
  // Caseless, leftmost start for evidence spans; one theme may match many times.
  std::vector<unsigned> flags(expressions.size(), HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST);

  auto impl = std::make_unique<Impl>();
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                       nullptr, &impl->db, &error) != HS_SUCCESS) {
    std::string msg = error != nullptr && error->message != nullptr ? error->message : "unknown error";
    std::string where = "taxonomy";
    if (error != nullptr && error->expression >= 0 && static_cast<size_t>(error->expression) < owners.size()) {
      where = owners[static_cast<size_t>(error->expression)];
    }
    hs_free_compile_error(error);
    return Status::InvalidArgument(taxonomy.name + ": " + where + " does not compile: " + msg);
  }
  auto db = std::unique_ptr<ThemeDatabase>(new ThemeDatabase());
  db->impl_ = std::move(impl);
  db->theme_count_ = taxonomy.themes.size();
  return db;
}

struct ThemeScanner::Impl {
  const ThemeDatabase* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  // Per-theme first evidence of the current scan; `seen` stamps avoid clearing them.
  std::vector<uint32_t> seen;
  std::vector<ThemeHit> best;
  uint32_t generation = 0;
  std::vector<ThemeHit>* hits = nullptr;
  SignalCounts* cues = nullptr;
  ~Impl() { hs_free_scratch(scratch); }
};

ThemeScanner::~ThemeScanner() = default;

Result<std::unique_ptr<ThemeScanner>> ThemeScanner::Create(const ThemeDatabase* db) {
  auto impl = std::make_unique<Impl>();
  impl->db = db;
  if (hs_alloc_scratch(db->impl_->db, &impl->scratch) != HS_SUCCESS) {
    return Status::Internal("hyperscan: cannot allocate scratch space");
  }
  impl->seen.assign(db->theme_count(), 0);
  impl->best.assign(db->theme_count(), ThemeHit{});
  auto scanner = std::unique_ptr<ThemeScanner>(new ThemeScanner());
  scanner->impl_ = std::move(impl);
  return scanner;
}

void ThemeScanner::Scan(std::string_view text, std::vector<ThemeHit>* hits, SignalCounts* cues) {
  hits->clear();
  *cues = SignalCounts{};
  Impl& s = *impl_;
  if (text.empty() || text.size() > std::numeric_limits<unsigned>::max()) return;
  if (++s.generation == 0) {  // wrapped: forget every stamp once
    std::fill(s.seen.begin(), s.seen.end(), 0);
    s.generation = 1;
  }
  s.hits = hits;
  s.cues = cues;
  auto on_match = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                     void* ctx) -> int {
    Impl& st = *static_cast<Impl*>(ctx);
    if (id >= kSignalBase) {
      uint16_t& c = st.cues->count[id - kSignalBase];
      if (c < std::numeric_limits<uint16_t>::max()) ++c;
      return 0;
    }
    ThemeHit& b = st.best[id];
    const auto f = static_cast<uint32_t>(from);
    const auto t = static_cast<uint32_t>(to);
    if (st.seen[id] != st.generation) {
      st.seen[id] = st.generation;
      b = ThemeHit{id, f, t};
      st.hits->push_back(b);
    } else if (f < b.begin || (f == b.begin && t < b.end)) {
      b.begin = f;
      b.end = t;
    }
    return 0;
  };
  // A scan error (none expected in block mode) leaves what was found so far.
  (void)hs_scan(s.db->impl_->db, text.data(), static_cast<unsigned>(text.size()), 0, s.scratch, on_match, &s);
  for (ThemeHit& h : *hits) h = s.best[h.theme];
  std::sort(hits->begin(), hits->end(), [](const ThemeHit& a, const ThemeHit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.theme < b.theme;
  });
}

}  // namespace voc::text
