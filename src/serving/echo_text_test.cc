#include "serving/echo_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tfmodel::serving {
namespace {

TEST(EchoTextTest, ShortTextIsKeptLongTextIsCutOnACharacter) {
  EXPECT_EQ(EchoText("model_a"), "model_a");
  EXPECT_EQ(EchoText(std::string(kMaxEchoBytes, 'a')), std::string(kMaxEchoBytes, 'a'));
  EXPECT_EQ(EchoText(std::string(kMaxEchoBytes + 1, 'a')), std::string(kMaxEchoBytes, 'a') + "...");
  EXPECT_EQ(EchoText("abcdef", 3), "abc...");
  // "é" is two bytes: a cut after 3 bytes keeps "aé", one after 2 bytes keeps "a".
  EXPECT_EQ(EchoText("a\xc3\xa9\xc3\xa9", 3), "a\xc3\xa9...");
  EXPECT_EQ(EchoText("a\xc3\xa9\xc3\xa9", 2), "a...");
  // A 4-byte character (U+1F600).
  EXPECT_EQ(EchoText("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 5), "\xf0\x9f\x98\x80...");
  EXPECT_EQ(EchoText("\xf0\x9f\x98\x80xyz", 3), "...");
  EXPECT_EQ(Utf8PrefixLength("abc", 10), 3u);
}

TEST(EchoTextTest, LongMessagesKeepHeadAndTail) {
  EXPECT_EQ(BoundErrorMessage("short"), "short");
  const std::string msg =
      "head:" + std::string(20000, 'x') + "\xc3\xa9" + std::string(50, 'y') + ":tail";
  const std::string b = BoundErrorMessage(msg);
  EXPECT_LE(b.size(), kMaxErrorMessageBytes);
  EXPECT_EQ(b.rfind("head:", 0), 0u);
  EXPECT_EQ(b.substr(b.size() - 5), ":tail");
  EXPECT_THAT(b, ::testing::HasSubstr("xxx ... "));
  EXPECT_THAT(b, ::testing::HasSubstr("\xc3\xa9yyy"));
  const absl::Status s = BoundErrorMessage(absl::NotFoundError(msg));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), b);
  const absl::Status ok = BoundErrorMessage(absl::OkStatus());
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace tfmodel::serving
