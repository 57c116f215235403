// Tests for the non-maximum-suppression kernels: the box sets and expectations of TF's
// non_max_suppression_op_test.cc (three clusters, flipped corners, identical boxes, score
// threshold, padding, soft-NMS) plus CombinedNonMaxSuppression worked by hand.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor Boxes(const std::vector<float>& v) {
  return Tensor::FromVector<float>(v, TensorShape{static_cast<int64_t>(v.size() / 4), 4});
}

const std::vector<float> kClusters = {0, 0,  1, 1,  0, 0.1f,  1, 1.1f,  0, -0.1f, 1, 0.9f,
                                      0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100,   1, 101};
const std::vector<float> kClusterScores = {.9f, .75f, .6f, .95f, .5f, .3f};

absl::StatusOr<std::vector<Tensor>> V3(const std::vector<float>& boxes,
                                       const std::vector<float>& scores, int max, float iou,
                                       float score_threshold) {
  return RunKernel("NonMaxSuppressionV3",
                   {Boxes(boxes), Tensor::FromVector<float>(scores), Tensor::Scalar<int32_t>(max),
                    Tensor::Scalar<float>(iou), Tensor::Scalar<float>(score_threshold)});
}

TEST(NonMaxSuppressionTest, SelectsFromThreeClusters) {
  auto out =
      RunKernel("NonMaxSuppressionV2", {Boxes(kClusters), Tensor::FromVector<float>(kClusterScores),
                                        Tensor::Scalar<int32_t>(3), Tensor::Scalar<float>(.5f)});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 5}));
  // V1 takes the threshold as an attr.
  out = RunKernel(
      "NonMaxSuppression",
      {Boxes(kClusters), Tensor::FromVector<float>(kClusterScores), Tensor::Scalar<int32_t>(2)},
      {{"iou_threshold", AttrF(.5f)}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0}));
}

TEST(NonMaxSuppressionTest, FlippedCornersGiveTheSameAnswer) {
  const std::vector<float> flipped = {1, 1,  0, 0,  0, 0.1f,  1, 1.1f,  0, .9f, 1, -0.1f,
                                      0, 10, 1, 11, 1, 10.1f, 0, 11.1f, 1, 101, 0, 100};
  auto out = V3(flipped, kClusterScores, 3, .5f, -1e30f);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 5}));
}

TEST(NonMaxSuppressionTest, LimitsAndDegenerateInputs) {
  auto out = V3(kClusters, kClusterScores, 30, .5f, -1e30f);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 5}));
  // Ten identical boxes with equal scores: the lowest index wins.
  std::vector<float> same;
  for (int i = 0; i < 10; ++i) same.insert(same.end(), {0, 0, 1, 1});
  out = V3(same, std::vector<float>(10, .9f), 3, .5f, -1e30f);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({0}));
  // Zero-area boxes never suppress each other (IOU is 0).
  out = V3({0, 0, 0, 1, 0, 0, 0, 1}, {.5f, .6f}, 5, .1f, -1e30f);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({1, 0}));
  out = V3({}, {}, 3, .5f, 0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].NumElements(), 0);
  out = V3(kClusters, kClusterScores, 0, .5f, 0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].NumElements(), 0);
}

TEST(NonMaxSuppressionTest, ScoreThresholdIsStrict) {
  auto out = V3(kClusters, kClusterScores, 3, .5f, .4f);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0}));
  out = V3(kClusters, kClusterScores, 6, .5f, .95f);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].NumElements(), 0);
}

TEST(NonMaxSuppressionTest, V4PadsAndCountsValidOutputs) {
  auto out = RunKernel(
      "NonMaxSuppressionV4",
      {Boxes(kClusters), Tensor::FromVector<float>(kClusterScores), Tensor::Scalar<int32_t>(5),
       Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(0.0f)},
      {{"pad_to_max_output_size", AttrB(true)}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 5, 0, 0}));
  ExpectTensorEq((*out)[1], Tensor::Scalar<int32_t>(3));
}

TEST(NonMaxSuppressionTest, V5SoftNmsDecaysOverlappingScores) {
  auto out = RunKernel(
      "NonMaxSuppressionV5",
      {Boxes(kClusters), Tensor::FromVector<float>(kClusterScores), Tensor::Scalar<int32_t>(6),
       Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(0.0f), Tensor::Scalar<float>(.5f)},
      {{"pad_to_max_output_size", AttrB(false)}});
  ASSERT_TRUE(out.ok()) << out.status();
  // TF's expectation: box 1 (IOU 0.818 with box 0) keeps .75 * exp(-0.818^2) = .384, etc.
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 1, 5, 4, 2}));
  ExpectTensorNear((*out)[1],
                   Tensor::FromVector<float>({0.95f, 0.9f, 0.384f, 0.3f, 0.256f, 0.197f}), 1e-3);
  ExpectTensorEq((*out)[2], Tensor::Scalar<int32_t>(6));
}

TEST(NonMaxSuppressionTest, HalfScoresWork) {
  std::vector<Half> hb, hs;
  for (float v : kClusters) hb.push_back(Half::FromFloat(v));
  for (float v : kClusterScores) hs.push_back(Half::FromFloat(v));
  auto out =
      RunKernel("NonMaxSuppressionV3",
                {Tensor::FromVector<Half>(hb, TensorShape{6, 4}), Tensor::FromVector<Half>(hs),
                 Tensor::Scalar<int32_t>(3), Tensor::Scalar<Half>(Half::FromFloat(.5f)),
                 Tensor::Scalar<Half>(Half::FromFloat(0.0f))});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({3, 0, 5}));
}

