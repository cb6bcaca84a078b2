// The real `vocctl` binary run as a subprocess against the real `voc-broker` binary:
// gen, produce, tail and score as an operator uses them, and the CLI's error sentences.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "common/kafka/kafka.h"
#include "tests/e2e/child_process.h"
#include "tests/runtime/test_util.h"
#include "tools/vocctl/csv.h"

namespace voc {
namespace {

const std::string kVocctl = VOC_BINARY_DIR "/tools/vocctl/vocctl";
const std::string kBroker = VOC_BINARY_DIR "/tools/voc-broker";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct RunResult {
  int rc = -1;  // -1: killed by a signal or by the timeout
  std::string out, err;
};

// Runs binary with args to its end, stdin from stdin_path, capturing stdout and stderr apart.
RunResult RunBinary(const std::string& binary, const std::vector<std::string>& args,
              const std::string& stdin_path = "/dev/null", std::chrono::seconds timeout = std::chrono::seconds(60)) {
  test::TempDir io;
  const std::string out_path = io.path() + "/stdout", err_path = io.path() + "/stderr";
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  RunResult result;
  if (spawned != 0) {
    result.err = "posix_spawn failed";
    return result;
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) result.rc = WEXITSTATUS(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

RunResult Vocctl(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null",
                 std::chrono::seconds timeout = std::chrono::seconds(60)) {
  return RunBinary(kVocctl, args, stdin_path, timeout);
}

// One voc-broker process for the whole suite, with small topics.
class VocctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const std::string log = dir_->path() + "/broker.log";
    broker_ = new test::ChildProcess(kBroker, {"-p", "2", "--topic", "csv.feedback:1"}, log);
    ASSERT_TRUE(broker_->Start());
    std::string first_line;
    ASSERT_TRUE(test::WaitFor(
        [&] {
          std::string text = ReadFile(log);
          const size_t eol = text.find('\n');
          if (eol == std::string::npos) return false;
          first_line = text.substr(0, eol);
          return true;
        },
        std::chrono::seconds(10)))
        << "voc-broker printed no line";
    ASSERT_EQ(first_line.rfind("127.0.0.1:", 0), 0u) << "the first line must be the bootstrap address: " << first_line;
    bootstrap_ = first_line;
  }
  static void TearDownTestSuite() {
    delete broker_;  // kills it
    broker_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (broker_ == nullptr) GTEST_SKIP() << "no broker";
  }

  // `vocctl tail` of a topic until it is idle for 2 s.
  static RunResult Tail(const std::string& topic, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"tail", "-b", bootstrap_, "-t", topic, "--exit-when-idle", "2s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Vocctl(args);
  }

  static RunResult Produce(const std::string& topic, const std::string& input, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"produce", "-b", bootstrap_, "-t", topic, "-i", input, "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Vocctl(args);
  }

  static inline test::TempDir* dir_ = nullptr;
  static inline test::ChildProcess* broker_ = nullptr;
  static inline std::string bootstrap_;
  test::TempDir work_;
};

TEST_F(VocctlTest, GenIsDeterministicForASeedAndItsGroundTruthAddsUp) {
  const std::string a = work_.path() + "/a", b = work_.path() + "/b", c = work_.path() + "/c";
  for (const auto& [dir, seed] : {std::pair{a, "7"}, std::pair{b, "7"}, std::pair{c, "8"}}) {
    auto r = Vocctl({"gen", "-n", "500", "-o", dir, "--seed", seed});
    ASSERT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, "") << "gen reports on stderr only";
  }
  const std::vector<std::string> files = {"tickets.jsonl", "surveys.jsonl", "reviews.jsonl", "customers.jsonl",
                                          "ground_truth.json"};
  for (const auto& f : files) {
    const std::string first = ReadFile(a + "/" + f);
    EXPECT_FALSE(first.empty()) << f;
    EXPECT_EQ(first, ReadFile(b + "/" + f)) << f << " differs for the same seed";
  }
  EXPECT_NE(ReadFile(a + "/tickets.jsonl"), ReadFile(c + "/tickets.jsonl")) << "another seed, other records";

