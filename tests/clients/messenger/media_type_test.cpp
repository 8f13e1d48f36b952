#include "messenger/media_type.hpp"

#include <gtest/gtest.h>

namespace xchat::client {
namespace {

TEST(MediaType, GuessesFromTheExtensionInAnyCase) {
  EXPECT_EQ(media_type_for("holiday.jpg"), "image/jpeg");
  EXPECT_EQ(media_type_for("HOLIDAY.JPEG"), "image/jpeg");
  EXPECT_EQ(media_type_for("report.final.pdf"), "application/pdf");
  EXPECT_EQ(media_type_for("notes.txt"), "text/plain");
  EXPECT_EQ(media_type_for("a.zip"), "application/zip");
  EXPECT_EQ(media_type_for("7z.7z"), "application/x-7z-compressed");
}

TEST(MediaType, DefaultsToOctetStream) {
  EXPECT_EQ(media_type_for("README"), "application/octet-stream");
  EXPECT_EQ(media_type_for(".bashrc"), "application/octet-stream");
  EXPECT_EQ(media_type_for("archive.unknownext"), "application/octet-stream");
  EXPECT_EQ(media_type_for("trailing."), "application/octet-stream");
  EXPECT_EQ(media_type_for(""), "application/octet-stream");
}

}  // namespace
}  // namespace xchat::client
