#include "common/text/analyzer.h"

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "common/text/ascii.h"
#include "common/text/language.h"
#include "common/text/lexicon.h"
#include "common/text/pii.h"
#include "common/text/sentiment.h"
#include "common/text/signals.h"
#include "common/text/taxonomy.h"
#include "common/text/theme_matcher.h"

namespace voc::text {
namespace {

// Offsets are 32-bit and one record should never cost milliseconds: longer texts are
// analysed on their first MiB, cut at a character boundary.
constexpr size_t kMaxTextBytes = 1u << 20;

std::string_view Truncate(std::string_view text) {
  if (text.size() <= kMaxTextBytes) return text;
  size_t n = kMaxTextBytes;
  for (int k = 0; k < 3 && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80; ++k) --n;
  return text.substr(0, n);
}

// A relative default resolves against the working directory first (an installed layout),
// then the source tree this library was built from (tests, benchmarks, development).
std::string ResolveDataPath(const std::string& configured, const char* relative) {
  if (!configured.empty()) return configured;
  const std::string local = std::string("data/") + relative;
  std::error_code ec;
  if (std::filesystem::exists(local, ec)) return local;
  return std::string(VOC_TEXT_DATA_DIR) + "/" + relative;
}

// What every analyzer of one taxonomy and lexicon set shares: read-only once built.
struct Model {
  Lexicon lexicon;
  Taxonomy taxonomy;
  std::unique_ptr<ThemeDatabase> db;
};

class AnalyzerImpl final : public Analyzer {
 public:
  explicit AnalyzerImpl(std::shared_ptr<const Model> model)
      : model_(std::move(model)),
        lexicon_(model_->lexicon),
        taxonomy_(model_->taxonomy),
        scorer_(&lexicon_),
        version_(taxonomy_.name + "@" + taxonomy_.version) {}

  Result<std::unique_ptr<Analyzer>> Fork() const override {
    auto fork = std::make_unique<AnalyzerImpl>(model_);
    VOC_RETURN_IF_ERROR(fork->Init());
    return std::unique_ptr<Analyzer>(std::move(fork));
  }

  Status Init() {
    auto scanner = ThemeScanner::Create(model_->db.get());
    if (!scanner.ok()) return scanner.status();
    scanner_ = std::move(scanner).value();
    return Status::Ok();
  }

  void Analyze(std::string_view text, Analysis* out) override {
    out->aspects.clear();
    AnalyzeText(text, out);
  }

  void AnalyzeText(std::string_view text, Analysis* out) {
    try {
      AnalyzeOrThrow(Truncate(text), out);
    } catch (...) {
      // Only allocation can throw here; the record gets an empty, unscored analysis.
      out->language.assign("un");
      out->sentiment_scored = false;
      out->compound = 0.0;
      out->label = SentimentLabel::kNeutral;
      out->themes.clear();
      out->type = FeedbackType::kUnspecified;
      out->urgency = kUrgencyNone;
      out->redacted_text.clear();
      out->pii = PiiCounts{};
    }
  }

  void AnalyzeAspects(std::string_view text, std::span<const AspectQuery> aspects, Analysis* out) override {
    AnalyzeText(text, out);
    out->aspects.resize(aspects.size());
    for (size_t i = 0; i < aspects.size(); ++i) {
      AspectSentiment& a = out->aspects[i];
      try {
        a.term.assign(aspects[i].term);
      } catch (...) {
        a.term.clear();
      }
      a.found = false;
      a.begin = a.end = 0;
      a.compound = 0.0;
      const size_t at = FindAspect(out->redacted_text, aspects[i], text.size());
      if (at != std::string::npos) {
        a.found = true;
        a.begin = static_cast<uint32_t>(at);
        a.end = static_cast<uint32_t>(at + aspects[i].term.size());
        if (out->sentiment_scored) a.compound = scorer_.ScoreAspect(a.begin, a.end);
      }
      a.label = a.compound >= 0.05 ? SentimentLabel::kPositive
                : a.compound <= -0.05 ? SentimentLabel::kNegative
                                      : SentimentLabel::kNeutral;
    }
  }

