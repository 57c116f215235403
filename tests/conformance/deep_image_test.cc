// stfs/deep_image_model (TF 1.8): serving_default takes web-safe base64 JPEG strings, maps
// DecodeBase64 -> DecodeJpeg -> ResizeBilinear over them in a v1 while loop with
// TensorArrays, then a CNN gives `prediction` (ArgMax) and `softmax` ([-1,17]).
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "format/saved_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

using ::testing::HasSubstr;
using testing::Quote;
using testing::RunCommand;
using testing::Testdata;

constexpr char kModel[] = "stfs/deep_image_model/1";

std::string ImageJpeg() {
  auto data = ReadFileToString(Testdata("stfs/requests/image.jpg"));
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : std::string();
}

std::string WebSafe(const std::string& bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);  // no padding, as urlsafe_b64encode().rstrip("=")
  return out;
}

// A different 28x28 gray JPEG (a diagonal bar), encoded here.
std::string OtherJpeg() {
  const int n = 28;
  std::vector<unsigned char> px(n * n);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) px[y * n + x] = std::abs(x - y) < 3 ? 255 : 0;
  }
  return testing::EncodeJpeg(px, n, n, 1, 75);  // libjpeg's default quality
}

Tensor Batch(const std::vector<std::string>& b64) { return Tensor::FromVector<std::string>(b64); }

class DeepImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveTestdata()) GTEST_SKIP() << "testdata folder missing";
    auto m = runtime::Model::LoadSavedModel(Testdata(kModel));
    ASSERT_TRUE(m.ok()) << m.status();
    model_ = std::move(*m);
  }
  std::unique_ptr<runtime::Model> model_;
};

