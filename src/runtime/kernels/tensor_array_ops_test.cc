// Tests for the TensorArray V3 kernels, run one by one on a shared handle.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::Attrs;
using testing::AttrShape;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor Flow() { return Tensor::Scalar<float>(0.0f); }
Tensor I32(int32_t v) { return Tensor::Scalar<int32_t>(v); }

Attrs TaAttrs(DType dtype, bool dynamic = false, bool clear = true, bool identical = true,
              PartialShape shape = PartialShape()) {
  return {{"dtype", AttrType(dtype)},
          {"element_shape", AttrShape(shape)},
          {"dynamic_size", AttrB(dynamic)},
          {"clear_after_read", AttrB(clear)},
          {"identical_element_shapes", AttrB(identical)},
          {"tensor_array_name", testing::AttrS("")}};
}

Tensor NewArray(int32_t size, const Attrs& a) {
  auto r = RunKernel("TensorArrayV3", {I32(size)}, a);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return Tensor();
  EXPECT_EQ((*r)[0].dtype(), DType::kResource);
  EXPECT_EQ((*r)[1].dtype(), DType::kFloat);
  return (*r)[0];
}

absl::Status Write(const Tensor& h, int32_t i, const Tensor& v) {
  return RunKernel("TensorArrayWriteV3", {h, I32(i), v, Flow()}).status();
}
absl::StatusOr<Tensor> Read(const Tensor& h, int32_t i, DType dtype = DType::kFloat) {
  auto r = RunKernel("TensorArrayReadV3", {h, I32(i), Flow()}, {{"dtype", AttrType(dtype)}});
  if (!r.ok()) return r.status();
  return (*r)[0];
}
absl::StatusOr<Tensor> Gather(const Tensor& h, std::vector<int32_t> idx,
                              PartialShape shape = PartialShape()) {
  auto r = RunKernel("TensorArrayGatherV3", {h, Tensor::FromVector<int32_t>(idx), Flow()},
                     {{"dtype", AttrType(DType::kFloat)}, {"element_shape", AttrShape(shape)}});
  if (!r.ok()) return r.status();
  return (*r)[0];
}
int32_t Size(const Tensor& h) {
  auto r = RunKernel("TensorArraySizeV3", {h, Flow()});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? (*r)[0].scalar<int32_t>() : -1;
}

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }

TEST(TensorArrayTest, WriteReadStack) {
  Tensor h = NewArray(3, TaAttrs(DType::kFloat));
  EXPECT_EQ(Size(h), 3);
  TFM_ASSERT_OK(Write(h, 0, F({1, 2}, {2})));
  TFM_ASSERT_OK(Write(h, 2, F({5, 6}, {2})));
  TFM_ASSERT_OK(Write(h, 1, F({3, 4}, {2})));
  auto g = Gather(h, {0, 1, 2});
  TFM_ASSERT_OK(g.status());
  ExpectTensorEq(*g, F({1, 2, 3, 4, 5, 6}, {3, 2}));
  // clear_after_read: a second read fails.
  auto again = Read(h, 1);
  EXPECT_THAT(again.status().message(),
              HasSubstr("Could not read index 1 twice because it was cleared after a previous "
                        "read (perhaps try setting clear_after_read = false?)."));
  // Written twice / out of range / wrong dtype / incompatible shape.
  EXPECT_THAT(
      Write(h, 0, F({9, 9}, {2})).message(),
      HasSubstr("Could not write to TensorArray index 0 because it has already been read."));
  Tensor h2 = NewArray(2, TaAttrs(DType::kFloat));
  TFM_ASSERT_OK(Write(h2, 0, F({1, 2}, {2})));
  EXPECT_THAT(Write(h2, 0, F({1, 2}, {2})).message(),
              HasSubstr("because it has already been written to."));
  EXPECT_THAT(Write(h2, 2, F({1, 2}, {2})).message(),
              HasSubstr("Tried to write to index 2 but array is not resizeable and size is: 2"));
  EXPECT_THAT(Write(h2, 1, Tensor::FromVector<int32_t>({1, 2})).message(),
              HasSubstr("because the value dtype is int32 but TensorArray dtype is float."));
  EXPECT_THAT(Write(h2, 1, F({1, 2, 3}, {3})).message(),
              HasSubstr("because the value shape is [3] which is incompatible with the "
                        "TensorArray's inferred element shape: [2]"));
  EXPECT_THAT(Read(h2, 5).status().message(),
              HasSubstr("Tried to read from index 5 but array size is: 2"));
  EXPECT_THAT(Read(h2, 0, DType::kInt32).status().message(),
              HasSubstr("TensorArray dtype is float but Op requested dtype int32."));
}

TEST(TensorArrayTest, UnwrittenReadsZerosOnlyWithKnownShape) {
  Tensor known = NewArray(2, TaAttrs(DType::kFloat, false, true, false, PartialShape({2, 1})));
  auto z = Read(known, 1);
  TFM_ASSERT_OK(z.status());
  ExpectTensorEq(*z, F({0, 0}, {2, 1}));
  Tensor unknown = NewArray(2, TaAttrs(DType::kFloat, false, true, false));
  EXPECT_THAT(Read(unknown, 0).status().message(),
              HasSubstr("Could not read from TensorArray index 0.  Furthermore, the element shape "
                        "is not fully defined: <unknown>."));
  // Gathering nothing needs a fully defined element shape.
  Tensor empty = NewArray(0, TaAttrs(DType::kFloat));
  EXPECT_THAT(Gather(empty, {}).status().message(),
              HasSubstr("TensorArray has size zero, but element shape <unknown> is not fully "
                        "defined."));
  auto e = Gather(empty, {}, PartialShape({3}));
  TFM_ASSERT_OK(e.status());
  EXPECT_EQ(e->shape(), (TensorShape{0, 3}));
}

