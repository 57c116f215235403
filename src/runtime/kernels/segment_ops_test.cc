// Tests for segment_ops.cc and scatter_ops.cc. Expected values follow the examples in
// TF's docs (tf.math.segment_sum, tf.math.unsorted_segment_max, tf.scatter_nd,
// tf.tensor_scatter_nd_update) and its kernels' empty-segment / bounds rules.
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunError;
using testing::RunOne;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return Tensor::FromVector(v, s); }
Tensor I(std::vector<int32_t> v) { return Tensor::FromVector(v); }
Tensor L(std::vector<int64_t> v) { return Tensor::FromVector(v); }

// ---- sorted segments ----

TEST(SegmentTest, DocExample) {
  // tf.math.segment_sum(c, [0, 0, 1]) with c = [[1,2,3,4], [4,3,2,1], [5,6,7,8]].
  Tensor c = I({1, 2, 3, 4, 4, 3, 2, 1, 5, 6, 7, 8}, {3, 4});
  ExpectTensorEq(RunOne("SegmentSum", {c, I({0, 0, 1})}), I({5, 5, 5, 5, 5, 6, 7, 8}, {2, 4}));
  ExpectTensorEq(RunOne("SegmentProd", {c, I({0, 0, 1})}), I({4, 6, 6, 4, 5, 6, 7, 8}, {2, 4}));
  ExpectTensorEq(RunOne("SegmentMax", {c, L({0, 0, 1})}), I({4, 3, 3, 4, 5, 6, 7, 8}, {2, 4}));
  ExpectTensorEq(RunOne("SegmentMin", {c, I({0, 0, 1})}), I({1, 2, 2, 1, 5, 6, 7, 8}, {2, 4}));
  // Integer mean truncates: (1+4)/2 = 2.
  ExpectTensorEq(RunOne("SegmentMean", {c, I({0, 0, 1})}), I({2, 2, 2, 2, 5, 6, 7, 8}, {2, 4}));
}

TEST(SegmentTest, GapsHoldTheIdentity) {
  Tensor x = F({1, 2, 3}, {3});
  ExpectTensorEq(RunOne("SegmentSum", {x, I({0, 2, 2})}), F({1, 0, 5}, {3}));
  ExpectTensorEq(RunOne("SegmentProd", {x, I({0, 2, 2})}), F({1, 1, 6}, {3}));
  ExpectTensorEq(RunOne("SegmentMean", {x, I({0, 2, 2})}), F({1, 0, 2.5f}, {3}));
  // TF's sorted kernels write 0 into empty Max/Min segments (the unsorted ones the
  // lowest/highest value, see UnsortedSegmentTest).
  ExpectTensorEq(RunOne("SegmentMax", {x, I({0, 2, 2})}), F({1, 0, 3}, {3}));
  ExpectTensorEq(RunOne("SegmentMin", {x, I({1, 1, 1})}), F({0, 1}, {2}));
  ExpectTensorEq(RunOne("SegmentMin", {Tensor::FromVector<int32_t>({-4, 9}), I({0, 2})}),
                 Tensor::FromVector<int32_t>({-4, 0, 9}));
  ExpectTensorEq(RunOne("SegmentSum", {F({}, {0, 2}), I({})}), F({}, {0, 2}));
}

TEST(SegmentTest, Errors) {
  Tensor x = F({1, 2, 3}, {3});
  EXPECT_THAT(RunError("SegmentSum", {x, I({1, 0, 2})}),
              HasSubstr("segment ids are not increasing"));
  EXPECT_THAT(RunError("SegmentSum", {x, I({-1, 0, 0})}), HasSubstr("segment ids must be >= 0"));
  EXPECT_THAT(RunError("SegmentSum", {x, I({0, 0})}),
              HasSubstr("segment_ids should be the same size as dimension 0 of input"));
  EXPECT_THAT(RunError("SegmentSum", {x, I({0, 0, 0}, {3, 1})}),
              HasSubstr("segment_ids should be a vector"));
  EXPECT_THAT(RunError("SegmentMax", {Tensor::FromVector<complex64>({{1, 1}}), I({0})}),
              HasSubstr("unsupported dtype complex64"));
  // A huge id fails cleanly instead of allocating.
  EXPECT_THAT(RunError("SegmentSum", {x, L({0, 0, int64_t{1} << 50})}),
              HasSubstr("invalid output shape"));
}

TEST(SegmentTest, IntegerSumWraps) {
  ExpectTensorEq(RunOne("SegmentSum", {I({2147483647, 1}), I({0, 0})}), I({-2147483647 - 1}));
}

// ---- unsorted segments ----

TEST(UnsortedSegmentTest, DocExampleAndNegativeIds) {
  Tensor c = I({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 4});
  // tf.math.unsorted_segment_sum(c, [0, 1, 0], 2).
  ExpectTensorEq(RunOne("UnsortedSegmentSum", {c, I({0, 1, 0}), Tensor::Scalar<int32_t>(2)}),
                 I({10, 12, 14, 16, 5, 6, 7, 8}, {2, 4}));
  // A negative id drops its row; segment 1 stays empty (lowest int for Max).
  ExpectTensorEq(RunOne("UnsortedSegmentMax", {c, I({0, -1, 0}), Tensor::Scalar<int64_t>(2)}),
                 I({9, 10, 11, 12, std::numeric_limits<int32_t>::lowest(),
                    std::numeric_limits<int32_t>::lowest(), std::numeric_limits<int32_t>::lowest(),
                    std::numeric_limits<int32_t>::lowest()},
                   {2, 4}));
  ExpectTensorEq(
      RunOne("UnsortedSegmentMin", {I({5, 3, 4}), I({1, 1, 0}), Tensor::Scalar<int32_t>(2)}),
      I({4, 3}));
  ExpectTensorEq(
      RunOne("UnsortedSegmentProd", {F({2, 3, 4}, {3}), I({1, 1, 1}), Tensor::Scalar<int32_t>(3)}),
      F({1, 24, 1}, {3}));
}

