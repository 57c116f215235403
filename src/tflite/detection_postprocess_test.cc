// TFLite_Detection_PostProcess on hand-built models: box decoding, fast (class-agnostic) and
// regular (per-class) NMS, padding of unused slots, quantized inputs, and bad options and
// shapes reported as errors naming the operator. Expected values are worked out by hand in
// the comments.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "flatbuffers/flexbuffers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "test_util.h"
#include "tflite/model.h"
#include "tflite_test_util.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using testing::TfLiteModelBuilder;
using TT = fb::TensorType;

constexpr char kOp[] = "TFLite_Detection_PostProcess";

struct Opts {
  int max_detections = 3;
  int max_classes_per_detection = 1;
  int detections_per_class = 100;
  bool use_regular_nms = false;
  float score_threshold = 0.0f;
  float iou_threshold = 0.5f;
  int num_classes = 2;
  float y_scale = 10, x_scale = 10, h_scale = 5, w_scale = 5;
  std::set<std::string> omit;  // keys left out
};

std::vector<uint8_t> Encode(const Opts& o) {
  flexbuffers::Builder f;
  auto has = [&o](const char* k) { return o.omit.count(k) == 0; };
  f.Map([&] {
    if (has("max_detections")) f.Int("max_detections", o.max_detections);
    if (has("max_classes_per_detection"))
      f.Int("max_classes_per_detection", o.max_classes_per_detection);
    if (has("detections_per_class")) f.Int("detections_per_class", o.detections_per_class);
    if (has("use_regular_nms")) f.Bool("use_regular_nms", o.use_regular_nms);
    if (has("nms_score_threshold")) f.Float("nms_score_threshold", o.score_threshold);
    if (has("nms_iou_threshold")) f.Float("nms_iou_threshold", o.iou_threshold);
    if (has("num_classes")) f.Int("num_classes", o.num_classes);
    if (has("y_scale")) f.Float("y_scale", o.y_scale);
    if (has("x_scale")) f.Float("x_scale", o.x_scale);
    if (has("h_scale")) f.Float("h_scale", o.h_scale);
    if (has("w_scale")) f.Float("w_scale", o.w_scale);
  });
  f.Finish();
  return f.GetBuffer();
}

// A model: inputs "boxes" [1,n,4] and "scores" [1,n,width] (float), constant float anchors
// [n,4], outputs "out_boxes", "out_classes", "out_scores", "num".
struct Detector {
  TfLiteModelBuilder b;
  int boxes = -1, scores = -1, anchors = -1;
  std::vector<int> outs;

  Detector(const Opts& o, const std::vector<float>& anchor_values, int width,
           std::vector<int32_t> anchor_shape = {}) {
    const int n = static_cast<int>(anchor_values.size() / 4);
    if (anchor_shape.empty()) anchor_shape = {n, 4};
    boxes = b.Tensor<float>("boxes", TT::FLOAT32, {1, n, 4});
    scores = b.Tensor<float>("scores", TT::FLOAT32, {1, n, width});
    anchors = b.Const("anchors", anchor_shape, anchor_values);
    AddOutputs(o);
  }
  Detector() = default;
  void AddOutputs(const Opts& o) {
    // Bad options (negative or huge counts) still get valid declared shapes.
    const int64_t slots = int64_t{o.max_detections} * o.max_classes_per_detection;
    const int m = static_cast<int>(std::clamp<int64_t>(slots, 0, 1000));
    outs = {b.Tensor<float>("out_boxes", TT::FLOAT32, {1, m, 4}),
            b.Tensor<float>("out_classes", TT::FLOAT32, {1, m}),
            b.Tensor<float>("out_scores", TT::FLOAT32, {1, m}),
            b.Tensor<float>("num", TT::FLOAT32, {1})};
  }
  void AddOp(const Opts& o) { AddOp(Encode(o)); }
  void AddOp(std::vector<uint8_t> options) {
    b.Op(B::CUSTOM, {boxes, scores, anchors}, outs);
    b.SetCustom(kOp, std::move(options));
  }
  std::unique_ptr<TfLiteModel> Build() { return b.Build({boxes, scores}, outs); }
};

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.NumElements());
}

