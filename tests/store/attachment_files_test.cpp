#include "store/attachment_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.hpp"
#include "xchat/hex.hpp"

namespace xchat::store {
namespace {

const std::string kId(16, '\x11');

TEST(AttachmentFiles, AFileIsNamedByItsIdAndMeasuredByItsBytes) {
  ::xchat::testing::TempDir dir("xchat-files");
  const auto files = AttachmentFiles::under(dir.path());
  ASSERT_TRUE(files.create_dir());
  ASSERT_TRUE(files.create_dir());  // again: already there
  EXPECT_EQ(files.path(kId), dir.path() + "/attachments/" + hex_encode(kId));
  EXPECT_EQ(files.stored_bytes(kId).value(), 0);  // nothing written yet
  EXPECT_EQ(files.open_for_reading(kId).status().code(), ErrorCode::kNotFound);
  {
    auto fd = files.open_for_writing(kId);
    ASSERT_TRUE(fd);
    ASSERT_EQ(::pwrite(fd->get(), "abc", 3, 0), 3);
  }
  EXPECT_EQ(files.stored_bytes(kId).value(), 3);
  EXPECT_TRUE(files.make_durable(kId));
  EXPECT_TRUE(files.remove(kId));
  EXPECT_TRUE(files.remove(kId));  // gone already: fine
  EXPECT_FALSE(std::filesystem::exists(files.path(kId)));
}

TEST(AttachmentFiles, MakingAnEmptyAttachmentDurableCreatesItsFile) {
  ::xchat::testing::TempDir dir("xchat-files");
  const auto files = AttachmentFiles::under(dir.path());
  ASSERT_TRUE(files.create_dir());
  ASSERT_TRUE(files.make_durable(kId));
  EXPECT_TRUE(files.open_for_reading(kId));
}

TEST(AttachmentFiles, FilesOfNoKnownAttachmentAreRemoved) {
  ::xchat::testing::TempDir dir("xchat-files");
  const auto files = AttachmentFiles::under(dir.path());
  ASSERT_TRUE(files.create_dir());
  const std::string other(16, '\x22');
  for (const auto& id : {kId, other}) ASSERT_TRUE(files.open_for_writing(id));
  dir.write("attachments/not-an-id", "x");
  auto removed =
      files.remove_unknown([&](std::string_view id) -> Result<bool> { return id == kId; });
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(std::filesystem::exists(files.path(kId)));
  EXPECT_FALSE(std::filesystem::exists(files.path(other)));
}

}  // namespace
}  // namespace xchat::store
