// Command-line parsing shared by every vocstream binary's main (CLI11 stays in main files:
// it is slow to compile): --version, and parse errors as one sentence naming what was
// wrong, with exit code 2, instead of CLI11's own codes and wording.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

namespace voc::runtime {

// Adds --version (prints "<name> <version>").
inline void AddVersionFlag(CLI::App& app) { app.set_version_flag("--version", app.get_name() + " " VOC_VERSION); }

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
    }
    std::cerr << name << ": " << what << "; '" << name << " --help' lists the commands and options\n";
    return 2;
  }
}

}  // namespace voc::runtime
