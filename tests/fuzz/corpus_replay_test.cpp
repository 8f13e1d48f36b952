// Replays every seed (tests/fuzz/corpus/<target>/) and every crash ever found
// (tests/fuzz/regressions/<target>/) through its fuzz target. A target aborts when an
// invariant fails, which kills this test; under ASan (scripts/test.sh --sanitize) memory
// errors do the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/targets.hpp"

namespace xchat::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  void (*run)(std::span<const std::uint8_t>);
};

const Target kTargets[] = {
    {"request_dispatch", fuzz_request_dispatch},
    {"attachment_http", fuzz_attachment_http},
    {"config_parser", fuzz_config_parser},
    {"server_data", fuzz_server_data},
};

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(XCHAT_SOURCE_DIR) / "tests/fuzz" / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Runs each file, naming it first so that a crash says which input did it.
std::size_t replay(const Target& target, const std::vector<fs::path>& files) {
  for (const auto& file : files) {
    std::cerr << "replaying " << file.filename().string() << "\n";
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    target.run({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  }
  return files.size();
}

class CorpusReplay : public ::testing::TestWithParam<Target> {};

TEST_P(CorpusReplay, SeedsPass) {
  const auto files = inputs("corpus", GetParam().name);
  // A target without seeds would pass here without testing anything.
  ASSERT_GE(files.size(), 10u) << "tests/fuzz/corpus/" << GetParam().name;
  const auto start = std::chrono::steady_clock::now();
  replay(GetParam(), files);
  std::cout << GetParam().name << ": " << files.size() << " seeds in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";
}

TEST_P(CorpusReplay, RegressionsPass) {
  const auto files = inputs("regressions", GetParam().name);
  replay(GetParam(), files);
  std::cout << GetParam().name << ": " << files.size() << " regressions\n";
}

INSTANTIATE_TEST_SUITE_P(Fuzz, CorpusReplay, ::testing::ValuesIn(kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xchat::fuzz
