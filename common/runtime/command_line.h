// Command-line parsing shared by every vocstream binary's main (CLI11 stays in main files:
// it is slow to compile): --version, and parse errors as one sentence naming what was
// wrong, with exit code 2, instead of CLI11's own codes and wording.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace voc::runtime {

// Adds --version (prints "<name> <version>").
inline void AddVersionFlag(CLI::App& app) { app.set_version_flag("--version", app.get_name() + " " VOC_VERSION); }

// CLI11 2.1's range check says "--rate: Value x not in range 0.000000 to 1797...000000"
// even when x is no number, and spells its bounds with six decimals. This says what was
// wrong in a sentence instead: "--rate: 'x' is not a number", "--share: 2 is out of range;
// it must be between 0 and 1". Other messages pass unchanged. (CLI::PositiveNumber and
// NonNegativeNumber print bounds no sentence can use: give options a CLI::Range.)
inline std::string RangeErrorSentence(const std::string& what) {
  constexpr std::string_view kValue = ": Value ", kRange = " not in range ", kTo = " to ";
  const size_t value_at = what.find(kValue);
  const size_t range_at = what.rfind(kRange);
  const size_t to_at = what.rfind(kTo);
  if (value_at == std::string::npos || range_at == std::string::npos || to_at == std::string::npos ||
      range_at < value_at + kValue.size() || to_at < range_at + kRange.size()) {
    return what;
  }
  const std::string option = what.substr(0, value_at);
  const size_t value_from = value_at + kValue.size(), low_from = range_at + kRange.size();
  const std::string value = what.substr(value_from, range_at - value_from);
  const std::string low = what.substr(low_from, to_at - low_from);
  const std::string high = what.substr(to_at + kTo.size());
  char* end = nullptr;
  std::strtod(value.c_str(), &end);
  if (value.empty() || end == nullptr || *end != '\0') return option + ": '" + value + "' is not a number";
  const auto bound = [](const std::string& text) {
    std::string b = text;
    if (b.find('.') != std::string::npos) {
      while (b.back() == '0') b.pop_back();
      if (b.back() == '.') b.pop_back();
    }
    return b;
  };
  return option + ": " + value + " is out of range; it must be between " + bound(low) + " and " + bound(high);
}

// Parses argv into app. nullopt: go on. Otherwise the exit code: 0 after --help or
// --version, 2 after a mistake (the sentence is on stderr).
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::string name = app.get_name();
    std::string what = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && what.find("subcommand") != std::string::npos) {
      std::string commands;
      for (const CLI::App* sub : app.get_subcommands({})) commands += (commands.empty() ? "" : ", ") + sub->get_name();
      const auto rest = app.remaining();
      what = rest.empty() ? "name a command (" + commands + ")"
                          : "'" + rest.front() + "' is not a command; the commands are " + commands;
    } else if (!what.empty() && what.back() == '.') {
      what.pop_back();
    } else {
      what = RangeErrorSentence(what);
    }
    std::cerr << name << ": " << what << "; '" << name << " --help' lists the commands and options\n";
    return 2;
  }
}

}  // namespace voc::runtime