absl::StatusOr<std::vector<Tensor>> RunDetector(TfLiteModel& m, int n, int width,
                                                const std::vector<float>& boxes,
                                                const std::vector<float>& scores) {
  return m.Run({{"boxes", Tensor::FromVector<float>(boxes, TensorShape{1, n, 4})},
                {"scores", Tensor::FromVector<float>(scores, TensorShape{1, n, width})}},
               {"out_boxes", "out_classes", "out_scores", "num"}, {});
}

// Four anchors whose zero encodings decode to these corner boxes (ymin, xmin, ymax, xmax):
//   A [0, 0,    1, 1   ]  centre (0.5, 0.5)
//   B [0, 0.05, 1, 1.05]  centre (0.5, 0.55): IoU(A,B) = 0.95 / 1.05 = 0.905
//   C [2, 2,    3, 3   ]  centre (2.5, 2.5): overlaps nothing
//   D [0, 0.5,  1, 1.5 ]  centre (0.5, 1.0): IoU(A,D) = 0.5 / 1.5 = 0.333,
//                                             IoU(B,D) = 0.55 / 1.45 = 0.379
const std::vector<float> kAnchors = {0.5f, 0.5f, 1, 1, 0.5f, 0.55f, 1, 1,
                                     2.5f, 2.5f, 1, 1, 0.5f, 1.0f,  1, 1};
const std::vector<float> kZeroBoxes(16, 0.0f);
// Scores [background, class 0, class 1] of A, B, C, D.
const std::vector<float> kScores = {0, 0.6f, 0.3f, 0, 0.2f,  0.9f,  //
                                    0, 0.7f, 0.1f, 0, 0.05f, 0.4f};
const std::vector<float> kBoxA = {0, 0, 1, 1}, kBoxB = {0, 0.05f, 1, 1.05f}, kBoxC = {2, 2, 3, 3},
                         kBoxD = {0, 0.5f, 1, 1.5f};

std::vector<float> Concat(std::initializer_list<std::vector<float>> parts) {
  std::vector<float> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

void ExpectFloats(const Tensor& t, const std::vector<float>& want) {
  EXPECT_THAT(Floats(t), Pointwise(FloatNear(1e-5f), want));
}

TEST(DetectionPostProcessTest, DecodesCenterSizeEncodingsAgainstTheAnchor) {
  Opts o;
  // Anchor centre (0.5, 0.5), height 0.2, width 0.4. Encoding y = 1, x = -2, h = 0,
  // w = 5 ln 2: ycenter = 1/10 * 0.2 + 0.5 = 0.52, xcenter = -2/10 * 0.4 + 0.5 = 0.42,
  // half_h = 0.5 * e^0 * 0.2 = 0.1, half_w = 0.5 * e^(ln 2) * 0.4 = 0.4.
  Detector d(o, {0.5f, 0.5f, 0.2f, 0.4f}, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           RunDetector(*m, 1, 3, {1, -2, 0, 5 * std::log(2.0f)}, {0, 0.9f, 0.1f}));
  EXPECT_EQ(out[0].shape(), (TensorShape{1, 3, 4}));
  EXPECT_EQ(out[1].shape(), (TensorShape{1, 3}));
  EXPECT_EQ(out[2].shape(), (TensorShape{1, 3}));
  EXPECT_EQ(out[3].shape(), (TensorShape{1}));
  // One detection (class 0 = the first after the background), two zero slots.
  ExpectFloats(out[0], {0.42f, 0.02f, 0.62f, 0.82f, 0, 0, 0, 0, 0, 0, 0, 0});
  ExpectFloats(out[1], {0, 0, 0});
  ExpectFloats(out[2], {0.9f, 0, 0});
  ExpectFloats(out[3], {1});
}

TEST(DetectionPostProcessTest, FastNmsRanksAnchorsByTheirBestClass) {
  // Best classes: A 0.6 (0), B 0.9 (1), C 0.7 (0), D 0.4 (1). Order B C A D; B suppresses A
  // (IoU 0.905 > 0.5) but not D (0.379).
  Opts o;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], Concat({kBoxB, kBoxC, kBoxD}));
  ExpectFloats(out[1], {1, 0, 1});
  ExpectFloats(out[2], {0.9f, 0.7f, 0.4f});
  ExpectFloats(out[3], {3});
}

TEST(DetectionPostProcessTest, FastNmsStopsAtMaxDetections) {
  Opts o;
  o.max_detections = 2;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], Concat({kBoxB, kBoxC}));
  ExpectFloats(out[1], {1, 0});
  ExpectFloats(out[3], {2});
}

