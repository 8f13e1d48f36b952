#include "crypto/safety_number.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

using testing::TestDevice;

TEST(SafetyNumber, BothSidesSeeTheSameSixtyDigits) {
  const TestDevice alice("alice", 1, 3), bob("bob", 2, 7);
  const std::string ab = safety_number("@alice", alice.sign_public, "@bob", bob.sign_public);
  const std::string ba = safety_number("@bob", bob.sign_public, "@alice", alice.sign_public);
  EXPECT_EQ(ab, ba);
  ASSERT_EQ(ab.size(), 60u);
  EXPECT_TRUE(std::all_of(ab.begin(), ab.end(), [](char c) { return c >= '0' && c <= '9'; }));
  EXPECT_EQ(group_digits(ab).size(), 60u + 11u);
}

TEST(SafetyNumber, ChangesWithEitherKeyOrHandle) {
  const TestDevice alice("alice", 1, 3), bob("bob", 2, 7), mallory("mallory", 1, 1);
  const std::string genuine = safety_number("@alice", alice.sign_public, "@bob", bob.sign_public);
  EXPECT_NE(genuine, safety_number("@alice", alice.sign_public, "@bob", mallory.sign_public));
  EXPECT_NE(genuine, safety_number("@alice", mallory.sign_public, "@bob", bob.sign_public));
  EXPECT_NE(genuine, safety_number("@alice", alice.sign_public, "@bobby", bob.sign_public));
}

TEST(SafetyNumber, TestVector) {
  const TestDevice alice("alice", 1, 3), bob("bob", 2, 7);
  EXPECT_EQ(fingerprint("@alice", alice.sign_public), "832313509288372423283561357663");
  EXPECT_EQ(group_digits(safety_number("@alice", alice.sign_public, "@bob", bob.sign_public)),
            "44661 89846 63490 22863 71585 92210 83231 35092 88372 42328 35613 57663");
}

}  // namespace
}  // namespace xchat::client
