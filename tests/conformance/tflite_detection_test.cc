// TFLite_Detection_PostProcess on the real uint8 SSD MobileNet v1 (COCO) from the Object
// Detection API (testdata/wild/ssd-mobilenet-v1-coco-uint8-metadata). There is no TFLite
// reference output in the testdata, so the run is checked against what the operator
// guarantees with the model's own options: 10 slots, num_detections detections first by
// decreasing score, each at or above nms_score_threshold, classes in [0, 90), valid boxes,
// no two detections overlapping by more than nms_iou_threshold (fast NMS is class-agnostic),
// zero slots after them; and the same input gives the same result.
#include <algorithm>
#include <cmath>

#include "flatbuffers/flexbuffers.h"
#include "format/tflite.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tflite/model.h"

namespace tfmodel {
namespace {

using tfmodel::testing::Testdata;

constexpr char kModel[] =
    "wild/ssd-mobilenet-v1-coco-uint8-metadata/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite";

float Iou(const float* a, const float* b) {
  const float ih = std::max(0.0f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  const float iw = std::max(0.0f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  const float inter = ih * iw;
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  return inter / (area_a + area_b - inter);
}

// A 300x300 RGB image: a bright square on a dark left half and a mid-gray right half, with
// a diagonal colour gradient (something for the detector to respond to).
std::vector<uint8_t> Image() {
  std::vector<uint8_t> v(300 * 300 * 3);
  for (int r = 0; r < 300; ++r) {
    for (int c = 0; c < 300; ++c) {
      const bool square = r >= 80 && r < 220 && c >= 60 && c < 200;
      for (int k = 0; k < 3; ++k) {
        int p = c < 150 ? 30 : 128;
        if (square) p = 230;
        p += ((r + c) * (k + 1)) % 25;
        v[(r * 300 + c) * 3 + k] = static_cast<uint8_t>(std::min(p, 255));
      }
    }
  }
  return v;
}

TEST(TfLiteDetectionConformanceTest, SsdMobilenetDetectionsFollowTheOptions) {
  TFM_REQUIRE_TESTDATA();
  TFM_ASSERT_OK_AND_ASSIGN(auto file, TfLiteFile::Read(Testdata(kModel)));
  // The operator's options, read independently of tfmodel's parser.
  float score_threshold = -1, iou_threshold = -1;
  int max_detections = -1, num_classes = -1;
  for (const auto* op : *file->model().subgraphs()->Get(0)->operators()) {
    if (file->OperatorName(*op) != "TFLite_Detection_PostProcess") continue;
    auto m =
        flexbuffers::GetRoot(op->custom_options()->data(), op->custom_options()->size()).AsMap();
    score_threshold = m["nms_score_threshold"].AsFloat();
    iou_threshold = m["nms_iou_threshold"].AsFloat();
    max_detections = m["max_detections"].AsInt32();
    num_classes = m["num_classes"].AsInt32();
    EXPECT_FALSE(m["use_regular_nms"].AsBool());
    EXPECT_EQ(m["max_classes_per_detection"].AsInt32(), 1);
  }
  ASSERT_EQ(max_detections, 10);
  ASSERT_EQ(num_classes, 90);
  ASSERT_GT(iou_threshold, 0);

  auto loaded = tflite::TfLiteModel::Load(std::move(file));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto& model = **loaded;
  const Tensor image = Tensor::FromVector<uint8_t>(Image(), TensorShape{1, 300, 300, 3});
  const std::vector<std::string> outs = {
      "TFLite_Detection_PostProcess", "TFLite_Detection_PostProcess:1",
      "TFLite_Detection_PostProcess:2", "TFLite_Detection_PostProcess:3"};
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model.Run({{"normalized_input_image_tensor", image}}, outs));
  ASSERT_EQ(out[0].shape(), (TensorShape{1, 10, 4}));
  ASSERT_EQ(out[1].shape(), (TensorShape{1, 10}));
  ASSERT_EQ(out[2].shape(), (TensorShape{1, 10}));
  ASSERT_EQ(out[3].shape(), (TensorShape{1}));
  const float* boxes = out[0].data<float>();
  const float* classes = out[1].data<float>();
  const float* scores = out[2].data<float>();
  const float num = out[3].data<float>()[0];
  ASSERT_EQ(num, std::floor(num));
  ASSERT_GE(num, 1);  // scores are sigmoids, far above the 1e-8 threshold: all 10 slots fill
  ASSERT_LE(num, 10);
  const int n = static_cast<int>(num);
  for (int i = 0; i < n; ++i) {
    SCOPED_TRACE(i);
    EXPECT_GE(scores[i], score_threshold);
    EXPECT_LE(scores[i], 1.0f);
    if (i > 0) {
      EXPECT_LE(scores[i], scores[i - 1]);
    }
    EXPECT_EQ(classes[i], std::floor(classes[i]));
    EXPECT_GE(classes[i], 0);
    EXPECT_LT(classes[i], num_classes);
    EXPECT_LE(boxes[4 * i], boxes[4 * i + 2]);
    EXPECT_LE(boxes[4 * i + 1], boxes[4 * i + 3]);
    for (int j = 0; j < i; ++j) EXPECT_LE(Iou(boxes + 4 * i, boxes + 4 * j), iou_threshold);
  }
  for (int i = n; i < 10; ++i) {
    EXPECT_EQ(scores[i], 0);
    EXPECT_EQ(classes[i], 0);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(boxes[4 * i + k], 0);
  }
  // Deterministic: a second run gives the same detections.
  TFM_ASSERT_OK_AND_ASSIGN(auto again, model.Run({{"normalized_input_image_tensor", image}}, outs));
  for (size_t k = 0; k < outs.size(); ++k) {
    for (int64_t i = 0; i < out[k].NumElements(); ++i) {
      EXPECT_EQ(out[k].data<float>()[i], again[k].data<float>()[i]);
    }
  }
}

}  // namespace
}  // namespace tfmodel