TEST(DetectionPostProcessTest, ScoreThresholdKeepsScoresAtOrAboveIt) {
  // Threshold 0.7: B (0.9) and C (0.7, equal) stay; D (0.4) goes; its slot is zero.
  Opts o;
  o.score_threshold = 0.7f;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], Concat({kBoxB, kBoxC, {0, 0, 0, 0}}));
  ExpectFloats(out[1], {1, 0, 0});
  ExpectFloats(out[2], {0.9f, 0.7f, 0});
  ExpectFloats(out[3], {2});
}

TEST(DetectionPostProcessTest, IouThresholdOfOneSuppressesNothing) {
  // IoU must exceed the threshold: with 1 even B's near-duplicate A stays. Order B C A D.
  Opts o;
  o.iou_threshold = 1.0f;
  o.max_detections = 4;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[1], {1, 0, 0, 1});
  ExpectFloats(out[2], {0.9f, 0.7f, 0.6f, 0.4f});
  ExpectFloats(out[3], {4});
}

TEST(DetectionPostProcessTest, FastNmsWithSeveralClassesPerDetection) {
  // Two slots per anchor: B gives (1, 0.9), (0, 0.2); C gives (0, 0.7), (1, 0.1).
  Opts o;
  o.max_detections = 2;
  o.max_classes_per_detection = 2;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  EXPECT_EQ(out[0].shape(), (TensorShape{1, 4, 4}));
  ExpectFloats(out[0], Concat({kBoxB, kBoxB, kBoxC, kBoxC}));
  ExpectFloats(out[1], {1, 0, 0, 1});
  ExpectFloats(out[2], {0.9f, 0.2f, 0.7f, 0.1f});
  ExpectFloats(out[3], {2});  // anchors, not slots
}

TEST(DetectionPostProcessTest, RegularNmsSuppressesPerClass) {
  // Class 0 (A .6, B .2, C .7, D .05): C, A (suppresses B), D. Class 1 (A .3, B .9, C .1,
  // D .4): B (suppresses A), D, C. Best three over both: B .9 (1), C .7 (0), A .6 (0).
  Opts o;
  o.use_regular_nms = true;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], Concat({kBoxB, kBoxC, kBoxA}));
  ExpectFloats(out[1], {1, 0, 0});
  ExpectFloats(out[2], {0.9f, 0.7f, 0.6f});
  ExpectFloats(out[3], {3});
}

TEST(DetectionPostProcessTest, RegularNmsLimitsDetectionsPerClass) {
  // One per class: C .7 for class 0, B .9 for class 1; the third slot stays zero.
  Opts o;
  o.use_regular_nms = true;
  o.detections_per_class = 1;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], Concat({kBoxB, kBoxC, {0, 0, 0, 0}}));
  ExpectFloats(out[1], {1, 0, 0});
  ExpectFloats(out[2], {0.9f, 0.7f, 0});
  ExpectFloats(out[3], {2});
}

TEST(DetectionPostProcessTest, ScoresWithoutABackgroundColumn) {
  // Width == num_classes: columns are classes 0 and 1 directly. Regular NMS with a 0.5
  // threshold: class 0 keeps C .7, A .6; class 1 keeps B .9.
  Opts o;
  o.use_regular_nms = true;
  o.score_threshold = 0.5f;
  Detector d(o, kAnchors, 2);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  const std::vector<float> scores = {0.6f, 0.3f, 0.2f, 0.9f, 0.7f, 0.1f, 0.05f, 0.4f};
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 2, kZeroBoxes, scores));
  ExpectFloats(out[1], {1, 0, 0});
  ExpectFloats(out[2], {0.9f, 0.7f, 0.6f});
  ExpectFloats(out[3], {3});
}

TEST(DetectionPostProcessTest, EqualScoresKeepAnchorOrder) {
  // All four anchors score 0.5 for class 0: the sort is stable, so A comes first and
  // suppresses B; then C and D in order.
  Opts o;
  o.max_detections = 4;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  const std::vector<float> scores = {0, 0.5f, 0, 0, 0.5f, 0, 0, 0.5f, 0, 0, 0.5f, 0};
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, scores));
  ExpectFloats(out[0], Concat({kBoxA, kBoxC, kBoxD, {0, 0, 0, 0}}));
  ExpectFloats(out[3], {3});
}