TEST(UnsortedSegmentTest, MultiDimIds) {
  // ids [2, 2] index the first two dims of data [2, 2, 1].
  Tensor data = F({1, 2, 3, 4}, {2, 2, 1});
  ExpectTensorEq(
      RunOne("UnsortedSegmentSum", {data, I({0, 1, 1, 0}, {2, 2}), Tensor::Scalar<int32_t>(2)}),
      F({5, 5}, {2, 1}));
}

TEST(UnsortedSegmentTest, Errors) {
  Tensor x = F({1, 2, 3}, {3});
  EXPECT_THAT(RunError("UnsortedSegmentSum", {x, I({0, 3, 1}), Tensor::Scalar<int32_t>(3)}),
              HasSubstr("segment_ids[1] = 3 is out of range [0, 3)"));
  EXPECT_THAT(RunError("UnsortedSegmentSum", {x, I({0, 0}), Tensor::Scalar<int32_t>(3)}),
              HasSubstr("data.shape = [3] does not start with segment_ids.shape = [2]"));
  EXPECT_THAT(RunError("UnsortedSegmentSum", {x, I({0, 0, 0}), Tensor::Scalar<int32_t>(-1)}),
              HasSubstr("Input num_segments == -1 must not be negative."));
  EXPECT_THAT(RunError("UnsortedSegmentSum", {x, I({0, 0, 0}), I({1})}),
              HasSubstr("num_segments should be a scalar"));
}

// ---- scatter ----

TEST(ScatterNdTest, DocExamples) {
  // tf.scatter_nd([[4], [3], [1], [7]], [9, 10, 11, 12], [8]).
  ExpectTensorEq(RunOne("ScatterNd", {I({4, 3, 1, 7}, {4, 1}), I({9, 10, 11, 12}), I({8})}),
                 I({0, 11, 0, 10, 9, 0, 0, 12}));
  // Slices: indices [[0], [2]] into [4, 2].
  ExpectTensorEq(RunOne("ScatterNd", {I({0, 2}, {2, 1}), F({1, 2, 3, 4}, {2, 2}), L({4, 2})}),
                 F({1, 2, 0, 0, 3, 4, 0, 0}, {4, 2}));
  // Duplicates add; a 1-D indices vector is a list of scalar indices.
  ExpectTensorEq(RunOne("ScatterNd", {I({1, 1}), F({2, 3}, {2}), I({3})}), F({0, 5, 0}, {3}));
  // Full-depth indices into a matrix.
  ExpectTensorEq(RunOne("ScatterNd", {I({0, 1, 1, 0}, {2, 2}), F({5, 6}, {2}), I({2, 2})}),
                 F({0, 5, 6, 0}, {2, 2}));
}

TEST(ScatterNdTest, Errors) {
  EXPECT_THAT(RunError("ScatterNd", {I({5}, {1, 1}), I({1}), I({4})}),
              HasSubstr("indices[0] = [5] does not index into shape [4]"));
  EXPECT_THAT(RunError("ScatterNd", {I({-1}, {1, 1}), I({1}), I({4})}),
              HasSubstr("indices[0] = [-1] does not index into shape [4]"));
  EXPECT_THAT(RunError("ScatterNd", {I({0}, {1, 1}), I({1, 2}, {1, 2}), I({4})}),
              HasSubstr("must match dimensions"));
  EXPECT_THAT(RunError("ScatterNd", {I({0}, {1, 1}), I({1}), I({0})}),
              HasSubstr("Indices and updates specified for empty output shape"));
  ExpectTensorEq(RunOne("ScatterNd", {I({}, {0, 1}), I({}, {0}), I({0})}), I({}, {0}));
}

TEST(TensorScatterTest, UpdateAddSubMinMax) {
  Tensor t = I({1, 2, 3, 4});
  Tensor idx = I({1, 3}, {2, 1});
  Tensor upd = I({10, 0});
  ExpectTensorEq(RunOne("TensorScatterUpdate", {t, idx, upd}), I({1, 10, 3, 0}));
  ExpectTensorEq(RunOne("TensorScatterAdd", {t, idx, upd}), I({1, 12, 3, 4}));
  ExpectTensorEq(RunOne("ScatterNdNonAliasingAdd", {t, idx, upd}), I({1, 12, 3, 4}));
  ExpectTensorEq(RunOne("TensorScatterSub", {t, idx, upd}), I({1, -8, 3, 4}));
  ExpectTensorEq(RunOne("TensorScatterMin", {t, idx, upd}), I({1, 2, 3, 0}));
  ExpectTensorEq(RunOne("TensorScatterMax", {t, idx, upd}), I({1, 10, 3, 4}));
  // Strings update by value; the last duplicate wins.
  Tensor s = Tensor::FromVector<std::string>({"a", "b"});
  ExpectTensorEq(RunOne("TensorScatterUpdate",
                        {s, I({0, 0}, {2, 1}), Tensor::FromVector<std::string>({"x", "y"})}),
                 Tensor::FromVector<std::string>({"y", "b"}));
  // The input tensor is not modified.
  ExpectTensorEq(t, I({1, 2, 3, 4}));
  EXPECT_THAT(RunError("TensorScatterUpdate", {t, I({4}, {1, 1}), I({1})}),
              HasSubstr("indices[0] = [4] does not index into shape [4]"));
}

}  // namespace
}  // namespace tfmodel::runtime