  simdjson::dom::parser parser;
  simdjson::dom::element truth;
  ASSERT_EQ(parser.parse(ReadFile(a + "/ground_truth.json")).get(truth), simdjson::SUCCESS);
  auto count = [&](const char* field) {
    int64_t v = -1;
    EXPECT_EQ(truth[field].get(v), simdjson::SUCCESS) << field;
    return v;
  };
  const int64_t records = count("records");
  EXPECT_EQ(records, 500);
  EXPECT_EQ(records, count("originals") + count("revisions") + count("exact_duplicates") + count("stale") +
                         count("malformed"));
  EXPECT_EQ(count("expected_enriched"), count("originals") + count("revisions"));
  EXPECT_GT(count("exact_duplicates"), 0);
  EXPECT_GT(count("malformed"), 0);
  int64_t dead_letters = 0;
  simdjson::dom::object reasons;
  ASSERT_EQ(truth["dead_letters_by_reason"].get(reasons), simdjson::SUCCESS);
  for (auto [reason, n] : reasons) dead_letters += n.get_int64().value();
  EXPECT_EQ(dead_letters, count("malformed"));
  size_t lines = 0;
  for (const char* f : {"tickets.jsonl", "surveys.jsonl", "reviews.jsonl"}) lines += Lines(ReadFile(a + "/" + f)).size();
  EXPECT_EQ(static_cast<int64_t>(lines), records) << "one line per record";
}

TEST_F(VocctlTest, GenPartsOfALongStreamHaveIdsAndEventTimesOfTheirOwn) {
  const std::string a = work_.path() + "/a", b = work_.path() + "/b";
  ASSERT_EQ(Vocctl({"gen", "-n", "300", "-o", a, "--seed", "7"}).rc, 0);
  auto r = Vocctl({"gen", "-n", "300", "-o", b, "--seed", "7", "--id-prefix", "part2-", "--id-offset", "300",
                   "--start", "2026-12-01T00:00:00Z", "--span", "30d"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(ReadFile(a + "/ground_truth.json"), ReadFile(b + "/ground_truth.json"))
      << "the same records, renamed and moved in time";
  // An event time as the generator writes it, epoch ms or RFC 3339 in UTC (which sorts as text),
  // against [from, to).
  struct Instant {
    int64_t ms;
    const char* text;
  };
  const auto between = [](simdjson::simdjson_result<simdjson::dom::element> t, Instant from, Instant to) {
    int64_t ms = 0;
    if (t.get(ms) == simdjson::SUCCESS) return ms >= from.ms && ms < to.ms;
    std::string_view text;
    return t.get(text) == simdjson::SUCCESS && text >= from.text && text < to.text;
  };
  // 48 h from 2026-11-01 (the default) and 30 days from 2026-12-01, less up to 3 h out of order.
  const Instant a_from{1'793'480'400'000, "2026-10-31T21"}, a_to{1'793'664'000'000, "2026-11-03"};
  const Instant b_from{1'796'072'400'000, "2026-11-30T21"}, b_to{1'798'675'200'000, "2026-12-31"};
  const Instant b_late{1'797'724'800'000, "2026-12-20"};
  const auto a_lines = Lines(ReadFile(a + "/tickets.jsonl")), b_lines = Lines(ReadFile(b + "/tickets.jsonl"));
  ASSERT_EQ(a_lines.size(), b_lines.size());
  simdjson::dom::parser pa, pb;
  size_t checked = 0, late = 0;
  for (size_t i = 0; i < a_lines.size(); ++i) {
    simdjson::dom::element x, y;
    std::string_view id_a, id_b;
    if (pa.parse(a_lines[i]).get(x) != simdjson::SUCCESS || pb.parse(b_lines[i]).get(y) != simdjson::SUCCESS ||
        x["ticket_id"].get(id_a) != simdjson::SUCCESS || y["ticket_id"].get(id_b) != simdjson::SUCCESS ||
        id_a.find("-bad") != std::string_view::npos) {
      continue;  // malformed on purpose
    }
    char expected[32];
    std::snprintf(expected, sizeof expected, "part2-T-%08lld", std::stoll(std::string(id_a.substr(2))) + 300);
    EXPECT_EQ(id_b, expected) << id_a;
    EXPECT_TRUE(between(x["created_at"], a_from, a_to)) << a_lines[i];
    EXPECT_TRUE(between(y["created_at"], b_from, b_to)) << b_lines[i];
    late += between(y["created_at"], b_late, b_to) ? 1 : 0;
    ++checked;
  }
  EXPECT_GT(checked, 50u);
  EXPECT_GT(late, 5u) << "300 records span 30 days when asked, not the default 48 hours";
  EXPECT_EQ(Vocctl({"gen", "-n", "5", "-o", b, "--start", "yesterday"}).rc, 2);
}

TEST_F(VocctlTest, ProducedJsonLinesComeBackFromTailOneJsonLineEach) {
  ASSERT_EQ(Vocctl({"gen", "-n", "300", "-o", work_.path(), "--seed", "11"}).rc, 0);
  const std::string input = work_.path() + "/tickets.jsonl";
  const auto sent = Lines(ReadFile(input));
  ASSERT_GT(sent.size(), 50u);
  auto p = Produce("voc.raw.tickets", input);
  ASSERT_EQ(p.rc, 0) << p.err;
  EXPECT_EQ(p.out, "");
  auto t = Tail("voc.raw.tickets");
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(Sorted(Lines(t.out)), Sorted(sent)) << "every record, once, as it was sent";
}

// Generated surveys name the customer "customerId", as some survey tools do: produced with
// the default key field, they go without a key and are spread over the partitions (an
// empty key put them all on one, which the embedded broker's 5 MiB cap then cut short),
// and the command says so and how to key them.
TEST_F(VocctlTest, RecordsWithoutTheKeyFieldAreSpreadOverThePartitionsAndReported) {
  ASSERT_EQ(Vocctl({"gen", "-n", "600", "-o", work_.path(), "--seed", "5"}).rc, 0);
  const std::string input = work_.path() + "/surveys.jsonl";
  const auto lines = Lines(ReadFile(input));
  // Some generated records are malformed on purpose: those have no customerId either.
  simdjson::dom::parser parser;
  size_t without_customer_id = 0;
  for (const auto& line : lines) {
    simdjson::dom::element doc;
    std::string_view id;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS || doc["customerId"].get(id) != simdjson::SUCCESS) {
      ++without_customer_id;
    }
  }
  ASSERT_GT(lines.size(), 150u);
  ASSERT_LT(without_customer_id, lines.size() / 4);
  const auto ends = [] {
    std::vector<int64_t> high;
    for (int p = 0; p < 2; ++p) {
      auto marks = kafka::Watermarks({bootstrap_}, {"voc.raw.surveys", PartitionId(p)}, std::chrono::seconds(10));
      EXPECT_TRUE(marks.ok()) << marks.status().ToString();
      high.push_back(marks.ok() ? marks->second.value : 0);
    }
    return high;
  };
  const std::string total = " of " + std::to_string(lines.size()) + " records have no string field ";
  const auto before = ends();
  // librdkafka keeps unkeyed records on one partition for a while (sticky partitioning);
  // without that, each goes to one at random. A record produced before the client has
  // joined a partition to its leader's thread draws again if it first drew that partition,
  // so on a loaded machine one partition may get only a quarter: the bound is an eighth,
  // which is still far from "all on one".
  auto p = Produce("voc.raw.surveys", input, {"-X", "sticky.partitioning.linger.ms=0"});
  ASSERT_EQ(p.rc, 0) << p.err;
  EXPECT_NE(p.err.find(std::to_string(lines.size()) + total + "\"customer_id\""), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("--key-field"), std::string::npos) << p.err;
  const auto after = ends();
  EXPECT_EQ(after[0] - before[0] + after[1] - before[1], static_cast<int64_t>(lines.size())) << "every record, once";
  for (int i = 0; i < 2; ++i) {
    EXPECT_GT(after[i] - before[i], static_cast<int64_t>(lines.size() / 8)) << "partition " << i << " got too few";
  }

  auto keyed = Produce("voc.raw.surveys", input, {"--key-field", "customerId"});
  ASSERT_EQ(keyed.rc, 0) << keyed.err;
  EXPECT_NE(keyed.err.find(std::to_string(without_customer_id) + total + "\"customerId\""), std::string::npos)
      << "only the malformed records go without a key: " << keyed.err;
}

TEST_F(VocctlTest, ProducedCsvBecomesJsonWithNumbersAsNumbers) {
  const std::string input = work_.path() + "/feedback.csv";
  WriteFile(input,
            "customer_id,comment,nps\n"
            "cust-1,\"Slow, but it works\",7\n"
            "cust-2,\"She said \"\"great\"\"\",10\r\n");
  auto p = Produce("csv.feedback", input);
  ASSERT_EQ(p.rc, 0) << p.err;
  auto t = Tail("csv.feedback", {"--type", "raw-survey"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(Lines(t.out), (std::vector<std::string>{
                              R"({"customer_id":"cust-1","comment":"Slow, but it works","nps":7})",
                              R"({"customer_id":"cust-2","comment":"She said \"great\"","nps":10})"}));
  simdjson::dom::parser parser;
  for (const auto& line : Lines(t.out)) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    EXPECT_TRUE(doc["nps"].is_int64()) << line;
  }
}

TEST_F(VocctlTest, CustomersAreSentAsProtobufAndTailPrintsThemAsJson) {
  ASSERT_EQ(Vocctl({"gen", "-n", "10", "-o", work_.path(), "--customers", "5"}).rc, 0);
  const std::string input = work_.path() + "/customers.jsonl";
  auto p = Produce("voc.customers", input, {"--customers"});
  ASSERT_EQ(p.rc, 0) << p.err;
  auto t = Tail("voc.customers");
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(t.err.find("is not a"), std::string::npos) << t.err;
  simdjson::dom::parser parser;
  std::set<std::string> ids;
  for (const auto& line : Lines(t.out)) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    std::string_view id;
    ASSERT_EQ(doc["customer_id"].get(id), simdjson::SUCCESS) << line;
    ids.emplace(id);
    int64_t schema_version = 0;
    EXPECT_EQ(doc["schema_version"].get(schema_version), simdjson::SUCCESS) << "set by produce --customers: " << line;
    EXPECT_EQ(schema_version, 1);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"cust-0001", "cust-0002", "cust-0003", "cust-0004", "cust-0005"}));
}

TEST_F(VocctlTest, CliErrorsExitNonZeroWithASentenceOnStderrAndNothingOnStdout) {
  auto missing = Vocctl({"produce", "-b", bootstrap_, "-t", "voc.raw.tickets", "-i", work_.path() + "/nope.jsonl"});
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.err.find("cannot read " + work_.path() + "/nope.jsonl"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");

  auto duration = Vocctl({"demo", "--duration", "banana"});
  EXPECT_NE(duration.rc, 0);
  EXPECT_NE(duration.err.find("--duration 'banana' is not a duration"), std::string::npos) << duration.err;
  EXPECT_EQ(duration.out, "");
  // "--duration 30" would be 30 ms: the unit is asked for, not guessed.
  auto bare = Vocctl({"demo", "--duration", "30"});
  EXPECT_NE(bare.rc, 0);
  EXPECT_NE(bare.err.find("--duration '30' has no unit; use e.g. 30s, 30m or 30ms"), std::string::npos) << bare.err;
  EXPECT_EQ(bare.out, "");

  auto topic = Vocctl({"tail", "-b", bootstrap_, "-t", "my.own.topic"});
  EXPECT_NE(topic.rc, 0);
  EXPECT_NE(topic.err.find("cannot tell the message type of topic my.own.topic"), std::string::npos) << topic.err;
  EXPECT_NE(topic.err.find("--type"), std::string::npos) << "the sentence says how to fix it: " << topic.err;
  EXPECT_EQ(topic.out, "");
}

TEST_F(VocctlTest, ScorePrintsExactlyOneJsonLinePerInputLine) {
  const std::string input = work_.path() + "/texts.txt";
  const std::vector<std::string> texts = {
      "I love the new design, it looks clean and modern.",
      "",
      "It crashes \"always\"\twith a tab; mail me at jane@example.com",
      "bad bytes \xff\xfe here",
      "Ceci est une application vraiment formidable, merci beaucoup.",
  };
  std::string content;
  for (const auto& t : texts) content += t + "\n";
  WriteFile(input, content);
  for (const bool from_stdin : {false, true}) {
    auto r = from_stdin ? Vocctl({"score"}, input) : Vocctl({"score", "-i", input});
    ASSERT_EQ(r.rc, 0) << r.err;
    auto lines = Lines(r.out);
    ASSERT_EQ(lines.size(), texts.size()) << r.out;
    EXPECT_EQ(r.out.back(), '\n');
    simdjson::dom::parser parser;
    for (size_t i = 0; i < lines.size(); ++i) {
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(lines[i]).get(doc), simdjson::SUCCESS) << lines[i];
      double compound = 2;
      EXPECT_EQ(doc["compound"].get(compound), simdjson::SUCCESS) << lines[i];
      EXPECT_GE(compound, -1);
      EXPECT_LE(compound, 1);
    }
    EXPECT_EQ(lines[2].find("jane@example.com"), std::string::npos) << "score prints the redacted text";
  }
}

// The CSV reader of `vocctl produce` on its own: RFC 4180 records, which are not lines.
using vocctl::CsvReader;

std::vector<std::vector<std::string>> ReadAllCsv(const std::string& text, std::vector<uint64_t>* lines = nullptr,
                                                 std::string* error = nullptr) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  for (;;) {
    const auto r = reader.Read(&fields);
    if (r == CsvReader::Result::kEnd) break;
    if (r == CsvReader::Result::kError) {
      if (error != nullptr) *error = reader.error();
      EXPECT_EQ(reader.Read(&fields), CsvReader::Result::kError) << "an error is sticky";
      break;
    }
    records.push_back(fields);
    if (lines != nullptr) lines->push_back(reader.record_line());
  }
  if (error == nullptr) {
    EXPECT_EQ(reader.bytes_read(), text.size()) << "every byte read";
  }
  return records;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReader, QuotedFieldsHoldCommasDoubledQuotesAndLineBreaks) {
  std::vector<uint64_t> lines;
  const Rows rows = ReadAllCsv(
      "id,comment,nps\r\n"
      "1,\"Slow, but \"\"ok\"\"\",7\r\n"
      "2,\"line one\nline two\r\nline three\",\r\n"
      "\n"
      "3,plain,10",
      &lines);
  EXPECT_EQ(rows, (Rows{{"id", "comment", "nps"},
                        {"1", "Slow, but \"ok\"", "7"},
                        {"2", "line one\nline two\r\nline three", ""},
                        {"3", "plain", "10"}}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 3, 7})) << "the line each record begins on";
}

