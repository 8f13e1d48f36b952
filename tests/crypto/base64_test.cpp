#include "xchat/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xchat {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, encoded] : vectors) {
    EXPECT_EQ(base64_encode(raw), encoded) << raw;
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, raw);
  }
}

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const std::string raw = all.substr(all.size() - len);
    auto decoded = base64_decode(base64_encode(raw));
    ASSERT_TRUE(decoded) << len;
    EXPECT_EQ(*decoded, raw) << len;
  }
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");  // the standard alphabet
}

TEST(Base64, EmptyDecodesToEmpty) {
  auto decoded = base64_decode("");
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST(Base64, RejectsMissingPadding) {
  EXPECT_FALSE(base64_decode("Zg"));
  EXPECT_FALSE(base64_decode("Zg="));
  EXPECT_FALSE(base64_decode("Zm8"));
}

TEST(Base64, RejectsWhitespace) {
  EXPECT_FALSE(base64_decode("Zm9v Ym Fy"));
  EXPECT_FALSE(base64_decode("Zm9v\nYmFy"));
  EXPECT_FALSE(base64_decode(" Zm9vYmFy   "));
  EXPECT_FALSE(base64_decode("Zm9vYmFy\r\n"));
  EXPECT_FALSE(base64_decode("Zg==\t"));
}

TEST(Base64, RejectsTheUrlSafeAlphabet) {
  EXPECT_FALSE(base64_decode("-_8="));
  EXPECT_TRUE(base64_decode("+/8="));
}

TEST(Base64, RejectsTrailingGarbageAndBadPadding) {
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // data after padding
  EXPECT_FALSE(base64_decode("Zg==AAAA"));
  EXPECT_FALSE(base64_decode("Zm9vYmFy!"));
  EXPECT_FALSE(base64_decode("Zm9vYmF!"));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zm=v"));
  EXPECT_FALSE(base64_decode(std::string("Zm9v\0\0\0\0", 8)));
}

TEST(Base64, RejectsNonZeroPaddingBits) {
  // "Zh==" carries bits that "Zg==" leaves zero: only one encoding per byte string.
  EXPECT_FALSE(base64_decode("Zh=="));
  EXPECT_FALSE(base64_decode("Zm9="));
}

}  // namespace
}  // namespace xchat