TEST(TensorArrayTest, DynamicSizeScatterConcatSplitClose) {
  Tensor h = NewArray(0, TaAttrs(DType::kFloat, /*dynamic=*/true, /*clear=*/false,
                                 /*identical=*/false));
  TFM_ASSERT_OK(Write(h, 4, F({7}, {1})));
  EXPECT_EQ(Size(h), 5);
  // Scatter rows of a [2,1] value at 0 and 2.
  auto s = RunKernel("TensorArrayScatterV3",
                     {h, Tensor::FromVector<int32_t>({0, 2}), F({1, 3}, {2, 1}), Flow()});
  TFM_ASSERT_OK(s.status());
  // Without clear_after_read, reads repeat.
  for (int k = 0; k < 2; ++k) {
    auto r = Read(h, 2);
    TFM_ASSERT_OK(r.status());
    ExpectTensorEq(*r, F({3}, {1}));
  }
  auto bad = RunKernel("TensorArrayScatterV3",
                       {h, Tensor::FromVector<int32_t>({1}), F({1, 3}, {2, 1}), Flow()});
  EXPECT_THAT(bad.status().message(),
              HasSubstr("Expected len(indices) == values.shape[0], but saw: 1 vs. 2"));

  // Split [1,2,3,4,5,6] into lengths 1,3,2 then concat back.
  Tensor s2 = NewArray(3, TaAttrs(DType::kFloat, false, true, false));
  auto sp = RunKernel("TensorArraySplitV3", {s2, F({1, 2, 3, 4, 5, 6}, {6}),
                                             Tensor::FromVector<int64_t>({1, 3, 2}), Flow()});
  TFM_ASSERT_OK(sp.status());
  auto mid = Read(s2, 1);
  TFM_ASSERT_OK(mid.status());
  ExpectTensorEq(*mid, F({2, 3, 4}, {3}));
  Tensor s3 = NewArray(3, TaAttrs(DType::kFloat, false, true, false));
  TFM_ASSERT_OK(RunKernel("TensorArraySplitV3", {s3, F({1, 2, 3, 4, 5, 6}, {6}),
                                                 Tensor::FromVector<int64_t>({1, 3, 2}), Flow()})
                    .status());
  auto cat = RunKernel(
      "TensorArrayConcatV3", {s3, Flow()},
      {{"dtype", AttrType(DType::kFloat)}, {"element_shape_except0", AttrShape(PartialShape())}});
  TFM_ASSERT_OK(cat.status());
  ExpectTensorEq((*cat)[0], F({1, 2, 3, 4, 5, 6}, {6}));
  ExpectTensorEq((*cat)[1], Tensor::FromVector<int64_t>({1, 3, 2}));
  auto badsplit =
      RunKernel("TensorArraySplitV3", {NewArray(2, TaAttrs(DType::kFloat)), F({1, 2, 3}, {3}),
                                       Tensor::FromVector<int64_t>({1, 1}), Flow()});
  EXPECT_THAT(badsplit.status().message(),
              HasSubstr("Expected sum of lengths to be equal to values.shape[0], but sum of "
                        "lengths is: 2 and value's shape is: [3]"));

  // Strings stack too.
  Tensor strs = NewArray(2, TaAttrs(DType::kString));
  TFM_ASSERT_OK(Write(strs, 0, Tensor::StringScalar("a")));
  TFM_ASSERT_OK(Write(strs, 1, Tensor::StringScalar("bc")));
  auto sg = RunKernel(
      "TensorArrayGatherV3", {strs, Tensor::FromVector<int32_t>({1, 0}), Flow()},
      {{"dtype", AttrType(DType::kString)}, {"element_shape", AttrShape(PartialShape())}});
  TFM_ASSERT_OK(sg.status());
  ExpectTensorEq((*sg)[0], Tensor::FromVector<std::string>({"bc", "a"}));

  TFM_ASSERT_OK(RunKernel("TensorArrayCloseV3", {h}).status());
  EXPECT_THAT(RunKernel("TensorArraySizeV3", {h, Flow()}).status().message(),
              HasSubstr("has already been closed."));
  EXPECT_THAT(RunKernel("TensorArraySizeV3", {Flow(), Flow()}).status().message(),
              HasSubstr("input 0 must be a TensorArray handle"));
  EXPECT_THAT(RunKernel("TensorArrayV3", {I32(-1)}, TaAttrs(DType::kFloat)).status().message(),
              HasSubstr("Size should be >= 0"));
  EXPECT_THAT(
      RunKernel("TensorArrayV3", {I32(2000000000)}, TaAttrs(DType::kFloat)).status().message(),
      HasSubstr("TensorArray size 2000000000 is beyond tfmodel's limit of 16777216 elements"));
  Tensor grow = NewArray(0, TaAttrs(DType::kFloat, /*dynamic=*/true));
  EXPECT_THAT(Write(grow, 2000000000, F({1}, {1})).message(),
              HasSubstr("Tried to write to index 2000000000, beyond tfmodel's limit"));
}

}  // namespace
}  // namespace tfmodel::runtime
