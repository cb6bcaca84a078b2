// vocctl: the operator's and developer's command line for vocstream.
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iostream>

#include "common/config/config.h"
#include "common/logging/logging.h"
#include "common/runtime/command_line.h"
#include "common/runtime/stop_signal.h"
#include "services/ingest/raw_decoder.h"
#include "tools/vocctl/commands.h"
#include "tools/vocctl/kafka_args.h"
#include "tools/vocctl/score.h"

namespace {

void AddKafkaOptions(CLI::App* command, voc::vocctl::KafkaArgs* args) {
  command->add_option("-b,--bootstrap", args->bootstrap_servers, "Kafka bootstrap servers, host:port[,host:port]");
  command->add_option("-X", args->properties, "A librdkafka property, key=value (repeatable), e.g. -X security.protocol=SASL_SSL");
  command->add_option("--config", args->config_file, "A file of librdkafka properties, key=value a line");
}

// The cluster the Kafka flags name; a mistake is a sentence and exit code 2.
voc::kafka::ClientConfig ClientOrExit(const voc::vocctl::KafkaArgs& args, const char* command) {
  auto client = voc::vocctl::ToClientConfig(args);
  if (!client.ok()) {
    std::cerr << "vocctl " << command << ": " << client.status().message() << "\n";
    std::exit(2);
  }
  return std::move(client).value();
}

std::chrono::milliseconds ParseDurationOrExit(const std::string& text, const char* flag) {
  // A bare number is milliseconds to the configuration, but on a command line "--duration
  // 30" means seconds as often as not: ask for the unit.
  if (!text.empty() && text != "0" && text.find_first_not_of("0123456789") == std::string::npos) {
    std::cerr << "vocctl: " << flag << " '" << text << "' has no unit; use e.g. " << text << "s, " << text
              << "m or " << text << "ms\n";
    std::exit(2);
  }
  std::chrono::milliseconds d{};
  if (!voc::config::ParseDuration(text, &d)) {
    std::cerr << "vocctl: " << flag << " '" << text << "' is not a duration; use e.g. 30s, 5m or 1h\n";
    std::exit(2);
  }
  return d;
}

// An instant as RFC 3339 or epoch milliseconds; a mistake is a sentence on stderr.
bool ParseTime(const std::string& text, const char* flag, int64_t* epoch_ms) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *epoch_ms);
  if (ec == std::errc() && end == text.data() + text.size()) return true;
  std::string why;
  if (voc::ingest::ParseRfc3339(text, epoch_ms, &why)) return true;
  std::cerr << "vocctl: " << flag << " '" << text
            << "' is not a time; use RFC 3339 such as 2026-11-01T00:00:00Z, or epoch milliseconds (" << why << ")\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  voc::runtime::StopSignal stop;
  // librdkafka's warnings and errors, clear of the progress bar on a terminal.
  voc::logging::Init({.program = "vocctl", .level = "warn", .clear_terminal_line = isatty(STDERR_FILENO) == 1}).ok();
  CLI::App app("vocctl: produce, inspect, generate and demo vocstream feedback.", "vocctl");
  app.require_subcommand(1);
  voc::runtime::AddVersionFlag(app);

  voc::vocctl::ProduceArgs produce;
  auto* p = app.add_subcommand("produce", "Send a JSON-lines or CSV file to a topic, with a progress bar.");
  voc::vocctl::KafkaArgs produce_kafka;
  AddKafkaOptions(p, &produce_kafka);
  p->add_option("-t,--topic", produce.topic, "Topic, e.g. voc.raw.tickets")->required();
  p->add_option("-i,--input", produce.input, "File of JSON lines (.jsonl) or CSV with a header row (.csv)")->required();
  p->add_option("--key-field", produce.key_field, "Field whose value keys each record")->capture_default_str();
  p->add_flag("--customers", produce.customers, "Rows are customer profiles: send them as CustomerProfile protobuf");
  p->add_flag("!--no-progress", produce.progress, "No progress bar (there is none unless stderr is a terminal)");

  voc::vocctl::TailArgs tail;
  std::string tail_idle = "0";
  auto* t = app.add_subcommand("tail", "Print any pipeline topic as JSON, one record a line.");
  voc::vocctl::KafkaArgs tail_kafka;
  AddKafkaOptions(t, &tail_kafka);
  t->add_option("-t,--topic", tail.topic, "Topic, e.g. voc.theme.aggregates")->required();
  t->add_option("--type", tail.type, "Message type when the topic name is not a default one");
  t->add_flag("--from-end", tail.from_end, "Only records that arrive from now on");
  t->add_flag("--with-meta", tail.with_meta, "Print each record as {topic, partition, offset, timestamp, key, value}");
  t->add_option("-n,--max", tail.max_records, "Stop after this many records");
  t->add_option("--exit-when-idle", tail_idle, "Stop when nothing arrived for this long, e.g. 2s");

  voc::vocctl::GenArgs gen;
  auto* g = app.add_subcommand("gen", "Write realistic synthetic feedback (JSON lines) and its ground truth.");
  g->add_option("-n,--count", gen.count, "Raw records")->capture_default_str();
  g->add_option("-o,--out", gen.out_dir, "Output folder")->required();
  g->add_option("--seed", gen.options.seed, "Same seed, same records")->capture_default_str();
  g->add_option("--customers", gen.options.customers, "Distinct customers")->capture_default_str()->check(CLI::Range(1, 1000000));
  g->add_option("--malformed-share", gen.options.malformed_share, "Share of malformed records")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  g->add_option("--duplicate-share", gen.options.duplicate_share, "Share of exact duplicates")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  g->add_option("--revision-share", gen.options.revision_share, "Share of revisions")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  // A long stream in parts, or streams that must not share ids: event times and ids of
  // their own; a part of the stream picks up where the last ended with --start and --id-offset.
  std::string gen_start, gen_span = "48h";
  g->add_option("--start", gen_start,
                "Event time of the first record: RFC 3339 (2026-11-01T00:00:00Z) or epoch milliseconds "
                "(default 2026-11-01T00:00:00Z)");
  g->add_option("--span", gen_span, "Event times run evenly over this span across the records, whatever their count, e.g. 30d")
      ->capture_default_str();
  g->add_option("--id-prefix", gen.options.id_prefix, "Put this in front of every external id (a namespace of ids)");
  g->add_option("--id-offset", gen.options.id_offset,
                "Add this to the record number in external ids: continue a stream of N records with N")
      ->capture_default_str();
  g->add_option("--history", gen.options.history,
                "Revisions, duplicates and echoes pick from the latest N feedback only (0: all); bounds the memory "
                "of a long stream")
      ->capture_default_str();

  voc::vocctl::DemoArgs demo;
  std::string demo_duration = "30s";
  auto* d = app.add_subcommand("demo", "Run the whole pipeline on the embedded broker with generated feedback and a live table.");
  d->add_option("--duration", demo_duration, "How long, e.g. 30s or 5m; 0 runs until Ctrl-C")->capture_default_str();
  d->add_option("--rate", demo.rate, "Raw records per second")->capture_default_str()->check(CLI::Range(1.0, 1e6));
  d->add_option("--partitions", demo.partitions, "Partitions per topic")->capture_default_str()->check(CLI::Range(1, 256));
  d->add_option("--state-dir", demo.state_dir, "Keep the services' state here (default: a temporary folder)");
  d->add_option("--seed", demo.seed, "Generator seed")->capture_default_str();
  d->add_flag("--plain", demo.plain, "Print tables one after another instead of redrawing the screen");

  std::string score_input, taxonomy = VOC_DATA_DIR "/taxonomy/software.yaml", lexicons = VOC_DATA_DIR "/lexicons";
  auto* s = app.add_subcommand("score", "Analyse texts (one per line) and print one JSON object per line.");
  s->add_option("-i,--input", score_input, "Read texts from this file instead of stdin");
  s->add_option("--taxonomy", taxonomy, "Taxonomy YAML")->capture_default_str();
  s->add_option("--lexicons", lexicons, "Folder of sentiment lexicons")->capture_default_str();
  std::vector<std::string> aspects;
  s->add_option("--aspect", aspects,
                "Also print the sentiment toward this term or phrase in each text; repeat it, or give several "
                "separated by commas, for more")
      ->delimiter(',');

  if (auto exit_code = voc::runtime::ParseCommandLine(app, argc, argv)) return *exit_code;

  if (*p) {
    produce.client = ClientOrExit(produce_kafka, "produce");
    return voc::vocctl::RunProduce(produce);
  }
  if (*t) {
    tail.client = ClientOrExit(tail_kafka, "tail");
    tail.exit_when_idle = ParseDurationOrExit(tail_idle, "--exit-when-idle");
    return voc::vocctl::RunTail(tail, stop.flag());
  }
  if (*g) {
    if (!gen_start.empty() && !ParseTime(gen_start, "--start", &gen.options.start_ms)) return 2;
    gen.options.span_ms = ParseDurationOrExit(gen_span, "--span").count();
    return voc::vocctl::RunGen(gen);
  }
  if (*d) {
    demo.duration = ParseDurationOrExit(demo_duration, "--duration");
    return voc::vocctl::RunDemo(demo, stop.flag());
  }
  voc::text::AnalyzerOptions options{taxonomy, lexicons};
  if (score_input.empty()) return voc::vocctl::RunScore(std::cin, std::cout, options, std::cerr, aspects);
  std::ifstream in(score_input);
  if (!in) {
    std::cerr << "vocctl score: cannot read " << score_input << ": check the path given to --input\n";
    return 2;
  }
  return voc::vocctl::RunScore(in, std::cout, options, std::cerr, aspects);
}
