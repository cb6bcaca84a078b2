// Throughput of the text module: the sentiment scorer alone on the VADER dev sets, the
// full analyzer (PII, language, sentiment, themes, type, urgency) on ~300-byte feedback,
// and the phrases voc-enrich takes from each feedback for emerging topics.
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/text/analyzer.h"
#include "common/text/lexicon.h"
#include "common/text/phrases.h"
#include "common/text/sentiment.h"

namespace {

const std::string kSource = VOC_SOURCE_DIR;

// The evaluation sets live beside the repository (shared/eval) and are not shipped.
std::vector<std::string> LoadSentimentDevTexts() {
  std::vector<std::string> texts;
  for (const char* name : {"tweets", "movieReviewSnippets", "amazonReviewSnippets", "nytEditorialSnippets"}) {
    std::ifstream in(kSource + "/../shared/eval/sentiment-dev/" + name + ".tsv");
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (header) {
        header = false;
        continue;
      }
      const size_t tab = line.find('\t', line.find('\t') + 1);
      if (tab != std::string::npos) texts.push_back(line.substr(tab + 1));
    }
  }
  return texts;
}

// App reviews joined until each text is about 300 bytes, like a typical feedback record.
std::vector<std::string> LoadFeedbackTexts() {
  std::vector<std::string> texts;
  std::ifstream in(kSource + "/data/samples/app-reviews.txt");
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    if (!current.empty()) current += ' ';
    current += line;
    if (current.size() >= 280) {
      texts.push_back(current.substr(0, 320));
      current.clear();
    }
  }
  return texts;
}

void BM_Sentiment_Score(benchmark::State& state) {
  const std::vector<std::string> texts = LoadSentimentDevTexts();
  if (texts.empty()) {
    state.SkipWithError("../shared/eval/sentiment-dev/*.tsv not found");
    return;
  }
  auto lexicon = voc::text::Lexicon::Load(kSource + "/data/lexicons");
  if (!lexicon.ok()) {
    state.SkipWithError(lexicon.status().ToString().c_str());
    return;
  }
  voc::text::SentimentScorer scorer(&lexicon.value());
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string& t = texts[i];
    benchmark::DoNotOptimize(scorer.Score(t));
    bytes += t.size();
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Sentiment_Score);

void BM_Analyzer_Analyze(benchmark::State& state) {
  const std::vector<std::string> texts = LoadFeedbackTexts();
  if (texts.empty()) {
    state.SkipWithError("data/samples/app-reviews.txt not found");
    return;
  }
  // Built once: the benchmark library calls this function several times while it sizes the
  // run, and compiling the pattern databases takes seconds.
  static const auto analyzer = [] {
    voc::text::AnalyzerOptions options;
    options.lexicon_dir = kSource + "/data/lexicons";
    options.taxonomy_path = kSource + "/data/taxonomy/software.yaml";
    return voc::text::Analyzer::Create(options);
  }();
  if (!analyzer.ok()) {
    state.SkipWithError(analyzer.status().ToString().c_str());
    return;
  }
  voc::text::Analysis analysis;
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string& t = texts[i];
    analyzer.value()->Analyze(t, &analysis);
    benchmark::DoNotOptimize(analysis.compound);
    bytes += t.size();
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["avg_text_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Analyzer_Analyze);

// As voc-enrich calls it, with its default of kMaxPhrasesPerFeedback (24) a feedback.
void BM_Phrases_Extract(benchmark::State& state) {
  const std::vector<std::string> texts = LoadFeedbackTexts();
  if (texts.empty()) {
    state.SkipWithError("data/samples/app-reviews.txt not found");
    return;
  }
  std::vector<std::string> phrases;
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    voc::text::ExtractPhrases(texts[i], &phrases);
    benchmark::DoNotOptimize(phrases.data());
    bytes += texts[i].size();
    if (++i == texts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Phrases_Extract);

}  // namespace

BENCHMARK_MAIN();
