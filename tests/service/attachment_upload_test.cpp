#include "service/attachment_upload.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "store/attachment_files.hpp"
#include "store/free_space_gate.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

const std::string kId(16, '\x33');

using namespace std::chrono_literals;

// The real filesystem of `dir`, with a reserve of `min_free_bytes`.
std::unique_ptr<store::FreeSpaceGate> gate_on(const std::string& dir, std::int64_t min_free_bytes) {
  return std::make_unique<store::FreeSpaceGate>(min_free_bytes, 0ms,
                                                store::FreeSpaceGate::statvfs_probe(dir), nullptr);
}

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
  auto gate = gate_on(dir.path(), 0);
  {
    auto fd = files.open_for_writing(kId);
    ASSERT_TRUE(fd);
    AttachmentUpload first(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 0, *gate);
    ASSERT_TRUE(first.append("0123", 4));
    EXPECT_EQ(first.offset(), 4);
  }
  auto fd = files.open_for_writing(kId);
  ASSERT_TRUE(fd);
  AttachmentUpload second(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 4, *gate);
  ASSERT_TRUE(second.append("45", 2));
  const Status past = second.append("6789X", 5);
  EXPECT_EQ(past.code(), ErrorCode::kFileTooLarge);
  EXPECT_EQ(second.offset(), 4);  // this request's bytes are dropped again
  EXPECT_EQ(files.stored_bytes(kId).value(), 4);
  EXPECT_FALSE(locks.try_lock(kId));  // still held by the upload
}

TEST(AttachmentUpload, RefusesBytesWhileTheDiskIsUnderItsReserveAndKeepsWhatItHas) {
  ::xchat::testing::TempDir dir("xchat-upload");
  const auto files = store::AttachmentFiles::under(dir.path());
  ASSERT_TRUE(files.create_dir());
  UploadLocks locks;
  {
    auto roomy = gate_on(dir.path(), 0);
    auto fd = files.open_for_writing(kId);
    ASSERT_TRUE(fd);
    AttachmentUpload first(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 0, *roomy);
    ASSERT_TRUE(first.append("0123", 4));
  }
  auto full = gate_on(dir.path(), std::int64_t{1} << 60);  // more than any disk has
  auto fd = files.open_for_writing(kId);
  ASSERT_TRUE(fd);
  AttachmentUpload second(std::move(*locks.try_lock(kId)), std::move(*fd), 10, 4, *full);
  const Status refused = second.append("45", 2);
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
  EXPECT_EQ(second.offset(), 4);
  EXPECT_EQ(files.stored_bytes(kId).value(), 4);  // what came before stays, to resume from
}

}  // namespace
}  // namespace xchat
