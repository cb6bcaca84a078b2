// Text analytics for customer feedback: language, PII redaction, sentiment (overall and
// per theme clause), themes from a versioned taxonomy, feedback type and urgency.
// voc-enrich and `vocctl score` call Analyzer::Analyze once per text.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"

namespace voc::text {

enum class SentimentLabel : uint8_t { kNegative, kNeutral, kPositive };

enum class FeedbackType : uint8_t { kUnspecified, kBugReport, kFeatureRequest, kPraise, kQuestion, kComplaint };

// Urgency is a set: one text can threaten churn and report data loss.
enum UrgencyFlag : uint32_t {
  kUrgencyNone = 0,
  kUrgencyOutage = 1u << 0,
  kUrgencyDataLoss = 1u << 1,
  kUrgencySecurity = 1u << 2,
  kUrgencyLegalThreat = 1u << 3,
  kUrgencyChurnThreat = 1u << 4,
};

struct ThemeMatch {
  std::string id;      // stable taxonomy id, e.g. "reliability.crashes"
  std::string path;    // display path, e.g. "Reliability > Crashes"
  uint32_t begin = 0;  // evidence span, byte offsets into Analysis::redacted_text
  uint32_t end = 0;
  double clause_compound = 0.0;  // sentiment of the clause around the match, [-1, 1]
};

struct PiiCounts {
  uint32_t email = 0;
  uint32_t phone = 0;
  uint32_t card = 0;
  uint32_t iban = 0;
  uint32_t ip = 0;
  uint32_t name = 0;     // a person's name after a reliable cue ("my name is", a sign-off)
  uint32_t address = 0;  // a street address (house number beside a street word)
  uint32_t national_id = 0;  // a US Social Security number (3-2-4 with dashes, or after "SSN")
  uint32_t total() const { return email + phone + card + iban + ip + name + address + national_id; }
};

// Sentiment toward one aspect (any term or span, not only a taxonomy theme).
struct AspectSentiment {
  std::string term;      // as asked
  bool found = false;    // whether the term occurs in the text
  uint32_t begin = 0;    // the mention scored, byte offsets into Analysis::redacted_text
  uint32_t end = 0;
  double compound = 0.0;  // [-1, 1]; 0 when not found or not scored
  SentimentLabel label = SentimentLabel::kNeutral;  // +-0.05 cut
};

// An aspect to score: its words, and where it is meant when it occurs more than once.
struct AspectQuery {
  std::string_view term;  // e.g. "battery life"; matched caseless on word boundaries
  int64_t offset = -1;    // byte offset of the mention in the input text; -1: its first
};

// The result of one Analyze call. Reused across calls: Analyze clears and refills it,
// keeping vector and string capacity, so a steady stream does not allocate.
struct Analysis {
  std::string language;            // ISO 639-1 code from CLD2, "un" when unknown
  bool sentiment_scored = false;   // false for text not in a scored language
  double compound = 0.0;           // [-1, 1]
  SentimentLabel label = SentimentLabel::kNeutral;  // +-0.05 cut
  std::vector<ThemeMatch> themes;  // one per theme, in order of first evidence
  FeedbackType type = FeedbackType::kUnspecified;
  uint32_t urgency = kUrgencyNone;  // UrgencyFlag bits
  std::string redacted_text;        // the input with PII replaced by [EMAIL], [PHONE], [NAME], ...
  PiiCounts pii;
  std::vector<AspectSentiment> aspects;  // one per AspectQuery, in order; empty from Analyze
};

struct AnalyzerOptions {
  std::string taxonomy_path;  // YAML taxonomy; default data/taxonomy/software.yaml
  std::string lexicon_dir;    // folder with the sentiment lexicons; default data/lexicons
};

// NOT thread-safe: it owns matcher scratch space. Use one Analyzer per thread; the
// compiled databases are built once in Create.
class Analyzer {
 public:
  virtual ~Analyzer() = default;
  static Result<std::unique_ptr<Analyzer>> Create(const AnalyzerOptions& options);

  // Any byte sequence is accepted; invalid UTF-8 never crashes it.
  virtual void Analyze(std::string_view text, Analysis* out) = 0;
  // Analyze, plus the sentiment toward each aspect in Analysis::aspects. The base version
  // (for wrappers that forward Analyze) reports every aspect as not found.
  virtual void AnalyzeAspects(std::string_view text, std::span<const AspectQuery> aspects, Analysis* out);

  // "name@version" of the loaded taxonomy, recorded with every enriched record.
  virtual const std::string& taxonomy_version() const = 0;
  // Another analyzer for another thread: it shares this one's compiled taxonomy and
  // lexicons (read-only) and has scratch of its own, so it costs no compilation.
  virtual Result<std::unique_ptr<Analyzer>> Fork() const = 0;
};

const char* ToString(SentimentLabel label);
const char* ToString(FeedbackType type);
// Names of the set bits, e.g. {"outage", "churn_threat"}.
std::vector<std::string> UrgencyNames(uint32_t urgency);

}  // namespace voc::text