TEST(CsvReader, EmptyFieldsByteOrderMarkAndQuotesInsideUnquotedFields) {
  EXPECT_EQ(ReadAllCsv("\xEF\xBB\xBF" "a,b,c\n,,\n\"\",x,\n5\" screen,\"\"\"\",\"\"\"x\"\"\"\n"),
            (Rows{{"a", "b", "c"}, {"", "", ""}, {"", "x", ""}, {"5\" screen", "\"", "\"x\""}}));
  EXPECT_EQ(ReadAllCsv(""), Rows{});
  EXPECT_EQ(ReadAllCsv("\n\r\n"), Rows{});
  EXPECT_EQ(ReadAllCsv("a\rb,c\r"), (Rows{{"a\rb", "c"}})) << "a CR that ends no line is text";
}

TEST(CsvReader, UnterminatedQuoteIsAnErrorNamingTheLineItOpensOn) {
  std::string error;
  const Rows rows = ReadAllCsv("id,comment\n1,fine\n2,\"never closed\n3,x\n4,y\n", nullptr, &error);
  EXPECT_EQ(rows, (Rows{{"id", "comment"}, {"1", "fine"}}));
  EXPECT_NE(error.find("line 3"), std::string::npos) << error;
  EXPECT_NE(error.find("never closed"), std::string::npos) << error;

  error.clear();
  ReadAllCsv("id,comment\n1,\"said \"hi\" twice\"\n", nullptr, &error);
  EXPECT_NE(error.find("line 2: text after the closing quote of field 2"), std::string::npos) << error;
}