void CheckOutputs(const std::map<std::string, Tensor>& out, int64_t n) {
  const Tensor& pred = out.at("prediction");
  const Tensor& sm = out.at("softmax");
  ASSERT_EQ(pred.dtype(), DType::kInt64);
  ASSERT_EQ(pred.shape(), (TensorShape{n}));
  ASSERT_EQ(sm.dtype(), DType::kFloat);
  ASSERT_EQ(sm.shape(), (TensorShape{n, 17}));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = sm.data<float>() + i * 17;
    double sum = 0;
    for (int k = 0; k < 17; ++k) {
      EXPECT_GE(row[k], 0.0f);
      sum += row[k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << i;
    EXPECT_EQ(pred.data<int64_t>()[i], std::max_element(row, row + 17) - row) << "row " << i;
  }
}

TEST_F(DeepImageTest, OneImage) {
  auto out = model_->RunSignature("serving_default", {{"images", Batch({WebSafe(ImageJpeg())})}});
  ASSERT_TRUE(out.ok()) << out.status();
  CheckOutputs(*out, 1);
}

TEST_F(DeepImageTest, BatchRowsFollowTheirImages) {
  const std::string a = WebSafe(ImageJpeg());
  const std::string b = WebSafe(OtherJpeg());
  auto same = model_->RunSignature("serving_default", {{"images", Batch({a, a, a})}});
  ASSERT_TRUE(same.ok()) << same.status();
  CheckOutputs(*same, 3);
  const Tensor& sm = same->at("softmax");
  for (int i = 1; i < 3; ++i) {
    for (int k = 0; k < 17; ++k) ASSERT_EQ(sm.data<float>()[i * 17 + k], sm.data<float>()[k]);
  }
  auto one_a = model_->RunSignature("serving_default", {{"images", Batch({a})}});
  auto one_b = model_->RunSignature("serving_default", {{"images", Batch({b})}});
  auto mixed = model_->RunSignature("serving_default", {{"images", Batch({b, a, b})}});
  ASSERT_TRUE(one_a.ok() && one_b.ok() && mixed.ok()) << mixed.status();
  CheckOutputs(*mixed, 3);
  const float* m = mixed->at("softmax").data<float>();
  const float* sa = one_a->at("softmax").data<float>();
  const float* sb = one_b->at("softmax").data<float>();
  for (int k = 0; k < 17; ++k) {
    EXPECT_NEAR(m[k], sb[k], 1e-6);
    EXPECT_NEAR(m[17 + k], sa[k], 1e-6);
    EXPECT_NEAR(m[34 + k], sb[k], 1e-6);
  }
  // The softmax can saturate, so check the per-image tensors the loop stacks too.
  const std::string stack = "map/TensorArrayStack/TensorArrayGatherV3:0";
  auto st_mixed = model_->Run({{"model_input_b64_images:0", Batch({b, a, b})}}, {stack});
  auto st_a = model_->Run({{"model_input_b64_images:0", Batch({a})}}, {stack});
  auto st_b = model_->Run({{"model_input_b64_images:0", Batch({b})}}, {stack});
  ASSERT_TRUE(st_mixed.ok() && st_a.ok() && st_b.ok()) << st_mixed.status();
  const int64_t per = 32 * 32 * 3;
  ASSERT_EQ((*st_mixed)[0].shape(), (TensorShape{3, 32, 32, 3}));
  const float* sm3 = (*st_mixed)[0].data<float>();
  int differ = 0;
  for (int64_t i = 0; i < per; ++i) {
    ASSERT_EQ(sm3[i], (*st_b)[0].data<float>()[i]);
    ASSERT_EQ(sm3[per + i], (*st_a)[0].data<float>()[i]);
    ASSERT_EQ(sm3[2 * per + i], (*st_b)[0].data<float>()[i]);
    differ += sm3[i] != sm3[per + i];
  }
  EXPECT_GT(differ, 100);  // the two images really differ
}

// The map's stacked output equals an independent decode (libjpeg, TensorFlow's default
// IFAST DCT and fancy upsampling, gray -> RGB) resized 28 -> 32 with TF1's bilinear
// (align_corners=false: source = dst * in/out).
TEST_F(DeepImageTest, MapOutputIsDecodedAndResizedImage) {
  const std::string jpeg = ImageJpeg();
  auto stacked = model_->Run({{"model_input_b64_images:0", Batch({WebSafe(jpeg)})}},
                             {"map/TensorArrayStack/TensorArrayGatherV3:0"});
  ASSERT_TRUE(stacked.ok()) << stacked.status();
  const Tensor& s = (*stacked)[0];
  ASSERT_EQ(s.dtype(), DType::kFloat);
  ASSERT_EQ(s.shape(), (TensorShape{1, 32, 32, 3}));

  jpeg_decompress_struct c;
  jpeg_error_mgr e;
  c.err = jpeg_std_error(&e);
  jpeg_create_decompress(&c);
  jpeg_mem_src(&c, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size());
  jpeg_read_header(&c, TRUE);
  c.out_color_space = JCS_RGB;
  c.dct_method = JDCT_IFAST;
  c.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&c);
  const int h = static_cast<int>(c.output_height), w = static_cast<int>(c.output_width);
  ASSERT_EQ(h, 28);
  ASSERT_EQ(w, 28);
  std::vector<unsigned char> img(static_cast<size_t>(h) * w * 3);
  while (c.output_scanline < c.output_height) {
    JSAMPROW row = &img[static_cast<size_t>(c.output_scanline) * w * 3];
    jpeg_read_scanlines(&c, &row, 1);
  }
  jpeg_finish_decompress(&c);
  jpeg_destroy_decompress(&c);

  const float scale = 28.0f / 32.0f;
  for (int y = 0; y < 32; ++y) {
    const float iy = y * scale;
    const int y0 = static_cast<int>(std::floor(iy)), y1 = std::min(y0 + 1, h - 1);
    const float ly = iy - y0;
    for (int x = 0; x < 32; ++x) {
      const float ix = x * scale;
      const int x0 = static_cast<int>(std::floor(ix)), x1 = std::min(x0 + 1, w - 1);
      const float lx = ix - x0;
      for (int k = 0; k < 3; ++k) {
        auto p = [&](int yy, int xx) { return static_cast<float>(img[(yy * w + xx) * 3 + k]); };
        const float top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * lx;
        const float bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * lx;
        const float want = top + (bot - top) * ly;
        ASSERT_NEAR(s.data<float>()[(y * 32 + x) * 3 + k], want, 1e-3)
            << "y=" << y << " x=" << x << " c=" << k;
      }
    }
  }
}

