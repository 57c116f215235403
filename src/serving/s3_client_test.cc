#include "serving/s3_client.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/file_util.h"
#include "gtest/gtest.h"

namespace tfmodel::serving {
namespace {

// A ListObjectsV2 page as AWS documents it (delimiter "/": folders in CommonPrefixes).
constexpr char kListPage[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>models</Name>
  <Prefix>m/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>m/README &amp; notes.txt</Key>
    <LastModified>2026-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents><Key>m/big.bin</Key><ETag>"0123456789abcdef0123456789abcdef-3"</ETag><Size>26214400</Size></Contents>
  <CommonPrefixes><Prefix>m/00000123/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>m/2/</Prefix></CommonPrefixes>
</ListBucketResult>)";

TEST(S3XmlTest, ParsesListObjectsV2Page) {
  auto page = ParseListObjectsV2(kListPage);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "m/README & notes.txt");
  EXPECT_EQ(page->objects[0].size, 0u);
  EXPECT_EQ(page->objects[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(page->objects[1].key, "m/big.bin");
  EXPECT_EQ(page->objects[1].size, 26214400u);
  EXPECT_EQ(page->objects[1].etag, "0123456789abcdef0123456789abcdef-3");
  ASSERT_EQ(page->common_prefixes.size(), 2u);
  EXPECT_EQ(page->common_prefixes[0], "m/00000123/");
  EXPECT_EQ(page->common_prefixes[1], "m/2/");
}

TEST(S3XmlTest, LastPageAndEmptyListing) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><Prefix/><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->truncated);
  EXPECT_TRUE(page->objects.empty());
  EXPECT_TRUE(page->common_prefixes.empty());
}

TEST(S3XmlTest, MalformedListingsAreErrors) {
  EXPECT_EQ(ParseListObjectsV2("<html>proxy error</html>").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseListObjectsV2("<ListBucketResult><Contents><Key>a</Key>").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto no_size = ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>");
  EXPECT_EQ(no_size.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_size.status().message().find("'a'"), absl::string_view::npos);
  // Truncated without a token would loop forever.
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>")
          .ok());
  EXPECT_FALSE(
      ParseListObjectsV2("<ListBucketResult><Contents><Key>a&bogus;</Key><Size>1</Size></Contents>"
                         "</ListBucketResult>")
          .ok());
}

TEST(S3XmlTest, Unescape) {
  EXPECT_EQ(*XmlUnescape("a&lt;b&gt;&amp;&quot;&apos;"), "a<b>&\"'");
  EXPECT_EQ(*XmlUnescape("&#65;&#x42;&#xe9;"), "AB\xC3\xA9");
  EXPECT_FALSE(XmlUnescape("&#0;").ok());
  EXPECT_FALSE(XmlUnescape("&#xD800;").ok());
  EXPECT_FALSE(XmlUnescape("a & b").ok());
  EXPECT_FALSE(XmlUnescape("&nbsp;").ok());
}

TEST(S3XmlTest, ParsesErrorBody) {
  S3ErrorBody e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket "
      "does not exist</Message><BucketName>x</BucketName></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  EXPECT_EQ(ParseS3Error("").code, "");
}

TEST(S3UrlTest, UriEncoding) {
  EXPECT_EQ(S3UriEncode("a b/c~d_e-f.g+h=&?", true), "a%20b/c~d_e-f.g%2Bh%3D%26%3F");
  EXPECT_EQ(S3UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(S3UriEncode("\xC3\xA9", true), "%C3%A9");
}

TEST(S3UrlTest, PathStyleAndVirtualHostUrls) {
  S3Config c;
  c.endpoint = "http://127.0.0.1:9000";
  EXPECT_EQ(S3ObjectUrl(c, "models", "m/1/saved model.pb"),
            "http://127.0.0.1:9000/models/m/1/saved%20model.pb");
  // Sorted, encoded query (SigV4's canonical form).
  EXPECT_EQ(S3ListUrl(c, "models", "m/", "/", ""),
            "http://127.0.0.1:9000/models/?delimiter=%2F&list-type=2&prefix=m%2F");
  EXPECT_EQ(S3ListUrl(c, "models", "", "", "a+b/c="),
            "http://127.0.0.1:9000/models/?continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=");
  c.endpoint = "https://s3.eu-west-1.amazonaws.com";
  c.virtual_host = true;
  EXPECT_EQ(S3ObjectUrl(c, "models", "k"), "https://models.s3.eu-west-1.amazonaws.com/k");
}

TEST(S3ErrorTest, MapsStatusesToClearErrors) {
  S3Config c;
  c.endpoint = "http://localhost:1";
  c.access_key_id = "AKIDEXAMPLE";
  c.credentials_source = "AWS_ACCESS_KEY_ID";
  auto denied = S3ErrorToStatus(403, {"InvalidAccessKeyId", "The key does not exist"},
                                "listing s3://b/m/", c);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("access denied"), absl::string_view::npos) << denied;
  EXPECT_NE(denied.message().find("InvalidAccessKeyId"), absl::string_view::npos);
  EXPECT_NE(denied.message().find("AKIDEXAMPLE"), absl::string_view::npos);
  EXPECT_NE(denied.message().find("s3://b/m/"), absl::string_view::npos);
  c.access_key_id.clear();
  EXPECT_NE(S3ErrorToStatus(403, {"AccessDenied", ""}, "x", c).message().find("anonymous"),
            absl::string_view::npos);
  auto bucket = S3ErrorToStatus(404, {"NoSuchBucket", "nope"}, "listing s3://b/", c);
  EXPECT_EQ(bucket.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(bucket.message().find("bucket does not exist"), absl::string_view::npos);
  EXPECT_EQ(S3ErrorToStatus(404, {"NoSuchKey", ""}, "x", c).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(S3ErrorToStatus(301, {"PermanentRedirect", ""}, "x", c).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(S3ErrorToStatus(503, {"SlowDown", ""}, "x", c).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(S3ErrorToStatus(400, {"InvalidArgument", ""}, "x", c).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(S3ErrorTest, Retryable) {
  EXPECT_TRUE(S3Retryable(500, ""));
  EXPECT_TRUE(S3Retryable(503, "SlowDown"));
  EXPECT_TRUE(S3Retryable(429, ""));
  EXPECT_TRUE(S3Retryable(400, "RequestTimeout"));
  EXPECT_FALSE(S3Retryable(403, "AccessDenied"));
  EXPECT_FALSE(S3Retryable(404, "NoSuchBucket"));
}

TEST(S3ConfigTest, FromEnvironment) {
  std::map<std::string, std::string> env = {{"S3_ENDPOINT", "localhost:9000"},
                                            {"S3_USE_HTTPS", "0"},
                                            {"S3_VERIFY_SSL", "0"},
                                            {"AWS_REGION", "eu-west-1"},
                                            {"AWS_ACCESS_KEY_ID", "AK"},
                                            {"AWS_SECRET_ACCESS_KEY", "SK"},
                                            {"AWS_SESSION_TOKEN", "TOK"},
                                            {"HOME", "/nonexistent"}};
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = S3ConfigFromEnv(lookup);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->endpoint, "http://localhost:9000");
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_FALSE(c->verify_ssl);
  EXPECT_EQ(c->access_key_id, "AK");
  EXPECT_EQ(c->secret_access_key, "SK");
  EXPECT_EQ(c->session_token, "TOK");

  env = {{"AWS_ENDPOINT_URL", "https://minio.example:9000/"}, {"HOME", "/nonexistent"}};
  c = S3ConfigFromEnv(lookup);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->endpoint, "https://minio.example:9000");
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_TRUE(c->access_key_id.empty());  // anonymous

  env = {{"AWS_REGION", "ap-south-1"}, {"HOME", "/nonexistent"}};
  EXPECT_EQ(S3ConfigFromEnv(lookup)->endpoint, "https://s3.ap-south-1.amazonaws.com");

  env = {{"AWS_ACCESS_KEY_ID", "AK"}, {"HOME", "/nonexistent"}};
  EXPECT_EQ(S3ConfigFromEnv(lookup).status().code(), absl::StatusCode::kInvalidArgument);
  env = {{"S3_CONNECT_TIMEOUT_MSEC", "soon"}, {"HOME", "/nonexistent"}};
  EXPECT_EQ(S3ConfigFromEnv(lookup).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(S3ConfigTest, ProfilesFromAwsFiles) {
  const std::string dir = JoinPath(testing::TempDir(), "s3_config_profiles");
  std::filesystem::create_directories(JoinPath(dir, ".aws"));
  std::ofstream(JoinPath(dir, ".aws/credentials"))
      << "[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFSECRET\n\n"
      << "# comment\n[ci]\naws_access_key_id=CI\naws_secret_access_key=CISECRET\n"
      << "aws_session_token = CITOKEN\n";
  std::ofstream(JoinPath(dir, ".aws/config")) << "[profile ci]\nregion = us-west-2\n";
  std::map<std::string, std::string> env = {{"HOME", dir}};
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = S3ConfigFromEnv(lookup);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "DEF");
  EXPECT_EQ(c->secret_access_key, "DEFSECRET");
  EXPECT_EQ(c->region, "us-east-1");
  env["AWS_PROFILE"] = "ci";
  c = S3ConfigFromEnv(lookup);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CI");
  EXPECT_EQ(c->session_token, "CITOKEN");
  EXPECT_EQ(c->region, "us-west-2");
  EXPECT_NE(c->credentials_source.find("profile ci"), std::string::npos);
  env["AWS_PROFILE"] = "missing";
  auto missing = S3ConfigFromEnv(lookup);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("[missing]"), absl::string_view::npos);
}

TEST(S3ClientTest, FileMatchesChecksSizeAndMd5Etag) {
  const std::string path = JoinPath(testing::TempDir(), "s3_file_matches.txt");
  ASSERT_TRUE(WriteStringToFile(path, "hello").ok());
  S3Object o{"k", 5, "5d41402abc4b2a76b9719d911017c592"};  // MD5 of "hello"
  EXPECT_TRUE(S3Client::FileMatches(path, o));
  o.size = 6;
  EXPECT_FALSE(S3Client::FileMatches(path, o));
  o.size = 5;
  o.etag = "5d41402abc4b2a76b9719d911017c593";
  EXPECT_FALSE(S3Client::FileMatches(path, o));
  o.etag = "5d41402abc4b2a76b9719d911017c592-2";  // multipart: cannot be checked
  EXPECT_FALSE(S3Client::FileMatches(path, o));
  o.etag = "5d41402abc4b2a76b9719d911017c592";
  EXPECT_FALSE(S3Client::FileMatches(path + ".missing", o));
}

}  // namespace
}  // namespace tfmodel::serving
