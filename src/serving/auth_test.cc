#include "serving/auth.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tfmodel::serving {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

std::string Basic(const std::string& user_password) {
  return "Basic " + absl::Base64Escape(user_password);
}

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = JoinPath(testing::TempDir(), absl::StrCat(getpid(), "_", name));
  EXPECT_TRUE(WriteStringToFile(path, text).ok());
  return path;
}

TEST(AuthParse, TokensSkipBlankLinesAndComments) {
  auto d = ParseAuthTokenFile("# ops team\n\n  tok-1  \r\n#tok-2\n tok_3\n", "t.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0], AuthSha256("tok-1"));
  EXPECT_EQ((*d)[1], AuthSha256("tok_3"));
}

TEST(AuthParse, TokenErrorsNameFileAndLineButNotTheToken) {
  auto d = ParseAuthTokenFile("good\nsecret part\n", "/etc/t.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("/etc/t.txt line 2"));
  EXPECT_THAT(d.status().message(), Not(HasSubstr("secret")));
  d = ParseAuthTokenFile("bad\x01token\n", "t");
  EXPECT_FALSE(d.ok());
  d = ParseAuthTokenFile("# only a comment\n\n", "/etc/t.txt");
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("/etc/t.txt has no tokens"));
  EXPECT_FALSE(ParseAuthTokenFile("", "t").ok());
}

TEST(AuthParse, BasicLines) {
  // The password may hold ':' and spaces; the digest is of "user:password".
  auto d = ParseAuthBasicFile("alice:wonder land\n# bob:x\nbob:a:b\n", "b.txt");
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0], AuthSha256("alice:wonder land"));
  EXPECT_EQ((*d)[1], AuthSha256("bob:a:b"));
  for (const char* bad : {"alice\n", ":pw\n", "alice:\n",
                          "al\x7f"
                          "ce:pw\n"}) {
    auto e = ParseAuthBasicFile(absl::StrCat("ok:ok\n", bad), "/b.txt");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("/b.txt line 2"));
  }
  EXPECT_THAT(ParseAuthBasicFile("\n", "/b.txt").status().message(),
              HasSubstr("/b.txt has no user:password lines"));
}

TEST(AuthDigest, MatchesAnyEntry) {
  std::vector<AuthDigest> set = {AuthSha256("a"), AuthSha256("b"), AuthSha256("c")};
  EXPECT_TRUE(AuthDigestIn(AuthSha256("a"), set));
  EXPECT_TRUE(AuthDigestIn(AuthSha256("c"), set));
  EXPECT_FALSE(AuthDigestIn(AuthSha256("d"), set));
  EXPECT_FALSE(AuthDigestIn(AuthSha256("a"), {}));
  // Known SHA-256 of "abc" (FIPS 180-2 example): ba7816bf...
  EXPECT_EQ(AuthSha256("abc")[0], 0xba);
  EXPECT_EQ(AuthSha256("abc")[31], 0xad);
}

AuthOptions NoWatch(const std::string& tokens, const std::string& basic) {
  AuthOptions o;
  o.token_file = tokens;
  o.basic_file = basic;
  o.reload_interval = absl::ZeroDuration();
  return o;
}