TEST(DetectionPostProcessTest, Uint8InputsAreDequantized) {
  Opts o;
  o.max_detections = 1;
  Detector d;
  // Boxes scale 0.1, zero point 128: (138, 108, 128, 128) = (1, -2, 0, 0). Anchors scale
  // 0.01: (50, 50, 20, 40) = (0.5, 0.5, 0.2, 0.4). Decoded: centre (0.52, 0.42), half sizes
  // 0.1 and 0.2. Scores scale 1/256: 230 -> 0.8984375 for class 0.
  d.boxes = d.b.Tensor<uint8_t>("boxes", TT::UINT8, {1, 1, 4}, {0.1f}, {128});
  d.scores = d.b.Tensor<uint8_t>("scores", TT::UINT8, {1, 1, 3}, {1.0f / 256}, {0});
  d.anchors = d.b.Tensor<uint8_t>("anchors", TT::UINT8, {1, 4}, {0.01f}, {0}, 0, {50, 50, 20, 40});
  d.AddOutputs(o);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out,
      m->Run({{"boxes", Tensor::FromVector<uint8_t>({138, 108, 128, 128}, TensorShape{1, 1, 4})},
              {"scores", Tensor::FromVector<uint8_t>({0, 230, 26}, TensorShape{1, 1, 3})}},
             {"out_boxes", "out_classes", "out_scores", "num"}, {}));
  ExpectFloats(out[0], {0.42f, 0.22f, 0.62f, 0.62f});
  ExpectFloats(out[1], {0});
  ExpectFloats(out[2], {0.8984375f});
  ExpectFloats(out[3], {1});
}

TEST(DetectionPostProcessTest, NoBoxesAboveTheThresholdGivesZeros) {
  Opts o;
  o.score_threshold = 0.95f;
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, RunDetector(*m, 4, 3, kZeroBoxes, kScores));
  ExpectFloats(out[0], std::vector<float>(12, 0.0f));
  ExpectFloats(out[2], {0, 0, 0});
  ExpectFloats(out[3], {0});
}

// ---- errors ----

void ExpectOptionsError(const Opts& o, const std::string& text) {
  Detector d(o, kAnchors, 3);
  d.AddOp(o);
  d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, text);
  auto m = d.b.Load({d.boxes, d.scores}, d.outs);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("operator 0 (TFLite_Detection_PostProcess)"));
}

TEST(DetectionPostProcessTest, BadOptionsAreLoadErrors) {
  Opts missing;
  missing.omit = {"nms_iou_threshold"};
  ExpectOptionsError(missing, "option 'nms_iou_threshold' is missing");
  Opts iou;
  iou.iou_threshold = 0;
  ExpectOptionsError(iou, "nms_iou_threshold is 0, must be in (0, 1]");
  Opts scale;
  scale.h_scale = 0;
  ExpectOptionsError(scale, "option 'h_scale' is 0, must be finite and non-zero");
  Opts negative;
  negative.max_detections = -1;
  ExpectOptionsError(negative, "option 'max_detections' is -1, expected an integer >= 0");
  Opts per_class;
  per_class.use_regular_nms = true;
  per_class.detections_per_class = 0;
  ExpectOptionsError(per_class, "option 'detections_per_class' is 0, expected an integer >= 1");
  Opts huge;
  huge.max_detections = 1 << 16;
  huge.max_classes_per_detection = 1 << 16;
  ExpectOptionsError(huge, "output slots, more than the limit");
}

TEST(DetectionPostProcessTest, OptionsMustBeAFlexBufferMapOfNumbers) {
  Opts o;
  {
    Detector d(o, kAnchors, 3);
    d.AddOp(std::vector<uint8_t>{});
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, "has no options (a FlexBuffer map)");
  }
  {
    flexbuffers::Builder f;
    f.Vector([&] { f.Int(1); });
    f.Finish();
    Detector d(o, kAnchors, 3);
    d.AddOp(f.GetBuffer());
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, "custom options are not a FlexBuffer map");
  }
  {
    flexbuffers::Builder f;
    f.Map([&] { f.String("max_detections", "ten"); });
    f.Finish();
    Detector d(o, kAnchors, 3);
    d.AddOp(f.GetBuffer());
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, "option 'max_detections' is not a number");
  }
}