  const std::string& taxonomy_version() const override { return version_; }

 private:
  // Where the aspect occurs in the redacted text: the caseless, word-bounded mention
  // nearest its requested offset (redaction may have moved it), or its first; npos.
  static size_t FindAspect(std::string_view red, const AspectQuery& q, size_t input_size) {
    const std::string_view term = q.term;
    if (term.empty() || term.size() > red.size()) return std::string::npos;
    // Offsets past a redaction move by the length difference; the nearest mention wins.
    const int64_t shift = static_cast<int64_t>(red.size()) - static_cast<int64_t>(input_size);
    size_t best = std::string::npos;
    int64_t best_distance = INT64_MAX;
    for (size_t p = 0; p + term.size() <= red.size(); ++p) {
      if (Lower(red[p]) != Lower(term[0])) continue;
      size_t k = 1;
      while (k < term.size() && Lower(red[p + k]) == Lower(term[k])) ++k;
      if (k < term.size()) continue;
      if ((p > 0 && IsWordChar(red[p - 1]) && IsWordChar(term.front())) ||
          (p + k < red.size() && IsWordChar(red[p + k]) && IsWordChar(term.back()))) {
        continue;
      }
      if (q.offset < 0) return p;
      const int64_t pos = static_cast<int64_t>(p);
      const int64_t distance = std::min(std::llabs(pos - q.offset), std::llabs(pos - (q.offset + shift)));
      if (distance < best_distance) {
        best_distance = distance;
        best = p;
      }
    }
    return best;
  }

  void AnalyzeOrThrow(std::string_view text, Analysis* out) {
    // Themes, clauses and evidence all refer to the redacted text, the only text that
    // may be stored downstream.
    out->pii = PiiCounts{};
    // Name cues are looked for only when the tokens hold one of their words ("name",
    // "from"): few texts do, and the search is the costliest part of redaction.
    RedactPiiExceptNames(text, &out->redacted_text, &out->pii);
    scorer_.Tokenize(out->redacted_text);
    WordClasses words = scorer_.CountWordClasses();
    if (RedactNames(out->redacted_text, &names_scratch_, &out->pii, words.name_cue)) {
      out->redacted_text.swap(names_scratch_);
      scorer_.Tokenize(out->redacted_text);
      words = scorer_.CountWordClasses();
    }
    const std::string_view red = out->redacted_text;

    const LanguageGuess lang =
        DetectLanguage(red, EnglishEvidence{scorer_.word_count(), scorer_.stopword_count(),
                                            scorer_.lexicon_word_count(), words.foreign_stopwords});
    out->language.assign(lang.code);
    out->sentiment_scored = lang.english_or_unknown;

    SignalCounts cues;
    scanner_->Scan(red, &hits_, &cues, PhraseLanguageOf(out->language));
    // Problem themes lend their evidence a valence before scoring ("uses 2 GB of storage").
    if (out->sentiment_scored) {
      for (const ThemeHit& h : hits_) {
        const float v = taxonomy_.themes[h.theme].implied_valence;
        if (v != 0.0f) scorer_.SetImplicitValence(h.begin, v);
      }
    }
    out->compound = out->sentiment_scored ? scorer_.ScoreAll() : 0.0;
    out->label = out->compound >= 0.05    ? SentimentLabel::kPositive
                 : out->compound <= -0.05 ? SentimentLabel::kNegative
                                          : SentimentLabel::kNeutral;
    // Matches move between the result and a spare pool instead of being destroyed and
    // rebuilt, so their id and path strings keep their buffers from record to record.
    while (out->themes.size() > hits_.size()) {
      spare_themes_.push_back(std::move(out->themes.back()));
      out->themes.pop_back();
    }
    while (out->themes.size() < hits_.size()) {
      if (spare_themes_.empty()) {
        out->themes.emplace_back();
      } else {
        out->themes.push_back(std::move(spare_themes_.back()));
        spare_themes_.pop_back();
      }
    }
    for (size_t i = 0; i < hits_.size(); ++i) {
      const ThemeHit& h = hits_[i];
      const Theme& theme = taxonomy_.themes[h.theme];
      ThemeMatch& m = out->themes[i];
      m.id.assign(theme.id);
      m.path.assign(theme.path);
      m.begin = h.begin;
      m.end = h.end;
      m.clause_compound = out->sentiment_scored ? scorer_.ScoreClauseAt(h.begin) : 0.0;
    }
    const TextFacts facts{red.find('?') != std::string_view::npos, scorer_.word_count(), words.first_person,
                          words.second_person};
    out->type = ClassifyFeedback(cues, out->compound, out->sentiment_scored, facts);
    out->urgency = UrgencyFlags(cues);
  }

