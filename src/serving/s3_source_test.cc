#include "serving/s3_source.h"

#include "gtest/gtest.h"

namespace tfmodel::serving {
namespace {

TEST(S3SourceTest, ParsesS3Urls) {
  auto u = ParseS3Url("s3://my-bucket/models/half_plus_two/");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->bucket, "my-bucket");
  EXPECT_EQ(u->prefix, "models/half_plus_two");
  u = ParseS3Url("s3://bucket");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->bucket, "bucket");
  EXPECT_EQ(u->prefix, "");
  EXPECT_TRUE(IsS3Path("s3://b/p"));
  EXPECT_FALSE(IsS3Path("/models/s3://x"));
  EXPECT_FALSE(ParseS3Url("/local/path").ok());
  EXPECT_FALSE(ParseS3Url("s3://").ok());
  EXPECT_FALSE(ParseS3Url("s3://ab/m").ok());  // bucket names have 3+ characters
  EXPECT_FALSE(ParseS3Url("s3://bucket:x/m").ok());
  auto escape = ParseS3Url("s3://bucket/m/../../etc");
  EXPECT_EQ(escape.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(escape.status().message().find("'..'"), absl::string_view::npos);
  EXPECT_FALSE(ParseS3Url("s3://bucket/a//b").ok());
}

TEST(S3SourceTest, VersionFolders) {
  EXPECT_EQ(S3VersionOfPrefix("m/00000123/", "m/"), 123);
  EXPECT_EQ(S3VersionOfPrefix("2/", ""), 2);
  EXPECT_EQ(S3VersionOfPrefix("m/0/", "m/"), 0);
  EXPECT_EQ(S3VersionOfPrefix("m/v1/", "m/"), -1);
  EXPECT_EQ(S3VersionOfPrefix("m/-1/", "m/"), -1);
  EXPECT_EQ(S3VersionOfPrefix("m/99999999999999999999/", "m/"), -1);  // not an int64
  EXPECT_EQ(S3VersionOfPrefix("other/1/", "m/"), -1);
  EXPECT_EQ(S3VersionOfPrefix("m/", "m/"), -1);
}

TEST(S3SourceTest, RelativePathsStayInsideTheVersionFolder) {
  EXPECT_EQ(*S3RelativePath("m/1/saved_model.pb", "m/1/"), "saved_model.pb");
  EXPECT_EQ(*S3RelativePath("m/1/variables/variables.index", "m/1/"), "variables/variables.index");
  EXPECT_EQ(*S3RelativePath("m/1/variables/", "m/1/"), "");  // folder marker
  EXPECT_FALSE(S3RelativePath("m/1/../../x", "m/1/").ok());
  EXPECT_FALSE(S3RelativePath("m/1/a//b", "m/1/").ok());
  EXPECT_FALSE(S3RelativePath("m/2/x", "m/1/").ok());
}

}  // namespace
}  // namespace tfmodel::serving