TEST(CsvReader, RecordsAcrossReadBufferBoundaries) {
  // The reader takes 64 KiB at a time: put a CRLF astride the boundary, and a long quoted
  // field with doubled quotes and line breaks across the next one.
  const std::string first(65536 - 2 - 1, 'x');  // "a\n" + first: its CR is byte 65535, its LF byte 65536
  std::string quoted;
  for (int i = 0; i < 20000; ++i) quoted += "q\"\"\r\n";
  std::string unquoted_value;
  for (int i = 0; i < 20000; ++i) unquoted_value += "q\"\r\n";
  std::vector<uint64_t> lines;
  EXPECT_EQ(ReadAllCsv("a\n" + first + "\r\n\"" + quoted + "\"\r\ny\r\n", &lines),
            (Rows{{"a"}, {first}, {unquoted_value}, {"y"}}));
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 2, 3, 20004}));
}

// A survey export whose comment holds a line break: one record, the break kept, where
// reading line by line made two broken ones (and two dead letters downstream).
TEST_F(VocctlTest, CsvCommentWithALineBreakInQuotesIsOneRecord) {
  const std::string input = work_.path() + "/survey_export.csv";
  WriteFile(input,
            "\xEF\xBB\xBF" "response_id,customer_id,comment,nps\r\n"
            "R-1,cust-1,\"Checkout is slow.\r\nAlso, the \"\"pay\"\" button hides.\",4\r\n"
            "R-2,cust-2,Fine,9\r\n");
  auto p = Produce("csv.surveys", input);
  ASSERT_EQ(p.rc, 0) << p.err;
  auto t = Tail("csv.surveys", {"--type", "raw-survey"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(Sorted(Lines(t.out)),
            (std::vector<std::string>{
                R"({"response_id":"R-1","customer_id":"cust-1","comment":"Checkout is slow.\r\nAlso, the \"pay\" button hides.","nps":4})",
                R"({"response_id":"R-2","customer_id":"cust-2","comment":"Fine","nps":9})"}));
}

