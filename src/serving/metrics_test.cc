#include "serving/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tfmodel::serving {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kLabels[] = R"(model_name="m",API="predict",entrypoint="REST")";

std::string Line(const std::string& series, const std::string& labels, const std::string& value) {
  return series + "{" + labels + "} " + value + "\n";
}

TEST(MetricsTest, CountsAndCumulativeLatencyBuckets) {
  Metrics m;
  m.RecordRequest("m", "predict", "REST", "OK", 50);                 // <= 100
  m.RecordRequest("m", "predict", "REST", "OK", 300);                // <= 500
  m.RecordRequest("m", "predict", "REST", "OK", 2000000);            // above every bucket
  m.RecordRequest("m", "predict", "REST", "INVALID_ARGUMENT", 100);  // <= 100 (inclusive)
  const std::string text = m.PrometheusText();
  EXPECT_THAT(text,
              HasSubstr(R"(:tensorflow:serving:request_count{model_name="m",status="OK"} 3)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(:tensorflow:serving:request_count{model_name="m",status="INVALID_ARGUMENT"} 1)"));
  const std::string b = ":tensorflow:serving:request_latency_bucket";
  EXPECT_THAT(text, HasSubstr(Line(b, std::string(kLabels) + ",le=\"100\"", "2")));
  EXPECT_THAT(text, HasSubstr(Line(b, std::string(kLabels) + ",le=\"250\"", "2")));
  EXPECT_THAT(text, HasSubstr(Line(b, std::string(kLabels) + ",le=\"500\"", "3")));
  EXPECT_THAT(text, HasSubstr(Line(b, std::string(kLabels) + ",le=\"1e+06\"", "3")));
  EXPECT_THAT(text, HasSubstr(Line(b, std::string(kLabels) + ",le=\"+Inf\"", "4")));
  EXPECT_THAT(text, HasSubstr(Line(":tensorflow:serving:request_latency_count", kLabels, "4")));
  EXPECT_THAT(text, HasSubstr(Line(":tensorflow:serving:request_latency_sum", kLabels, "2000450")));
}

TEST(MetricsTest, SeparateObjectsDoNotShareSeries) {
  // The per-thread series cache must not leak one Metrics object's series into another.
  auto a = std::make_unique<Metrics>();
  a->RecordRequest("m", "predict", "REST", "OK", 10);
  a.reset();
  Metrics b;
  b.RecordRequest("m", "predict", "REST", "OK", 10);
  b.RecordRequest("m", "predict", "REST", "OK", 10);
  EXPECT_THAT(b.PrometheusText(),
              HasSubstr(R"(:tensorflow:serving:request_count{model_name="m",status="OK"} 2)"));
  Metrics c;
  EXPECT_THAT(c.PrometheusText(), Not(HasSubstr("request_count{")));
}

TEST(MetricsTest, ConcurrentThreadsAllCount) {
  Metrics m;
  constexpr int kThreads = 8, kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        m.RecordRequest("m", t % 2 ? "predict" : "classify", "REST", "OK", 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = m.PrometheusText();
  EXPECT_THAT(text,
              HasSubstr(R"(:tensorflow:serving:request_count{model_name="m",status="OK"} 40000)"));
  EXPECT_THAT(text, HasSubstr(Line(":tensorflow:serving:request_latency_count", kLabels, "20000")));
}

}  // namespace
}  // namespace tfmodel::serving
