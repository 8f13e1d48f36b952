#include "service/attachment_upload.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/attachment_files.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

const std::string kId(16, '\x33');

TEST(UploadLocks, OneHolderAtATime) {
  UploadLocks locks;
  {
    auto first = locks.try_lock(kId);
    ASSERT_TRUE(first);
    EXPECT_FALSE(locks.try_lock(kId));
    EXPECT_TRUE(locks.try_lock(std::string(16, '\x44')));
  }
  EXPECT_TRUE(locks.try_lock(kId));  // let go with its holder
}

TEST(AttachmentUpload, AppendsFromItsOffsetAndCutsBackWhatWouldPassTheSize) {
  ::xchat::testing::TempDir dir("xchat-upload");
  const auto files = store::AttachmentFiles::under(dir.path());
  ASSERT_TRUE(files.create_dir());
  UploadLocks locks;
  {
    auto fd = files.open_for_writing(kId);
    ASSERT_TRUE(fd);
    AttachmentUpload first(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 0);
    ASSERT_TRUE(first.append("0123", 4));
    EXPECT_EQ(first.offset(), 4);
  }
  auto fd = files.open_for_writing(kId);
  ASSERT_TRUE(fd);
  AttachmentUpload second(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 4);
  ASSERT_TRUE(second.append("45", 2));
  const Status past = second.append("6789X", 5);
  EXPECT_EQ(past.code(), ErrorCode::kFileTooLarge);
  EXPECT_EQ(second.offset(), 4);  // this request's bytes are dropped again
  EXPECT_EQ(files.stored_bytes(kId).value(), 4);
  EXPECT_FALSE(locks.try_lock(kId));  // still held by the upload
}

}  // namespace
}  // namespace xchat