TEST(NonMaxSuppressionTest, BadInputsAreErrors) {
  auto out = V3(kClusters, {.9f, .75f}, 3, .5f, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("scores"));
  out = V3(kClusters, kClusterScores, 3, 1.5f, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("iou_threshold must be in [0, 1]"));
  out = V3(kClusters, kClusterScores, -1, .5f, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("non-negative"));
  out =
      RunKernel("NonMaxSuppressionV3", {Tensor::FromVector<float>({0, 0, 1}, TensorShape{1, 3}),
                                        Tensor::FromVector<float>({1}), Tensor::Scalar<int32_t>(1),
                                        Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(0)});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("[num_boxes, 4]"));
  out =
      RunKernel("NonMaxSuppressionV5", {Boxes(kClusters), Tensor::FromVector<float>(kClusterScores),
                                        Tensor::Scalar<int32_t>(6), Tensor::Scalar<float>(.5f),
                                        Tensor::Scalar<float>(0.0f), Tensor::Scalar<float>(-1.0f)});
  EXPECT_FALSE(out.ok());
}

TEST(NonMaxSuppressionWithOverlapsTest, UsesTheGivenOverlaps) {
  // Box 0 overlaps 1 strongly, 2 overlaps nothing.
  Tensor overlaps =
      Tensor::FromVector<float>({1, .8f, 0, .8f, 1, .1f, 0, .1f, 1}, TensorShape{3, 3});
  auto out =
      RunKernel("NonMaxSuppressionWithOverlaps",
                {overlaps, Tensor::FromVector<float>({.9f, .8f, .7f}), Tensor::Scalar<int32_t>(3),
                 Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(0.0f)});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<int32_t>({0, 2}));
  auto bad = RunKernel(
      "NonMaxSuppressionWithOverlaps",
      {Tensor::FromVector<float>({1, 2}, TensorShape{1, 2}), Tensor::FromVector<float>({.9f}),
       Tensor::Scalar<int32_t>(1), Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(0.0f)});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("square"));
}

absl::StatusOr<std::vector<Tensor>> Combined(const Tensor& boxes, const Tensor& scores,
                                             int per_class, int total, bool pad, bool clip) {
  return RunKernel(
      "CombinedNonMaxSuppression",
      {boxes, scores, Tensor::Scalar<int32_t>(per_class), Tensor::Scalar<int32_t>(total),
       Tensor::Scalar<float>(.5f), Tensor::Scalar<float>(.1f)},
      {{"pad_per_class", AttrB(pad)}, {"clip_boxes", AttrB(clip)}});
}

TEST(CombinedNonMaxSuppressionTest, PerClassThenMergedByScore) {
  // One image, 3 boxes shared by 2 classes (q = 1). Boxes 0 and 1 overlap (IOU 0.818).
  Tensor boxes = Tensor::FromVector<float>({0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3},
                                           TensorShape{1, 3, 1, 4});
  // class 0: .9 .8 .05 ; class 1: .2 .7 .6
  Tensor scores = Tensor::FromVector<float>({.9f, .2f, .8f, .7f, .05f, .6f}, TensorShape{1, 3, 2});
  auto out = Combined(boxes, scores, 5, 4, false, false);
  ASSERT_TRUE(out.ok()) << out.status();
  // class 0 keeps box 0 (.9) (box 1 suppressed, box 2 under the threshold);
  // class 1 keeps box 1 (.7) and box 2 (.6) (box 0 suppressed by box 1).
  ExpectTensorNear((*out)[1], Tensor::FromVector<float>({.9f, .7f, .6f, 0}, TensorShape{1, 4}));
  ExpectTensorEq((*out)[2], Tensor::FromVector<float>({0, 1, 1, 0}, TensorShape{1, 4}));
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 2, 1, 3, 0, 0, 0, 0},
                                             TensorShape{1, 4, 4}));
  ExpectTensorEq((*out)[3], Tensor::FromVector<int32_t>({3}));
  // clip_boxes clamps coordinates to [0, 1]; pad_per_class caps the output at
  // per_class * classes = 2 entries.
  out = Combined(boxes, scores, 1, 4, true, true);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>({0, 0, 1, 1, 0, 0.1f, 1, 1}, TensorShape{1, 2, 4}));
  ExpectTensorEq((*out)[3], Tensor::FromVector<int32_t>({2}));
}

TEST(CombinedNonMaxSuppressionTest, BadShapesAreErrors) {
  Tensor boxes = Tensor::FromVector<float>({0, 0, 1, 1}, TensorShape{1, 1, 1, 4});
  Tensor scores = Tensor::FromVector<float>({.9f, .8f}, TensorShape{1, 1, 2});
  EXPECT_FALSE(
      Combined(boxes, Tensor::FromVector<float>({.9f}, TensorShape{1, 1}), 1, 1, false, false)
          .ok());
  auto out = Combined(Tensor::FromVector<float>(std::vector<float>(12, 0), TensorShape{1, 1, 3, 4}),
                      scores, 1, 1, false, false);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("1 or num classes"));
  EXPECT_FALSE(Combined(boxes, scores, 0, 1, false, false).ok());
  EXPECT_FALSE(Combined(boxes, scores, 1, 0, false, false).ok());
}

}  // namespace
}  // namespace tfmodel::runtime
