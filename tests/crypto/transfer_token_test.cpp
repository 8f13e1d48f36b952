#include "crypto/transfer_token.hpp"

#include <gtest/gtest.h>

#include "xchat/base64.hpp"
#include "xchat/hex.hpp"

namespace xchat::crypto {
namespace {

using Scope = TransferGrant::Scope;

TransferGrant download_grant() {
  TransferGrant g;
  g.scope = Scope::kDownload;
  g.account_id = 42;
  g.device_id = 7;
  g.expires_at = 1'800'000'000'000;
  g.attachment_id = std::string(16, '\x5a');
  return g;
}

TEST(TransferTokens, AnIssuedTokenVerifiesToItsGrantUntilItExpires) {
  TransferTokens tokens;
  const TransferGrant g = download_grant();
  const std::string token = tokens.issue(g);
  EXPECT_LE(token.size(), 128u);
  auto back = tokens.verify(token, g.expires_at - 1);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(back->scope, Scope::kDownload);
  EXPECT_EQ(back->account_id, 42);
  EXPECT_EQ(back->device_id, 7u);
  EXPECT_EQ(back->expires_at, g.expires_at);
  EXPECT_EQ(back->attachment_id, g.attachment_id);
  EXPECT_EQ(tokens.verify(token, g.expires_at).status().code(), ErrorCode::kUnauthorized);

  TransferGrant up = g;
  up.scope = Scope::kUpload;
  up.attachment_id.clear();
  auto upload = tokens.verify(tokens.issue(up), 0);
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->scope, Scope::kUpload);
  EXPECT_TRUE(upload->attachment_id.empty());
}

TEST(TransferTokens, AnyChangedByteOrAnotherServersKeyIsRefused) {
  TransferTokens tokens;
  const std::string token = tokens.issue(download_grant());
  const std::string bytes = *base64_decode(token);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string changed = bytes;
    changed[i] = static_cast<char>(changed[i] ^ 1);
    EXPECT_EQ(tokens.verify(base64_encode(changed), 0).status().code(), ErrorCode::kUnauthorized)
        << "byte " << i;
  }
  EXPECT_FALSE(tokens.verify(base64_encode(bytes.substr(1)), 0));
  EXPECT_FALSE(tokens.verify("not base64!", 0));
  EXPECT_FALSE(tokens.verify("", 0));
  TransferTokens restarted;  // a new key, as after a restart
  EXPECT_FALSE(restarted.verify(token, 0));
}

TEST(Hex, RoundTripsAndDecodesStrictly) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(hex_encode(bytes), "0001abff");
  EXPECT_EQ(hex_decode("0001abff"), bytes);
  EXPECT_EQ(hex_decode(""), std::string());
  EXPECT_EQ(hex_decode("0001ABFF"), std::nullopt);  // lowercase only
  EXPECT_EQ(hex_decode("abc"), std::nullopt);
  EXPECT_EQ(hex_decode("zz"), std::nullopt);
}

}  // namespace
}  // namespace xchat::crypto