TEST(Authenticator, BearerAndBasic) {
  auto a = Authenticator::Create(
      NoWatch(TempFile("t1", "tok-1\ntok-2\n"), TempFile("b1", "alice:pw1\n")));
  ASSERT_TRUE(a.ok()) << a.status();
  const Authenticator& auth = **a;
  EXPECT_EQ(auth.Check("Bearer tok-1"), AuthResult::kOk);
  EXPECT_EQ(auth.Check("bearer   tok-2 "), AuthResult::kOk);  // scheme is case-insensitive
  EXPECT_EQ(auth.Check("Bearer tok-3"), AuthResult::kDenied);
  EXPECT_EQ(auth.Check("Bearer tok-"), AuthResult::kDenied);
  EXPECT_EQ(auth.Check("Bearer"), AuthResult::kDenied);
  EXPECT_EQ(auth.Check(""), AuthResult::kMissing);
  EXPECT_EQ(auth.Check("   "), AuthResult::kMissing);
  EXPECT_EQ(auth.Check("tok-1"), AuthResult::kUnsupportedScheme);
  EXPECT_EQ(auth.Check("Digest x"), AuthResult::kUnsupportedScheme);
  EXPECT_EQ(auth.Check(Basic("alice:pw1")), AuthResult::kOk);
  EXPECT_EQ(auth.Check(Basic("alice:pw2")), AuthResult::kDenied);
  EXPECT_EQ(auth.Check(Basic("bob:pw1")), AuthResult::kDenied);
  EXPECT_EQ(auth.Check("Basic !!!"), AuthResult::kMalformed);
  EXPECT_EQ(auth.Check(Basic("no-colon")), AuthResult::kMalformed);
  // A token is not a password, nor the other way round.
  EXPECT_EQ(auth.Check(Basic("tok-1:x")), AuthResult::kDenied);
  EXPECT_EQ(auth.Check("Bearer alice:pw1"), AuthResult::kDenied);
}

TEST(Authenticator, OnlyConfiguredSchemes) {
  auto a = Authenticator::Create(NoWatch(TempFile("t2", "tok\n"), ""));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->Check(Basic("tok:tok")), AuthResult::kUnsupportedScheme);
  EXPECT_THAT((*a)->Explain(AuthResult::kMissing), HasSubstr("(Bearer)"));
  auto b = Authenticator::Create(NoWatch("", TempFile("b2", "u:p\n")));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)->Check("Bearer u:p"), AuthResult::kUnsupportedScheme);
  EXPECT_EQ((*b)->Check(Basic("u:p")), AuthResult::kOk);
}

TEST(Authenticator, StartupErrorsNameTheFile) {
  const std::string missing = JoinPath(testing::TempDir(), "no_such_tokens.txt");
  auto a = Authenticator::Create(NoWatch(missing, ""));
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("--auth_token_file"));
  EXPECT_THAT(a.status().message(), HasSubstr(missing));
  const std::string bad = TempFile("b3", "nocolon\n");
  a = Authenticator::Create(NoWatch(TempFile("t3", "tok\n"), bad));
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("--auth_basic_file"));
  EXPECT_THAT(a.status().message(), HasSubstr(bad + " line 1"));
}

TEST(Authenticator, ReloadAppliesGoodFilesAndKeepsOldOnBadOnes) {
  const std::string path = TempFile("t4", "old\n");
  auto a = Authenticator::Create(NoWatch(path, ""));
  ASSERT_TRUE(a.ok()) << a.status();
  Authenticator& auth = **a;
  EXPECT_FALSE(auth.ReloadIfChanged());  // unchanged: not re-read
  ASSERT_TRUE(WriteStringToFile(path, "new-1\nnew-2\n").ok());
  EXPECT_TRUE(auth.ReloadIfChanged());
  EXPECT_EQ(auth.Check("Bearer old"), AuthResult::kDenied);
  EXPECT_EQ(auth.Check("Bearer new-2"), AuthResult::kOk);
  // Bad contents, then a deleted file: the previous tokens stay.
  ASSERT_TRUE(WriteStringToFile(path, "# nothing left\n").ok());
  EXPECT_FALSE(auth.ReloadIfChanged());
  EXPECT_EQ(auth.Check("Bearer new-1"), AuthResult::kOk);
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_FALSE(auth.ReloadIfChanged());
  EXPECT_EQ(auth.Check("Bearer new-1"), AuthResult::kOk);
  // The file comes back.
  ASSERT_TRUE(WriteStringToFile(path, "back\n").ok());
  EXPECT_TRUE(auth.ReloadIfChanged());
  EXPECT_EQ(auth.Check("Bearer back"), AuthResult::kOk);
  EXPECT_EQ(auth.Check("Bearer new-1"), AuthResult::kDenied);
}