  // Declaration order matters: the scorer points into the lexicon and the scanner into
  // the database, so both are declared (and destroyed) after what they use.
  std::shared_ptr<const Model> model_;
  const Lexicon& lexicon_;    // model_'s
  const Taxonomy& taxonomy_;  // model_'s
  SentimentScorer scorer_;
  std::unique_ptr<ThemeScanner> scanner_;
  std::vector<ThemeHit> hits_;
  std::vector<ThemeMatch> spare_themes_;
  std::string names_scratch_;  // the redacted text before its names were, when it had any
  std::string version_;
};

}  // namespace

Result<std::unique_ptr<Analyzer>> Analyzer::Create(const AnalyzerOptions& options) {
  auto lexicon = Lexicon::Load(ResolveDataPath(options.lexicon_dir, "lexicons"));
  if (!lexicon.ok()) return lexicon.status();
  auto taxonomy = LoadTaxonomy(ResolveDataPath(options.taxonomy_path, "taxonomy/software.yaml"));
  if (!taxonomy.ok()) return taxonomy.status();
  auto db = ThemeDatabase::Compile(taxonomy.value());
  if (!db.ok()) return db.status();
  auto model = std::make_shared<Model>(
      Model{std::move(lexicon).value(), std::move(taxonomy).value(), std::move(db).value()});
  auto analyzer = std::make_unique<AnalyzerImpl>(std::move(model));
  VOC_RETURN_IF_ERROR(analyzer->Init());
  return std::unique_ptr<Analyzer>(std::move(analyzer));
}

void Analyzer::AnalyzeAspects(std::string_view text, std::span<const AspectQuery> aspects, Analysis* out) {
  Analyze(text, out);
  try {
    out->aspects.resize(aspects.size());
    for (size_t i = 0; i < aspects.size(); ++i) {
      out->aspects[i] = AspectSentiment{};
      out->aspects[i].term.assign(aspects[i].term);
    }
  } catch (...) {
    out->aspects.clear();  // only allocation can throw; the analysis itself stands
  }
}

const char* ToString(SentimentLabel label) {
  switch (label) {
    case SentimentLabel::kNegative: return "negative";
    case SentimentLabel::kNeutral: return "neutral";
    case SentimentLabel::kPositive: return "positive";
  }
  return "neutral";
}

const char* ToString(FeedbackType type) {
  switch (type) {
    case FeedbackType::kUnspecified: return "unspecified";
    case FeedbackType::kBugReport: return "bug_report";
    case FeedbackType::kFeatureRequest: return "feature_request";
    case FeedbackType::kPraise: return "praise";
    case FeedbackType::kQuestion: return "question";
    case FeedbackType::kComplaint: return "complaint";
  }
  return "unspecified";
}

std::vector<std::string> UrgencyNames(uint32_t urgency) {
  std::vector<std::string> names;
  if (urgency & kUrgencyOutage) names.emplace_back("outage");
  if (urgency & kUrgencyDataLoss) names.emplace_back("data_loss");
  if (urgency & kUrgencySecurity) names.emplace_back("security");
  if (urgency & kUrgencyLegalThreat) names.emplace_back("legal_threat");
  if (urgency & kUrgencyChurnThreat) names.emplace_back("churn_threat");
  return names;
}

}  // namespace voc::text
