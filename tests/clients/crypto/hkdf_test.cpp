#include "crypto/hkdf.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

using testing::to_hex;

std::string from_hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                 nullptr, nullptr, nullptr);
  return out;
}

// RFC 5869, appendix A: test cases 1, 2 and 3 (SHA-256).
TEST(Hkdf, Rfc5869Vectors) {
  EXPECT_EQ(to_hex(hkdf_sha256(from_hex("000102030405060708090a0b0c"),
                               from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                               from_hex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");

  std::string ikm, salt, info;
  for (int i = 0x00; i <= 0x4f; ++i) ikm.push_back(static_cast<char>(i));
  for (int i = 0x60; i <= 0xaf; ++i) salt.push_back(static_cast<char>(i));
  for (int i = 0xb0; i <= 0xff; ++i) info.push_back(static_cast<char>(i));
  EXPECT_EQ(to_hex(hkdf_sha256(salt, ikm, info, 82)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb4"
            "1c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");

  EXPECT_EQ(
      to_hex(hkdf_sha256({}, from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), {}, 42)),
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace xchat::client