TEST_F(VocctlTest, CsvErrorsNameTheLineAndExitNonZero) {
  const std::string unterminated = work_.path() + "/unterminated.csv";
  WriteFile(unterminated, "customer_id,comment\ncust-1,ok\ncust-2,\"never closed\ncust-3,x\n");
  auto u = Produce("csv.errors", unterminated);
  EXPECT_EQ(u.rc, 2);
  EXPECT_NE(u.err.find(unterminated + ", line 3: a quoted field opens here and is never closed"), std::string::npos)
      << u.err;
  EXPECT_EQ(u.out, "");

  const std::string ragged = work_.path() + "/ragged.csv";
  WriteFile(ragged, "customer_id,comment\ncust-1,ok\ncust-2,slow, and broken\n");
  auto r = Produce("csv.errors", ragged);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find(ragged + ", line 3: 3 fields where the header has 2"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

// A mistyped command or flag is named, with exit code 2 (CLI11's own codes were 105-109).
TEST_F(VocctlTest, MistypedCommandOrFlagIsNamedWithExitCodeTwo) {
  auto command = Vocctl({"prodcue", "-b", bootstrap_});
  EXPECT_EQ(command.rc, 2);
  EXPECT_NE(command.err.find("'prodcue' is not a command"), std::string::npos) << command.err;
  auto none = Vocctl({});
  EXPECT_EQ(none.rc, 2);
  EXPECT_NE(none.err.find("name a command (produce, tail"), std::string::npos) << none.err;
  auto flag = Vocctl({"tail", "-b", bootstrap_, "-t", "voc.dlq", "--frm-end"});
  EXPECT_EQ(flag.rc, 2);
  EXPECT_NE(flag.err.find("--frm-end"), std::string::npos) << flag.err;
  auto service = RunBinary(test::ServiceBinary("voc-ingest"), {"--lgo-level", "info"});
  EXPECT_EQ(service.rc, 2);
  EXPECT_NE(service.err.find("--lgo-level"), std::string::npos) << service.err;
}

// CLI11's own wording was "Value abc not in range 1 to 1000000" for a word, and bounds
// with six decimals.
TEST_F(VocctlTest, AValueThatIsNoNumberOrOutOfRangeIsASentenceNamingTheRange) {
  auto word = Vocctl({"gen", "-n", "1", "--customers", "abc"});
  EXPECT_EQ(word.rc, 2);
  EXPECT_NE(word.err.find("vocctl: --customers: 'abc' is not a number; 'vocctl --help'"), std::string::npos) << word.err;
  auto share = Vocctl({"gen", "-n", "1", "--malformed-share", "2"});
  EXPECT_EQ(share.rc, 2);
  EXPECT_NE(share.err.find("--malformed-share: 2 is out of range; it must be between 0 and 1;"), std::string::npos)
      << share.err;
  auto rate = Vocctl({"demo", "--rate", "0.5"});
  EXPECT_EQ(rate.rc, 2);
  EXPECT_NE(rate.err.find("--rate: 0.5 is out of range; it must be between 1 and 1000000;"), std::string::npos)
      << rate.err;
}

TEST_F(VocctlTest, EveryBinaryPrintsItsVersion) {
  for (const std::string& binary : {kVocctl, kBroker, test::ServiceBinary("voc-ingest"),
                                    test::ServiceBinary("voc-enrich"), test::ServiceBinary("voc-aggregate")}) {
    auto r = RunBinary(binary, {"--version"});
    EXPECT_EQ(r.rc, 0) << binary << ": " << r.err;
    const std::string name = binary.substr(binary.rfind('/') + 1);
    EXPECT_EQ(r.out, name + " " VOC_VERSION "\n") << binary;
  }
}

// Before, an unreachable broker froze the bar at 0% for the records' 60 s timeout.
TEST_F(VocctlTest, UnreachableBrokerIsOneSentenceWithinSeconds) {
  const std::string input = work_.path() + "/one.jsonl";
  WriteFile(input, "{\"customer_id\":\"c1\"}\n");
  const std::string nobody = "127.0.0.1:" + std::to_string(metrics::FreePort());
  const auto started = std::chrono::steady_clock::now();
  auto r = Vocctl({"produce", "-b", nobody, "-t", "voc.raw.tickets", "-i", input}, "/dev/null", std::chrono::seconds(40));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_LT(took, std::chrono::seconds(30)) << "it waited for the records to time out";
  EXPECT_EQ(Lines(r.err).size(), 1u) << "one sentence, no librdkafka lines: " << r.err;
  EXPECT_NE(r.err.find("did not answer"), std::string::npos) << r.err;
  auto t = Vocctl({"tail", "-b", nobody, "-t", "voc.dlq"}, "/dev/null", std::chrono::seconds(40));
  EXPECT_EQ(t.rc, 1) << t.err;
  EXPECT_EQ(Lines(t.err).size(), 1u) << t.err;
}

// -X and --config reach the client (kcat's convention): an invalid property is refused
// by librdkafka with its name, and a broker named only in the file is used.
TEST_F(VocctlTest, KafkaPropertiesComeFromDashXAndAConfigFile) {
  const std::string input = work_.path() + "/props.jsonl";
  WriteFile(input, "{\"customer_id\":\"props-1\"}\n");
  auto bad = Vocctl({"produce", "-b", bootstrap_, "-t", "csv.feedback", "-i", input, "-X", "linger.ms=banana"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("linger.ms"), std::string::npos) << bad.err;
  auto malformed = Vocctl({"tail", "-b", bootstrap_, "-t", "voc.dlq", "-X", "linger.ms"});
  EXPECT_EQ(malformed.rc, 2);
  EXPECT_NE(malformed.err.find("-X 'linger.ms' must be key=value"), std::string::npos) << malformed.err;

  const std::string config = work_.path() + "/client.properties";
  WriteFile(config, "# the cluster\nbootstrap.servers=" + bootstrap_ + "\nclient.id = from-file\n");
  auto good = Vocctl({"produce", "--config", config, "-t", "csv.feedback", "-i", input, "--no-progress"});
  EXPECT_EQ(good.rc, 0) << good.err;
  WriteFile(config, "bootstrap.servers=" + bootstrap_ + "\nno equals sign here\n");
  auto wrong = Vocctl({"produce", "--config", config, "-t", "csv.feedback", "-i", input});
  EXPECT_EQ(wrong.rc, 2);
  EXPECT_NE(wrong.err.find("line 2"), std::string::npos) << wrong.err;
}

TEST_F(VocctlTest, TailWithMetaPrintsTopicPartitionOffsetTimestampAndKey) {
  const std::string input = work_.path() + "/meta.jsonl";
  WriteFile(input, "{\"customer_id\":\"meta-1\",\"body\":\"hello\"}\n");
  ASSERT_EQ(Produce("csv.feedback", input).rc, 0);
  auto r = Tail("csv.feedback", {"--type", "raw-ticket", "--with-meta"});
  ASSERT_EQ(r.rc, 0) << r.err;
  bool found = false;
  simdjson::dom::parser parser;
  for (const auto& line : Lines(r.out)) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    std::string_view key;
    if (doc["key"].get(key) != simdjson::SUCCESS || key != "meta-1") continue;
    found = true;
    std::string_view topic, body;
    int64_t partition = -1, offset = -1, timestamp = -1;
    EXPECT_EQ(doc["topic"].get(topic), simdjson::SUCCESS);
    EXPECT_EQ(topic, "csv.feedback");
    EXPECT_EQ(doc["partition"].get(partition), simdjson::SUCCESS);
    EXPECT_EQ(partition, 0);
    EXPECT_EQ(doc["offset"].get(offset), simdjson::SUCCESS);
    EXPECT_GE(offset, 0);
    EXPECT_EQ(doc["timestamp"].get(timestamp), simdjson::SUCCESS) << "the embedded broker keeps timestamps";
    EXPECT_GT(timestamp, 1'700'000'000'000);
    EXPECT_EQ(doc["value"]["body"].get(body), simdjson::SUCCESS) << line;
    EXPECT_EQ(body, "hello");
  }
  EXPECT_TRUE(found) << r.out;
}

// A bar redrawn with carriage returns is for a terminal; a log file or a pipe gets the
// summary line only.
TEST_F(VocctlTest, ProduceDrawsNoProgressBarWhenStderrIsNotATerminal) {
  const std::string input = work_.path() + "/bar.jsonl";
  std::string content;
  for (int i = 0; i < 200; ++i) content += "{\"customer_id\":\"bar-" + std::to_string(i) + "\"}\n";
  WriteFile(input, content);
  auto r = Vocctl({"produce", "-b", bootstrap_, "-t", "csv.feedback", "-i", input});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("200 records acknowledged by the broker"), std::string::npos) << r.err;
}

// --log-format json: one object a line with time, level, service, message and fields,
// librdkafka's own lines included (its client and facility as fields); an unknown level
// is an error, not silence.
TEST_F(VocctlTest, ServicesLogJsonLinesWhenAskedAndRefuseAnUnknownLevel) {
  const std::string nobody = "127.0.0.1:" + std::to_string(metrics::FreePort());
  const std::string log = work_.path() + "/ingest-json.log";
  {
    test::ChildProcess ingest(test::ServiceBinary("voc-ingest"),
                              {"--log-format", "json", "--set", "kafka.bootstrap_servers=" + nobody, "--set",
                               "service.http_listen=127.0.0.1:0"},
                              log);
    ASSERT_TRUE(ingest.Start());
    ASSERT_TRUE(test::WaitFor([&] { return ReadFile(log).find("\"facility\"") != std::string::npos; },
                              std::chrono::seconds(20)))
        << "no librdkafka line: " << ReadFile(log);
    EXPECT_EQ(ingest.Terminate(), 0);
  }
  simdjson::dom::parser parser;
  size_t lines = 0;
  for (const auto& line : Lines(ReadFile(log))) {
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << "not a JSON line: " << line;
    std::string_view time, level, service, message;
    simdjson::dom::object fields;
    EXPECT_EQ(doc["time"].get(time), simdjson::SUCCESS) << line;
    EXPECT_EQ(doc["level"].get(level), simdjson::SUCCESS) << line;
    EXPECT_EQ(doc["service"].get(service), simdjson::SUCCESS) << line;
    EXPECT_EQ(service, "voc-ingest");
    EXPECT_EQ(doc["message"].get(message), simdjson::SUCCESS) << line;
    EXPECT_EQ(doc["fields"].get(fields), simdjson::SUCCESS) << line;
    ++lines;
  }
  EXPECT_GE(lines, 2u);

  auto verbose = RunBinary(test::ServiceBinary("voc-ingest"), {"--log-level", "verbose"});
  EXPECT_EQ(verbose.rc, 2);
  EXPECT_NE(verbose.err.find("log level 'verbose' is not one of"), std::string::npos) << verbose.err;
}

}  // namespace
}  // namespace voc