// Concurrent runs each get their own TensorArrays and loop frames.
TEST_F(DeepImageTest, ConcurrentRunsAgree) {
  const std::string a = WebSafe(ImageJpeg());
  const std::string b = WebSafe(OtherJpeg());
  const std::string stack = "map/TensorArrayStack/TensorArrayGatherV3:0";
  auto want_ab = model_->Run({{"model_input_b64_images:0", Batch({a, b})}}, {stack, "Softmax:0"});
  auto want_ba = model_->Run({{"model_input_b64_images:0", Batch({b, a})}}, {stack, "Softmax:0"});
  ASSERT_TRUE(want_ab.ok() && want_ba.ok());
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 10; ++r) {
        const bool ab = (t + r) % 2 == 0;
        auto got = model_->Run({{"model_input_b64_images:0", ab ? Batch({a, b}) : Batch({b, a})}},
                               {stack, "Softmax:0"});
        if (!got.ok()) {
          ++failures;
          continue;
        }
        const auto& want = ab ? *want_ab : *want_ba;
        for (int k = 0; k < 2; ++k) {
          const Tensor& g = (*got)[k];
          const Tensor& w = want[k];
          if (g.shape() != w.shape() ||
              !std::equal(g.data<float>(), g.data<float>() + g.NumElements(), w.data<float>())) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(DeepImageTest, BadInputsFailClearly) {
  auto bad_b64 = model_->RunSignature("serving_default", {{"images", Batch({"not*base64!"})}});
  ASSERT_FALSE(bad_b64.ok());
  EXPECT_THAT(bad_b64.status().message(), HasSubstr("DecodeBase64"));
  EXPECT_THAT(bad_b64.status().message(), HasSubstr("Invalid character found in base64."));

  auto not_jpeg = model_->RunSignature(
      "serving_default", {{"images", Batch({WebSafe(ImageJpeg()), WebSafe("plain text")})}});
  ASSERT_FALSE(not_jpeg.ok());
  EXPECT_THAT(not_jpeg.status().message(), HasSubstr("node 'map/while/DecodeJpeg' (DecodeJpeg)"));
  EXPECT_THAT(not_jpeg.status().message(),
              HasSubstr("Unknown image file format (size 10, starting with 'plain text')"));

  std::string jpeg = ImageJpeg();
  auto truncated = model_->RunSignature(
      "serving_default", {{"images", Batch({WebSafe(jpeg.substr(0, jpeg.size() / 2))})}});
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr("Invalid JPEG data, size "));

  // The model still works after failed runs.
  auto ok = model_->RunSignature("serving_default", {{"images", Batch({WebSafe(jpeg)})}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  CheckOutputs(*ok, 1);
}

TEST_F(DeepImageTest, FrozenGraphGivesTheSameOutputs) {
  std::string out = testing::TempDir() + "/deep_image_frozen.pb";
  auto r = RunCommand(absl::StrCat(Quote(testing::TfmodelBinary()),
                                   " freeze --input_saved_model_dir ", Quote(Testdata(kModel)),
                                   " --signature_def serving_default --output_graph ", Quote(out)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto graph = ReadGraphDef(out);
  ASSERT_TRUE(graph.ok()) << graph.status();
  for (const auto& n : graph->node()) {
    EXPECT_NE(n.op(), "VariableV2") << n.name();
    EXPECT_NE(n.op(), "Assign") << n.name();
    EXPECT_NE(n.op(), "RestoreV2") << n.name();
    EXPECT_NE(n.op(), "VarHandleOp") << n.name();
  }
  auto frozen = runtime::Model::LoadGraph(*graph);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  Tensor in = Batch({WebSafe(ImageJpeg()), WebSafe(OtherJpeg())});
  auto got = (*frozen)->Run({{"model_input_b64_images:0", in}}, {"ArgMax:0", "Softmax:0"});
  ASSERT_TRUE(got.ok()) << got.status();
  auto want = model_->RunSignature("serving_default", {{"images", in}});
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ((*got)[0].shape(), (TensorShape{2}));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ((*got)[0].data<int64_t>()[i], want->at("prediction").data<int64_t>()[i]);
  }
  ASSERT_EQ((*got)[1].shape(), (TensorShape{2, 17}));
  for (int i = 0; i < 34; ++i) {
    EXPECT_EQ((*got)[1].data<float>()[i], want->at("softmax").data<float>()[i]) << i;
  }
}

}  // namespace
}  // namespace tfmodel