TEST(Authenticator, WatcherReloadsWithoutBeingAsked) {
  const std::string path = TempFile("t5", "first\n");
  AuthOptions o = NoWatch(path, "");
  o.reload_interval = absl::Milliseconds(20);
  auto a = Authenticator::Create(o);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(WriteStringToFile(path, "second\n").ok());
  bool reloaded = false;
  for (int i = 0; i < 500 && !reloaded; ++i) {
    reloaded = (*a)->Check("Bearer second") == AuthResult::kOk;
    if (!reloaded) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(reloaded);
  EXPECT_EQ((*a)->Check("Bearer first"), AuthResult::kDenied);
}

HttpRequest Request(const std::string& method, const std::string& target,
                    const std::string& authorization = "") {
  HttpRequest r;
  r.method = method;
  r.target = target;
  if (!authorization.empty()) r.headers.emplace_back("authorization", authorization);
  return r;
}

TEST(Authenticator, HttpAnswers) {
  auto a = Authenticator::Create(NoWatch(TempFile("t6", "tok\n"), TempFile("b6", "u:p\n")));
  ASSERT_TRUE(a.ok()) << a.status();
  const Authenticator& auth = **a;
  auto denied = auth.CheckHttp(Request("POST", "/v1/models/m:predict", "Bearer wrong-secret"),
                               /*cors=*/false);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->status, 401);
  EXPECT_THAT(denied->headers,
              ::testing::Contains(Pair("WWW-Authenticate", "Bearer realm=\"tfmodel\"")));
  EXPECT_THAT(denied->headers,
              ::testing::Contains(Pair("WWW-Authenticate", "Basic realm=\"tfmodel\"")));
  EXPECT_THAT(denied->headers, ::testing::Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(denied->body, HasSubstr("\"error\": \"Invalid credentials\""));
  EXPECT_THAT(denied->body, Not(HasSubstr("wrong-secret")));
  EXPECT_FALSE(auth.CheckHttp(Request("POST", "/v1/models/m:predict", "Bearer tok"), false));
  EXPECT_FALSE(auth.CheckHttp(Request("GET", "/v1/models/m", Basic("u:p")), false));
  // Probes and preflights need nothing; everything else (metrics too) does.
  for (const char* probe :
       {"/healthz", "/readyz", "/health?x=1", "/v2/health/live", "/v2/health/ready"}) {
    EXPECT_FALSE(auth.CheckHttp(Request("GET", probe), false)) << probe;
  }
  EXPECT_FALSE(auth.CheckHttp(Request("OPTIONS", "/v1/models/m:predict"), false));
  for (const char* path : {"/monitoring/prometheus/metrics", "/healthz/x", "/v2", "/"}) {
    EXPECT_TRUE(auth.CheckHttp(Request("GET", path), false)) << path;
  }
  EXPECT_TRUE(auth.CheckHttp(Request("POST", "/healthz"), false));
  auto cors = auth.CheckHttp(Request("GET", "/v1/models/m"), /*cors=*/true);
  ASSERT_TRUE(cors.has_value());
  EXPECT_THAT(cors->headers, ::testing::Contains(Pair("Access-Control-Allow-Origin", "*")));
  EXPECT_THAT(cors->body, HasSubstr("Missing credentials"));
}

TEST(Authenticator, HandleHttpCallsHandlerOnlyWhenAllowed) {
  auto a = Authenticator::Create(NoWatch(TempFile("t7", "tok\n"), ""));
  ASSERT_TRUE(a.ok()) << a.status();
  int calls = 0;
  auto handler = [&](const HttpRequest&) {
    ++calls;
    HttpResponse r;
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    return r;
  };
  EXPECT_EQ((*a)->HandleHttp(Request("POST", "/v1/models/m:predict"), false, handler).status, 401);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ((*a)->HandleHttp(Request("POST", "/v1/models/m:predict", "Bearer tok"), false, handler)
                .status,
            200);
  EXPECT_EQ(calls, 1);
  HttpResponse pre = (*a)->HandleHttp(Request("OPTIONS", "/v1/models/m:predict"), true, handler);
  EXPECT_THAT(pre.headers, ::testing::Contains(Pair("Access-Control-Allow-Headers",
                                                    "Content-Type, Authorization")));
}

}  // namespace
}  // namespace tfmodel::serving
