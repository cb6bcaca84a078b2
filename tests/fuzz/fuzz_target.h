// What every fuzz target shares: the VOC_FUZZ_TARGET macro, contract checks that name
// what broke, and splitting an input into records (processor.h adds what the targets
// that run a processor share).
//
// A target is written once and built twice: as a libFuzzer binary (compiled with
// VOC_FUZZ_MAIN, when VOC_BUILD_FUZZERS is on, with clang) and into fuzz_regression_test,
// which replays every seed and every saved crash input through each target in the normal
// test suite (GCC included), so a decoder that breaks its contract fails CI either way.
#pragma once

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/utf8.h"

namespace voc::fuzz {

using TargetFunction = int (*)(const uint8_t* data, size_t size);

// protobuf writes a line to stderr for every string field that is not UTF-8; a fuzzer
// makes millions of those. Silenced for the whole process.
inline const bool kProtobufLogSilenced = (google::protobuf::SetLogHandler(nullptr), true);

// Every target linked into this binary, by name (fuzz_regression_test links them all).
inline std::map<std::string, TargetFunction>& Targets() {
  static std::map<std::string, TargetFunction> targets;
  return targets;
}

struct Registrar {
  Registrar(const char* name, TargetFunction fn) { Targets()[name] = fn; }
};

// A broken contract: one line that says which and why, then abort(), which libFuzzer
// reports as a crash (the input saved) and the regression test as a failed test.
[[noreturn]] inline void Fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "\nFUZZ CONTRACT BROKEN at %s:%d: %s\n", file, line, what.c_str());
  std::fflush(stderr);
  std::abort();
}

#define VOC_FUZZ_EXPECT(cond, what)                                 \
  do {                                                              \
    if (!(cond)) ::voc::fuzz::Fail(__FILE__, __LINE__, (what));     \
  } while (0)

// Strict UTF-8, what a proto3 string must hold for every consumer to parse it.
using voc::IsValidUtf8;

// A quoted, printable excerpt of bytes for a failure message.
inline std::string Excerpt(std::string_view s, size_t max = 120) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + (s.size() > max ? "\"..." : "\"");
}

}  // namespace voc::fuzz

// VOC_FUZZ_TARGET(name) { ... } defines a target's body over (data, size). Built with
// VOC_FUZZ_MAIN it is the binary's LLVMFuzzerTestOneInput; otherwise it registers itself
// in Targets() for the regression test.
#ifdef VOC_FUZZ_MAIN
#define VOC_FUZZ_TARGET(name)                                                           \
  static int VocFuzzTarget_##name(const uint8_t* data, size_t size);                    \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {             \
    return VocFuzzTarget_##name(data, size);                                            \
  }                                                                                     \
  static int VocFuzzTarget_##name(const uint8_t* data, size_t size)
#else
#define VOC_FUZZ_TARGET(name)                                                           \
  static int VocFuzzTarget_##name(const uint8_t* data, size_t size);                    \
  static const ::voc::fuzz::Registrar voc_fuzz_registrar_##name(#name, &VocFuzzTarget_##name); \
  static int VocFuzzTarget_##name(const uint8_t* data, size_t size)
#endif

namespace voc::fuzz {

// Targets that take a sequence of records split their input at this token (its bytes can
// start no valid protobuf field, and the dictionaries hold it, so mutations insert it).
inline constexpr std::string_view kRecordSeparator = "\xFF\xFFNEXT";

// The records of a multi-record input, at most max of them (the rest stays in the last).
inline std::vector<std::string_view> SplitRecords(std::string_view payload, size_t max) {
  std::vector<std::string_view> records;
  while (records.size() + 1 < max) {
    const size_t at = payload.find(kRecordSeparator);
    if (at == std::string_view::npos) break;
    records.push_back(payload.substr(0, at));
    payload.remove_prefix(at + kRecordSeparator.size());
  }
  records.push_back(payload);
  return records;
}

}  // namespace voc::fuzz
