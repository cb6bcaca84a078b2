// Test driver: `vocctl score` on stdin/stdout with the default data files.
#include <iostream>

#include "tools/vocctl/score.h"

int main() {
  std::ios::sync_with_stdio(false);
  return voc::vocctl::RunScore(std::cin, std::cout, voc::text::AnalyzerOptions{}, std::cerr);
}
