#include "messenger/pending_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/temp_dir.hpp"

namespace xchat::client {
namespace {

using ::xchat::testing::TempDir;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t entries(const TempDir& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  return n;
}

TEST(PendingFile, AppearsOnlyWhenCommittedAndPrivate) {
  TempDir dir("xchat-pending-file");
  const std::string path = dir.file("report.pdf");
  auto file = PendingFile::create(path, false);
  ASSERT_TRUE(file) << file.status().message();
  ASSERT_TRUE((*file)->write("first "));
  ASSERT_TRUE((*file)->write("second"));
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_TRUE((*file)->commit());
  EXPECT_EQ(contents(path), "first second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  file->reset();
  EXPECT_EQ(entries(dir), 1u) << "no temporary file left";
}

TEST(PendingFile, DroppedUncommittedItLeavesNothing) {
  TempDir dir("xchat-pending-file");
  {
    auto file = PendingFile::create(dir.file("secret.txt"), false);
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->write("plaintext that failed verification"));
    EXPECT_EQ(entries(dir), 1u);  // the temporary file
  }
  EXPECT_EQ(entries(dir), 0u);
}

TEST(PendingFile, NeverReplacesAFileUnlessAsked) {
  TempDir dir("xchat-pending-file");
  const std::string path = dir.write("notes.txt", "mine");
  auto refused = PendingFile::create(path, false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.status().message().find("exists already"), std::string::npos);

  // One that appears while the download runs is not replaced either.
  const std::string later = dir.file("later.txt");
  auto file = PendingFile::create(later, false);
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->write("downloaded"));
  dir.write("later.txt", "written meanwhile");
  EXPECT_FALSE((*file)->commit());
  file->reset();
  EXPECT_EQ(contents(later), "written meanwhile");
  EXPECT_EQ(entries(dir), 2u);

  auto replacing = PendingFile::create(path, true);
  ASSERT_TRUE(replacing);
  ASSERT_TRUE((*replacing)->write("theirs"));
  ASSERT_TRUE((*replacing)->commit());
  EXPECT_EQ(contents(path), "theirs");
}

TEST(PendingFile, ADirectoryThatCannotBeWrittenIsAnError) {
  auto file = PendingFile::create("/nonexistent-dir/x", false);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace xchat::client