TEST(DetectionPostProcessTest, MismatchedShapesAreLoadErrors) {
  Opts o;
  {
    Detector d(o, std::vector<float>(12, 1.0f), 3, {4, 3});  // anchors [4, 3]
    d.AddOp(o);
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs,
                        "anchors (input 2) have shape [4,3], expected [num_boxes, 4]");
  }
  {
    Detector d(o, kAnchors, 4);  // two classes + background = 3 columns, not 4
    d.AddOp(o);
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs,
                        "class predictions (input 1) have shape [1,4,4], expected [1, num_boxes, "
                        "2 or 3] for num_classes 2");
  }
  {
    Detector d(o, std::vector<float>(12, 1.0f), 3);                   // 3 anchors for 3 boxes...
    d.scores = d.b.Tensor<float>("scores5", TT::FLOAT32, {1, 5, 3});  // ...and 5 score rows
    d.AddOp(o);
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, "disagree on the number of boxes");
  }
  {
    Detector d(o, kAnchors, 3);
    d.b.Op(B::CUSTOM, {d.boxes, d.scores}, d.outs);
    d.b.SetCustom(kOp, Encode(o));
    d.b.ExpectLoadError({d.boxes, d.scores}, d.outs, "expects 3 inputs and 4 outputs");
  }
}

TEST(DetectionPostProcessTest, RunTimeShapeMismatchNamesTheOperator) {
  // Dynamic box count: 3 rows fed against 4 anchors.
  Opts o;
  Detector d(o, kAnchors, 3);
  d.b.SetShapeSignature(d.boxes, {1, -1, 4});
  d.b.SetShapeSignature(d.scores, {1, -1, 3});
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  auto out = RunDetector(*m, 3, 3, std::vector<float>(12, 0.0f), std::vector<float>(9, 0.5f));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("operator 0 (TFLite_Detection_PostProcess)"));
  EXPECT_THAT(out.status().message(), HasSubstr("disagree on the number of boxes"));
}

TEST(DetectionPostProcessTest, InvertedBoxIsARunError) {
  // A negative anchor height decodes to ymin > ymax, which TFLite rejects.
  Opts o;
  Detector d(o, {0.5f, 0.5f, -0.2f, 0.4f}, 3);
  d.AddOp(o);
  auto m = d.Build();
  ASSERT_NE(m, nullptr);
  auto out = RunDetector(*m, 1, 3, {0, 0, 0, 0}, {0, 0.9f, 0.1f});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("operator 0 (TFLite_Detection_PostProcess)"));
  EXPECT_THAT(out.status().message(), HasSubstr("decoded box 0 is inverted"));
}

// ---- operators tfmodel refuses ----

TEST(DetectionPostProcessTest, EdgeTpuAndUnknownFlexOpsAreRefusedTogether) {
  TfLiteModelBuilder b;
  int x = b.Tensor<uint8_t>("x", TT::UINT8, {1, 4}, {1.0f}, {0});
  int y = b.Tensor<uint8_t>("y", TT::UINT8, {1, 4}, {1.0f}, {0});
  int z = b.Tensor<float>("z", TT::FLOAT32, {1, 4});
  b.Op(B::CUSTOM, {x}, {y});
  b.SetCustom("edgetpu-custom-op", {1, 2, 3, 4});
  tensorflow::NodeDef node;
  node.set_name("n");
  node.set_op("NoSuchTfOp");
  flexbuffers::Builder f;
  f.Vector([&] {
    f.String("NoSuchTfOp");
    f.String(node.SerializeAsString());
  });
  f.Finish();
  b.Op(B::CUSTOM, {y}, {z});
  b.SetCustom("FlexNoSuchTfOp", f.GetBuffer());
  auto m = b.Load({x}, {z});
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::IsUnimplemented(m.status()));
  EXPECT_THAT(m.status().message(),
              HasSubstr("operator 0 (edgetpu-custom-op): Edge TPU operator: the model was "
                        "compiled by edgetpu_compiler for a Coral Edge TPU"));
  EXPECT_THAT(m.status().message(), HasSubstr("tfmodel cannot run it"));
  EXPECT_THAT(m.status().message(),
              HasSubstr("operator 1 (FlexNoSuchTfOp): flex op (a TensorFlow op kept by TFLite's "
                        "converter with select TF ops"));
  EXPECT_THAT(m.status().message(),
              HasSubstr("TF op NoSuchTfOp has no tfmodel kernel, so tfmodel cannot run it"));
}

}  // namespace
}  // namespace tfmodel::tflite
