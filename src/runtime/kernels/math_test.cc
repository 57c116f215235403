// Unit tests for the math kernels: cwise_binary.cc, cwise_unary.cc, reduction.cc and
// the broadcasting helper broadcast.h.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/kernel.h"
#include "runtime/kernels/broadcast.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::AttrType;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

template <typename T>
Tensor T1(std::vector<T> v) {
  return Tensor::FromVector<T>(v);
}
template <typename T>
Tensor TS(std::vector<T> v, TensorShape s) {
  return Tensor::FromVector<T>(v, s);
}
Tensor F(std::vector<float> v, TensorShape s) { return TS<float>(v, s); }
Tensor I(std::vector<int32_t> v, TensorShape s) { return TS<int32_t>(v, s); }
Tensor B(std::vector<bool> v, TensorShape s) {
  Tensor t(DType::kBool, s);
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}

// Runs a one-output kernel and returns output 0 (fails the test on error).
Tensor Run1(const std::string& op, const std::vector<Tensor>& in,
            const testing::Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status();
  if (!r.ok() || r->empty()) return Tensor();
  return (*r)[0];
}

std::string Err(const std::string& op, const std::vector<Tensor>& in,
                const testing::Attrs& attrs = {}) {
  auto r = RunKernel(op, in, attrs);
  EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
  return r.ok() ? "" : std::string(r.status().message());
}

// ---------------- broadcast plan ----------------

TEST(BroadcastTest, CollapsesSameShapeAndScalar) {
  TensorShape a{2, 3, 4}, s{};
  BroadcastPlan p;
  const TensorShape* same[] = {&a, &a};
  ASSERT_TRUE(MakeBroadcastPlan(same, &p).ok());
  EXPECT_TRUE(p.same_shape);
  EXPECT_EQ(p.dims, BroadcastPlan::Dims({24}));
  const TensorShape* sc[] = {&a, &s};
  ASSERT_TRUE(MakeBroadcastPlan(sc, &p).ok());
  EXPECT_FALSE(p.same_shape);
  EXPECT_EQ(p.dims, BroadcastPlan::Dims({24}));
  EXPECT_EQ(p.strides[1], BroadcastPlan::Dims({0}));
}

TEST(BroadcastTest, FastPathEdgeCases) {
  TensorShape empty{0}, ones{1, 1}, s{}, row{1, 3}, col{3, 1};
  BroadcastPlan p;
  const TensorShape* e[] = {&empty, &s};
  ASSERT_TRUE(MakeBroadcastPlan(e, &p).ok());
  EXPECT_EQ(p.out_shape, empty);
  EXPECT_EQ(p.out_elements, 0);
  EXPECT_EQ(p.dims, BroadcastPlan::Dims({0}));
  EXPECT_EQ(p.strides[0], BroadcastPlan::Dims({1}));
  EXPECT_EQ(p.strides[1], BroadcastPlan::Dims({0}));
  EXPECT_FALSE(p.same_shape);
  const TensorShape* o[] = {&ones, &ones};
  ASSERT_TRUE(MakeBroadcastPlan(o, &p).ok());
  EXPECT_TRUE(p.dims.empty());
  EXPECT_TRUE(p.strides[0].empty() && p.strides[1].empty());
  EXPECT_TRUE(p.same_shape);
  const TensorShape* ss[] = {&s, &s};
  ASSERT_TRUE(MakeBroadcastPlan(ss, &p).ok());
  EXPECT_EQ(p.out_shape, s);
  EXPECT_EQ(p.out_elements, 1);
  EXPECT_TRUE(p.dims.empty());
  // Not a fast-path case: [1,3] vs [3,1] -> [3,3].
  const TensorShape* rc[] = {&row, &col};
  ASSERT_TRUE(MakeBroadcastPlan(rc, &p).ok());
  EXPECT_EQ(p.out_shape, TensorShape({3, 3}));
  EXPECT_EQ(p.dims, BroadcastPlan::Dims({3, 3}));
  EXPECT_EQ(p.strides[0], BroadcastPlan::Dims({0, 1}));
  EXPECT_EQ(p.strides[1], BroadcastPlan::Dims({1, 0}));
}

TEST(BroadcastTest, IncompatibleShapes) {
  TensorShape a{2, 3}, b{4};
  BroadcastPlan p;
  const TensorShape* sh[] = {&a, &b};
  absl::Status s = MakeBroadcastPlan(sh, &p);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Incompatible shapes: [2,3] vs. [4]"));
}

// ---------------- binary arithmetic ----------------

TEST(BinaryTest, AddSameShapeAndScalar) {
  ExpectTensorEq(Run1("AddV2", {F({1, 2, 3}, {3}), F({10, 20, 30}, {3})}), F({11, 22, 33}, {3}));
  ExpectTensorEq(Run1("Add", {F({1, 2, 3}, {3}), F({10}, {})}), F({11, 12, 13}, {3}));
  ExpectTensorEq(Run1("Add", {F({10}, {}), F({1, 2, 3}, {3})}), F({11, 12, 13}, {3}));
  ExpectTensorEq(Run1("Add", {F({1}, {}), F({2}, {})}), F({3}, {}));
}

TEST(BinaryTest, BroadcastRowColumnAndND) {
  // [2,3] + [3] (row)
  ExpectTensorEq(Run1("Sub", {F({1, 2, 3, 4, 5, 6}, {2, 3}), F({1, 1, 1}, {3})}),
                 F({0, 1, 2, 3, 4, 5}, {2, 3}));
  // [2,1] * [1,3] (column x row -> outer product)
  ExpectTensorEq(Run1("Mul", {F({1, 2}, {2, 1}), F({1, 10, 100}, {1, 3})}),
                 F({1, 10, 100, 2, 20, 200}, {2, 3}));
  // rank mismatch: [2,1,2] + [3,1]
  ExpectTensorEq(Run1("AddV2", {I({0, 1, 10, 11}, {2, 1, 2}), I({100, 200, 300}, {3, 1})}),
                 I({100, 101, 200, 201, 300, 301, 110, 111, 210, 211, 310, 311}, {2, 3, 2}));
  // middle-dim broadcast: [2,3,2] - [2,1,2]
  ExpectTensorEq(Run1("Sub", {I({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2}),
                              I({1, 2, 7, 8}, {2, 1, 2})}),
                 I({0, 0, 2, 2, 4, 4, 0, 0, 2, 2, 4, 4}, {2, 3, 2}));
}

TEST(BinaryTest, EmptyTensors) {
  Tensor out = Run1("Add", {F({}, {0, 3}), F({1, 2, 3}, {3})});
  EXPECT_EQ(out.shape().ToString(), "[0,3]");
  out = Run1("Mul", {F({}, {2, 0}), F({5}, {})});
  EXPECT_EQ(out.shape().ToString(), "[2,0]");
}

TEST(BinaryTest, Errors) {
  EXPECT_THAT(Err("Add", {F({1, 2, 3, 4, 5, 6}, {2, 3}), F({1, 2}, {2})}),
              HasSubstr("Incompatible shapes: [2,3] vs. [2]"));
  std::string e = Err("Mul", {F({1}, {1}), I({1}, {1})});
  EXPECT_THAT(e, HasSubstr("node 'k' (Mul)"));
  EXPECT_THAT(e, HasSubstr("float and int32"));
  EXPECT_THAT(Err("AddV2", {Tensor::StringScalar("a"), Tensor::StringScalar("b")}),
              HasSubstr("unsupported dtype string"));
  EXPECT_THAT(Err("Sub", {B({true}, {}), B({false}, {})}), HasSubstr("unsupported dtype bool"));
  EXPECT_THAT(Err("Atan2", {I({1}, {}), I({1}, {})}), HasSubstr("unsupported dtype int32"));
}

TEST(BinaryTest, StringAdd) {
  Tensor a = T1<std::string>({"a", "b"});
  Tensor out = Run1("Add", {a, Tensor::StringScalar("!")});
  ExpectTensorEq(out, T1<std::string>({"a!", "b!"}));
}

TEST(BinaryTest, IntegerOverflowWraps) {
  const int32_t kMax = std::numeric_limits<int32_t>::max();
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  ExpectTensorEq(Run1("AddV2", {I({kMax}, {1}), I({1}, {1})}), I({kMin}, {1}));
  ExpectTensorEq(Run1("Sub", {I({kMin}, {1}), I({1}, {1})}), I({kMax}, {1}));
  ExpectTensorEq(Run1("Mul", {I({65536}, {1}), I({65536}, {1})}), I({0}, {1}));
  ExpectTensorEq(Run1("Mul", {TS<uint8_t>({200}, {1}), TS<uint8_t>({2}, {1})}),
                 TS<uint8_t>({144}, {1}));
  ExpectTensorEq(Run1("Mul", {TS<uint16_t>({65535}, {1}), TS<uint16_t>({65535}, {1})}),
                 TS<uint16_t>({1}, {1}));
  ExpectTensorEq(Run1("AddV2", {TS<int8_t>({127}, {1}), TS<int8_t>({1}, {1})}),
                 TS<int8_t>({-128}, {1}));
  ExpectTensorEq(Run1("Pow", {I({2}, {1}), I({32}, {1})}), I({0}, {1}));
}

TEST(BinaryTest, IntegerDivModSigns) {
  Tensor x = I({7, -7, 7, -7}, {4});
  Tensor y = I({2, 2, -2, -2}, {4});
  ExpectTensorEq(Run1("Div", {x, y}), I({3, -3, -3, 3}, {4}));
  ExpectTensorEq(Run1("TruncateDiv", {x, y}), I({3, -3, -3, 3}, {4}));
  ExpectTensorEq(Run1("FloorDiv", {x, y}), I({3, -4, -4, 3}, {4}));
  ExpectTensorEq(Run1("FloorMod", {x, y}), I({1, 1, -1, -1}, {4}));
  ExpectTensorEq(Run1("TruncateMod", {x, y}), I({1, -1, 1, -1}, {4}));
  ExpectTensorEq(Run1("Mod", {x, y}), I({1, -1, 1, -1}, {4}));
  // INT_MIN / -1 wraps instead of trapping.
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  ExpectTensorEq(Run1("FloorDiv", {I({kMin}, {1}), I({-1}, {1})}), I({kMin}, {1}));
  ExpectTensorEq(Run1("FloorMod", {I({kMin}, {1}), I({-1}, {1})}), I({0}, {1}));
  // int64 and unsigned
  ExpectTensorEq(Run1("FloorDiv", {TS<int64_t>({-1}, {1}), TS<int64_t>({3}, {1})}),
                 TS<int64_t>({-1}, {1}));
  ExpectTensorEq(Run1("FloorMod", {TS<uint8_t>({250}, {1}), TS<uint8_t>({7}, {1})}),
                 TS<uint8_t>({5}, {1}));
}

TEST(BinaryTest, IntegerDivisionByZero) {
  for (const char* op :
       {"Div", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod", "Mod", "RealDiv"}) {
    std::string e = Err(op, {I({1, 2}, {2}), I({1, 0}, {2})});
    EXPECT_THAT(e, HasSubstr("Integer division by zero")) << op;
    EXPECT_THAT(e, HasSubstr(op)) << op;
  }
}

TEST(BinaryTest, FloatDivMod) {
  Tensor x = F({7, -7, 7, -7}, {4});
  Tensor y = F({2, 2, -2, -2}, {4});
  ExpectTensorEq(Run1("RealDiv", {x, y}), F({3.5, -3.5, -3.5, 3.5}, {4}));
  ExpectTensorEq(Run1("Div", {x, y}), F({3.5, -3.5, -3.5, 3.5}, {4}));
  ExpectTensorEq(Run1("FloorDiv", {x, y}), F({3, -4, -4, 3}, {4}));
  ExpectTensorEq(Run1("FloorMod", {x, y}), F({1, 1, -1, -1}, {4}));
  ExpectTensorEq(Run1("TruncateMod", {x, y}), F({1, -1, 1, -1}, {4}));
  ExpectTensorEq(Run1("TruncateDiv", {x, y}), F({3, -3, -3, 3}, {4}));
  Tensor z = Run1("RealDiv", {F({1, -1, 0}, {3}), F({0}, {})});
  EXPECT_EQ(z.data<float>()[0], kInf);
  EXPECT_EQ(z.data<float>()[1], -kInf);
  EXPECT_TRUE(std::isnan(z.data<float>()[2]));
  ExpectTensorEq(Run1("FloorMod", {TS<double>({5.5}, {1}), TS<double>({-2}, {1})}),
                 TS<double>({-0.5}, {1}));
}

TEST(BinaryTest, MaximumMinimumNaN) {
  Tensor x = F({1, kNaN, 3, 5}, {4});
  Tensor y = F({2, 1, kNaN, 4}, {4});
  ExpectTensorEq(Run1("Maximum", {x, y}), F({2, kNaN, kNaN, 5}, {4}));
  ExpectTensorEq(Run1("Minimum", {x, y}), F({1, kNaN, kNaN, 4}, {4}));
  ExpectTensorEq(Run1("Maximum", {x, F({2}, {})}), F({2, kNaN, 3, 5}, {4}));
  ExpectTensorEq(Run1("Minimum", {I({1, 5}, {2}), I({3}, {})}), I({1, 3}, {2}));
  // double through the scalar path (broadcast column).
  ExpectTensorEq(Run1("Maximum", {TS<double>({1, 2}, {2, 1}), TS<double>({0, 3}, {1, 2})}),
                 TS<double>({1, 3, 2, 3}, {2, 2}));
}

TEST(BinaryTest, PowAndSquaredDifference) {
  ExpectTensorEq(Run1("Pow", {I({2, 3, -2, 5}, {4}), I({10, 0, 3, 1}, {4})}),
                 I({1024, 1, -8, 5}, {4}));
  EXPECT_THAT(Err("Pow", {I({2}, {1}), I({-1}, {1})}),
              HasSubstr("Integers to negative integer powers are not allowed"));
  ExpectTensorNear(Run1("Pow", {F({2, 4, 9}, {3}), F({0.5}, {})}), F({std::sqrt(2.0f), 2, 3}, {3}));
  ExpectTensorEq(Run1("SquaredDifference", {F({1, 5}, {2}), F({4, 1}, {2})}), F({9, 16}, {2}));
  ExpectTensorEq(Run1("SquaredDifference", {I({1, 5}, {2}), I({4}, {})}), I({9, 1}, {2}));
  ExpectTensorNear(Run1("Atan2", {F({1, 1, -1}, {3}), F({1, -1, 0}, {3})}),
                   F({float(M_PI / 4), float(3 * M_PI / 4), float(-M_PI / 2)}, {3}));
}

TEST(BinaryTest, HalfAndBFloat16) {
  Tensor h(DType::kHalf, {2});
  h.data<Half>()[0] = Half::FromFloat(1.5f);
  h.data<Half>()[1] = Half::FromFloat(-2.0f);
  Tensor out = Run1("Mul", {h, h});
  ASSERT_EQ(out.dtype(), DType::kHalf);
  EXPECT_EQ(out.data<Half>()[0].ToFloat(), 2.25f);
  EXPECT_EQ(out.data<Half>()[1].ToFloat(), 4.0f);
  Tensor b(DType::kBFloat16, {1});
  b.data<BFloat16>()[0] = BFloat16::FromFloat(3.0f);
  Tensor bo = Run1("AddV2", {b, b});
  ASSERT_EQ(bo.dtype(), DType::kBFloat16);
  EXPECT_EQ(bo.data<BFloat16>()[0].ToFloat(), 6.0f);
  Tensor cmp = Run1("Greater", {b, bo});
  ExpectTensorEq(cmp, B({false}, {1}));
}

TEST(BinaryTest, AddN) {
  ExpectTensorEq(Run1("AddN", {F({1, 2}, {2}), F({10, 20}, {2}), F({100, 200}, {2})}),
                 F({111, 222}, {2}));
  ExpectTensorEq(Run1("AddN", {I({std::numeric_limits<int32_t>::max()}, {1}), I({1}, {1})}),
                 I({std::numeric_limits<int32_t>::min()}, {1}));
  ExpectTensorEq(Run1("AddN", {I({4}, {1})}), I({4}, {1}));
  EXPECT_THAT(Err("AddN", {F({1, 2}, {2}), F({1}, {1})}), HasSubstr("same size and shape"));
  EXPECT_THAT(Err("AddN", {F({1}, {1}), I({1}, {1})}), HasSubstr("same dtype"));
}

// ---------------- comparisons & logical ----------------

TEST(CompareTest, AllComparisons) {
  Tensor x = I({1, 2, 3}, {3});
  Tensor y = I({2}, {});
  ExpectTensorEq(Run1("Equal", {x, y}), B({false, true, false}, {3}));
  ExpectTensorEq(Run1("NotEqual", {x, y}), B({true, false, true}, {3}));
  ExpectTensorEq(Run1("Less", {x, y}), B({true, false, false}, {3}));
  ExpectTensorEq(Run1("LessEqual", {x, y}), B({true, true, false}, {3}));
  ExpectTensorEq(Run1("Greater", {x, y}), B({false, false, true}, {3}));
  ExpectTensorEq(Run1("GreaterEqual", {x, y}), B({false, true, true}, {3}));
  // NaN compares unequal to everything.
  ExpectTensorEq(Run1("Equal", {F({kNaN, 1}, {2}), F({kNaN, 1}, {2})}), B({false, true}, {2}));
  ExpectTensorEq(Run1("NotEqual", {F({kNaN}, {1}), F({kNaN}, {1})}), B({true}, {1}));
  ExpectTensorEq(Run1("Less", {F({kNaN}, {1}), F({1}, {1})}), B({false}, {1}));
  // bool equality
  ExpectTensorEq(Run1("Equal", {B({true, false}, {2}), B({true}, {})}), B({true, false}, {2}));
  // broadcasting [2,1] vs [3]
  ExpectTensorEq(Run1("Greater", {I({1, 3}, {2, 1}), I({0, 2, 4}, {3})}),
                 B({true, false, false, true, true, false}, {2, 3}));
}

TEST(CompareTest, Strings) {
  Tensor a = T1<std::string>({"x", "y"});
  ExpectTensorEq(Run1("Equal", {a, Tensor::StringScalar("y")}), B({false, true}, {2}));
  ExpectTensorEq(Run1("NotEqual", {a, Tensor::StringScalar("y")}), B({true, false}, {2}));
  EXPECT_THAT(Err("Less", {a, a}), HasSubstr("unsupported dtype string"));
}

TEST(CompareTest, IncompatibleShapeErrorAttr) {
  Tensor a = I({1, 2, 3}, {3});
  Tensor b = I({1, 2}, {2});
  EXPECT_THAT(Err("Equal", {a, b}), HasSubstr("Incompatible shapes: [3] vs. [2]"));
  ExpectTensorEq(Run1("Equal", {a, b}, {{"incompatible_shape_error", AttrB(false)}}),
                 B({false}, {}));
  ExpectTensorEq(Run1("NotEqual", {a, b}, {{"incompatible_shape_error", AttrB(false)}}),
                 B({true}, {}));
  // Compatible shapes still compare element-wise with the attr off.
  ExpectTensorEq(Run1("Equal", {a, I({2}, {})}, {{"incompatible_shape_error", AttrB(false)}}),
                 B({false, true, false}, {3}));
  EXPECT_THAT(Err("Equal", {a, b}, {{"incompatible_shape_error", AttrI(1)}}),
              HasSubstr("attr 'incompatible_shape_error' is not of type bool"));
}

TEST(LogicalTest, AndOrNot) {
  Tensor x = B({true, true, false, false}, {4});
  Tensor y = B({true, false, true, false}, {4});
  ExpectTensorEq(Run1("LogicalAnd", {x, y}), B({true, false, false, false}, {4}));
  ExpectTensorEq(Run1("LogicalOr", {x, y}), B({true, true, true, false}, {4}));
  ExpectTensorEq(Run1("LogicalNot", {x}), B({false, false, true, true}, {4}));
  ExpectTensorEq(Run1("LogicalAnd", {x, B({true}, {})}), x);
  EXPECT_THAT(Err("LogicalAnd", {I({1}, {1}), I({1}, {1})}), HasSubstr("must be bool"));
  EXPECT_THAT(Err("LogicalNot", {I({1}, {1})}), HasSubstr("must be bool"));
}

// ---------------- Select ----------------

TEST(SelectTest, SameShapeScalarAndVectorCond) {
  Tensor t = I({1, 2, 3, 4}, {2, 2});
  Tensor e = I({10, 20, 30, 40}, {2, 2});
  ExpectTensorEq(Run1("Select", {B({true, false, false, true}, {2, 2}), t, e}),
                 I({1, 20, 30, 4}, {2, 2}));
  ExpectTensorEq(Run1("Select", {B({false}, {}), t, e}), e);
  ExpectTensorEq(Run1("Select", {B({false, true}, {2}), t, e}), I({10, 20, 3, 4}, {2, 2}));
  EXPECT_THAT(Err("Select", {B({true, false, true}, {3}), t, e}),
              HasSubstr("must match size of 'cond'"));
  EXPECT_THAT(Err("Select", {B({true, false}, {2}), t, I({1, 2}, {2})}),
              HasSubstr("'then' and 'else' must have the same size"));
  EXPECT_THAT(Err("Select", {I({1}, {}), t, e}), HasSubstr("condition must be bool"));
  // strings
  ExpectTensorEq(Run1("Select", {B({true, false}, {2}), T1<std::string>({"a", "b"}),
                                 T1<std::string>({"c", "d"})}),
                 T1<std::string>({"a", "d"}));
}

TEST(SelectTest, SelectV2Broadcasts) {
  Tensor cond = B({true, false}, {2, 1});
  ExpectTensorEq(Run1("SelectV2", {cond, F({1, 2, 3}, {3}), F({0}, {})}),
                 F({1, 2, 3, 0, 0, 0}, {2, 3}));
  ExpectTensorEq(Run1("SelectV2", {B({true}, {}), I({1, 2}, {2}), I({5, 6}, {2})}), I({1, 2}, {2}));
  EXPECT_THAT(Err("SelectV2", {B({true, false, true}, {3}), F({1, 2}, {2}), F({0}, {})}),
              HasSubstr("Incompatible shapes: [3] vs. [2] vs. []"));
  EXPECT_THAT(Err("SelectV2", {B({true}, {}), F({1}, {1}), I({1}, {1})}), HasSubstr("same dtype"));
}

// ---------------- unary ----------------

TEST(UnaryTest, ValueChecks) {
  ExpectTensorEq(Run1("Neg", {F({1, -2, 0}, {3})}), F({-1, 2, -0.0f}, {3}));
  ExpectTensorEq(Run1("Abs", {F({1, -2, -kInf}, {3})}), F({1, 2, kInf}, {3}));
  ExpectTensorEq(Run1("Sign", {F({3, -2, 0, kNaN}, {4})}), F({1, -1, 0, kNaN}, {4}));
  ExpectTensorEq(Run1("Sign", {I({3, -2, 0}, {3})}), I({1, -1, 0}, {3}));
  ExpectTensorNear(Run1("Exp", {F({0, 1, -1}, {3})}), F({1, std::exp(1.0f), std::exp(-1.0f)}, {3}));
  ExpectTensorNear(Run1("Expm1", {F({0, 1e-5f}, {2})}), F({0, std::expm1(1e-5f)}, {2}));
  ExpectTensorNear(Run1("Log", {F({1, std::exp(2.0f)}, {2})}), F({0, 2}, {2}));
  ExpectTensorEq(Run1("Log", {F({0, -1}, {2})}), F({-kInf, kNaN}, {2}));
  ExpectTensorNear(Run1("Log1p", {F({0, 1e-6f}, {2})}), F({0, std::log1p(1e-6f)}, {2}));
  ExpectTensorNear(Run1("Sqrt", {F({4, 9, 0}, {3})}), F({2, 3, 0}, {3}));
  ExpectTensorNear(Run1("Rsqrt", {F({4, 0.25f}, {2})}), F({0.5, 2}, {2}));
  ExpectTensorEq(Run1("Square", {F({-3, 2}, {2})}), F({9, 4}, {2}));
  ExpectTensorEq(Run1("Square", {I({-3, 65536}, {2})}), I({9, 0}, {2}));
  ExpectTensorEq(Run1("Reciprocal", {F({2, -4}, {2})}), F({0.5, -0.25}, {2}));
  ExpectTensorEq(Run1("Inv", {F({0}, {1})}), F({kInf}, {1}));
  ExpectTensorEq(Run1("Floor", {F({1.5, -1.5}, {2})}), F({1, -2}, {2}));
  ExpectTensorEq(Run1("Ceil", {F({1.5, -1.5}, {2})}), F({2, -1}, {2}));
  ExpectTensorEq(Run1("Round", {F({0.5, 1.5, 2.5, -0.5, -1.5, 2.6, -2.4}, {7})}),
                 F({0, 2, 2, -0.0f, -2, 3, -2}, {7}));
  ExpectTensorEq(Run1("Round", {TS<double>({2.5, 3.5}, {2})}), TS<double>({2, 4}, {2}));
  ExpectTensorEq(Run1("Round", {I({7}, {1})}), I({7}, {1}));
  ExpectTensorEq(Run1("Rint", {F({0.5, 1.5, -2.5}, {3})}), F({0, 2, -2}, {3}));
  ExpectTensorNear(Run1("Sin", {F({0, float(M_PI / 2)}, {2})}), F({0, 1}, {2}));
  ExpectTensorNear(Run1("Cos", {F({0, float(M_PI)}, {2})}), F({1, -1}, {2}));
  ExpectTensorNear(Run1("Tan", {F({0, float(M_PI / 4)}, {2})}), F({0, 1}, {2}));
  ExpectTensorNear(Run1("Asin", {F({1}, {1})}), F({float(M_PI / 2)}, {1}));
  ExpectTensorNear(Run1("Acos", {F({-1}, {1})}), F({float(M_PI)}, {1}));
  ExpectTensorNear(Run1("Atan", {F({1}, {1})}), F({float(M_PI / 4)}, {1}));
  ExpectTensorNear(Run1("Sinh", {F({1}, {1})}), F({std::sinh(1.0f)}, {1}));
  ExpectTensorNear(Run1("Cosh", {F({1}, {1})}), F({std::cosh(1.0f)}, {1}));
  ExpectTensorNear(Run1("Tanh", {F({0, 1, -20}, {3})}), F({0, std::tanh(1.0f), -1}, {3}));
  ExpectTensorNear(Run1("Sigmoid", {F({0, 2, -100, 100}, {4})}),
                   F({0.5, 1 / (1 + std::exp(-2.0f)), 0, 1}, {4}));
  ExpectTensorNear(Run1("Erf", {F({0, 1}, {2})}), F({0, std::erf(1.0f)}, {2}));
  ExpectTensorNear(Run1("Erfc", {F({0, 1}, {2})}), F({1, std::erfc(1.0f)}, {2}));
  ExpectTensorNear(Run1("Exp", {TS<double>({1}, {1})}), TS<double>({M_E}, {1}), 1e-12, 1e-12);
}

TEST(UnaryTest, IntegerWrapAndErrors) {
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  ExpectTensorEq(Run1("Neg", {I({kMin, 5}, {2})}), I({kMin, -5}, {2}));
  ExpectTensorEq(Run1("Abs", {I({kMin, -5}, {2})}), I({kMin, 5}, {2}));
  ExpectTensorEq(Run1("Abs", {TS<int64_t>({-7}, {1})}), TS<int64_t>({7}, {1}));
  EXPECT_THAT(Err("Exp", {I({1}, {1})}), HasSubstr("(Exp): unsupported dtype int32"));
  EXPECT_THAT(Err("Neg", {B({true}, {1})}), HasSubstr("unsupported dtype bool"));
  EXPECT_THAT(Err("Neg", {Tensor::StringScalar("x")}), HasSubstr("unsupported dtype string"));
}

TEST(UnaryTest, ClassifyAndHalf) {
  Tensor x = F({1, kNaN, kInf, -kInf}, {4});
  ExpectTensorEq(Run1("IsNan", {x}), B({false, true, false, false}, {4}));
  ExpectTensorEq(Run1("IsInf", {x}), B({false, false, true, true}, {4}));
  ExpectTensorEq(Run1("IsFinite", {x}), B({true, false, false, false}, {4}));
  EXPECT_THAT(Err("IsNan", {I({1}, {1})}), HasSubstr("unsupported dtype int32"));
  Tensor h(DType::kHalf, {2});
  h.data<Half>()[0] = Half::FromFloat(4.0f);
  h.data<Half>()[1] = Half::FromFloat(kNaN);
  Tensor s = Run1("Sqrt", {h});
  ASSERT_EQ(s.dtype(), DType::kHalf);
  EXPECT_EQ(s.data<Half>()[0].ToFloat(), 2.0f);
  ExpectTensorEq(Run1("IsNan", {h}), B({false, true}, {2}));
}

TEST(UnaryTest, ClipByValue) {
  Tensor t = F({-5, 0, 5, kNaN}, {4});
  ExpectTensorEq(Run1("ClipByValue", {t, F({-1}, {}), F({1}, {})}), F({-1, 0, 1, kNaN}, {4}));
  ExpectTensorEq(Run1("ClipByValue", {I({-5, 0, 5}, {3}), I({-1, 1, 2}, {3}), I({3}, {})}),
                 I({-1, 1, 3}, {3}));
  EXPECT_THAT(Err("ClipByValue", {t, F({-1, 1}, {2}), F({1}, {})}),
              HasSubstr("must be either scalars or have the same shape"));
  EXPECT_THAT(Err("ClipByValue", {t, I({-1}, {}), F({1}, {})}), HasSubstr("same dtype"));
}

// ---------------- Cast ----------------

testing::Attrs CastAttrs(DType src, DType dst, bool truncate = false) {
  return {{"SrcT", AttrType(src)}, {"DstT", AttrType(dst)}, {"Truncate", AttrB(truncate)}};
}

TEST(CastTest, FloatToIntTruncates) {
  Tensor x = F({1.7f, -1.7f, 0.5f, -0.5f}, {4});
  ExpectTensorEq(Run1("Cast", {x}, CastAttrs(DType::kFloat, DType::kInt32)), I({1, -1, 0, 0}, {4}));
  ExpectTensorEq(Run1("Cast", {x}, CastAttrs(DType::kFloat, DType::kInt64)),
                 TS<int64_t>({1, -1, 0, 0}, {4}));
  // Out of range / NaN behave like x86 cvttss2si (TF CPU).
  ExpectTensorEq(
      Run1("Cast", {F({kNaN, 3e9f, -3e9f}, {3})}, CastAttrs(DType::kFloat, DType::kInt32)),
      I({std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::min(),
         std::numeric_limits<int32_t>::min()},
        {3}));
  ExpectTensorEq(
      Run1("Cast", {F({100000.0f, 300.0f}, {2})}, CastAttrs(DType::kFloat, DType::kInt16)),
      TS<int16_t>({-31072, 300}, {2}));
  ExpectTensorEq(Run1("Cast", {F({300.0f, -1.0f}, {2})}, CastAttrs(DType::kFloat, DType::kUInt8)),
                 TS<uint8_t>({44, 255}, {2}));
}

TEST(CastTest, IntBoolAndWidening) {
  ExpectTensorEq(Run1("Cast", {I({0, 2, -1}, {3})}, CastAttrs(DType::kInt32, DType::kBool)),
                 B({false, true, true}, {3}));
  ExpectTensorEq(Run1("Cast", {F({0, 0.1f, kNaN}, {3})}, CastAttrs(DType::kFloat, DType::kBool)),
                 B({false, true, true}, {3}));
  ExpectTensorEq(Run1("Cast", {B({true, false}, {2})}, CastAttrs(DType::kBool, DType::kFloat)),
                 F({1, 0}, {2}));
  ExpectTensorEq(Run1("Cast", {I({300, -1}, {2})}, CastAttrs(DType::kInt32, DType::kUInt8)),
                 TS<uint8_t>({44, 255}, {2}));
  ExpectTensorEq(
      Run1("Cast", {TS<int64_t>({int64_t{1} << 40}, {1})}, CastAttrs(DType::kInt64, DType::kInt32)),
      I({0}, {1}));
  ExpectTensorEq(Run1("Cast", {I({16777217}, {1})}, CastAttrs(DType::kInt32, DType::kFloat)),
                 F({16777216.0f}, {1}));
  ExpectTensorEq(Run1("Cast", {I({7}, {1})}, CastAttrs(DType::kInt32, DType::kInt32)), I({7}, {1}));
}

TEST(CastTest, HalfBFloat16AndTruncate) {
  Tensor x = F({1.0f, 1.00390625f /* 1 + 2^-8 */, 1.01171875f /* 1 + 3*2^-8 */}, {3});
  Tensor b = Run1("Cast", {x}, CastAttrs(DType::kFloat, DType::kBFloat16));
  ASSERT_EQ(b.dtype(), DType::kBFloat16);
  // bfloat16 has 7 mantissa bits: ties round to even.
  EXPECT_EQ(b.data<BFloat16>()[1].ToFloat(), 1.0f);
  EXPECT_EQ(b.data<BFloat16>()[2].ToFloat(), 1.015625f);
  Tensor bt = Run1("Cast", {x}, CastAttrs(DType::kFloat, DType::kBFloat16, /*truncate=*/true));
  EXPECT_EQ(bt.data<BFloat16>()[2].ToFloat(), 1.0078125f);
  Tensor back = Run1("Cast", {b}, CastAttrs(DType::kBFloat16, DType::kFloat));
  ExpectTensorEq(back, F({1.0f, 1.0f, 1.015625f}, {3}));
  Tensor h = Run1("Cast", {I({3, -2}, {2})}, CastAttrs(DType::kInt32, DType::kHalf));
  ASSERT_EQ(h.dtype(), DType::kHalf);
  EXPECT_EQ(h.data<Half>()[0].ToFloat(), 3.0f);
  ExpectTensorEq(Run1("Cast", {h}, CastAttrs(DType::kHalf, DType::kInt64)),
                 TS<int64_t>({3, -2}, {2}));
  // double -> float truncation
  Tensor d = TS<double>({1.0 + 1.5 * std::ldexp(1.0, -24)}, {1});
  EXPECT_EQ(Run1("Cast", {d}, CastAttrs(DType::kDouble, DType::kFloat)).data<float>()[0],
            1.0f + std::ldexp(1.0f, -23));
  EXPECT_EQ(Run1("Cast", {d}, CastAttrs(DType::kDouble, DType::kFloat, true)).data<float>()[0],
            1.0f);
}

TEST(CastTest, Errors) {
  EXPECT_THAT(Err("Cast", {I({1}, {1})}, {{"SrcT", AttrType(DType::kInt32)}}),
              HasSubstr("missing attr 'DstT'"));
  EXPECT_THAT(Err("Cast", {I({1}, {1})}, CastAttrs(DType::kInt32, DType::kString)),
              HasSubstr("Cast to string is not supported"));
  EXPECT_THAT(Err("Cast", {F({1}, {1})}, CastAttrs(DType::kInt32, DType::kFloat)),
              HasSubstr("input has dtype float but SrcT is int32"));
  EXPECT_THAT(Err("Cast", {Tensor::StringScalar("1")}, {{"DstT", AttrType(DType::kInt32)}}),
              HasSubstr("Cast from string to int32 is not supported"));
}

// ---------------- reductions ----------------

testing::Attrs Keep(bool k) { return {{"keep_dims", AttrB(k)}}; }

TEST(ReduceTest, SumAxesAndKeepDims) {
  Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensorEq(Run1("Sum", {x, I({0}, {})}), F({5, 7, 9}, {3}));
  ExpectTensorEq(Run1("Sum", {x, I({1}, {1})}), F({6, 15}, {2}));
  ExpectTensorEq(Run1("Sum", {x, I({-1}, {1})}), F({6, 15}, {2}));
  ExpectTensorEq(Run1("Sum", {x, TS<int64_t>({0, 1}, {2})}), F({21}, {}));
  ExpectTensorEq(Run1("Sum", {x, I({1}, {1})}, Keep(true)), F({6, 15}, {2, 1}));
  ExpectTensorEq(Run1("Sum", {x, I({-2, 1}, {2})}, Keep(true)), F({21}, {1, 1}));
  // No axes: identity.
  ExpectTensorEq(Run1("Sum", {x, I({}, {0})}), x);
  // 3-d, reduce the middle and the outer+inner.
  Tensor y = I({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2});
  ExpectTensorEq(Run1("Sum", {y, I({1}, {})}), I({9, 12, 27, 30}, {2, 2}));
  ExpectTensorEq(Run1("Sum", {y, I({0, 2}, {2})}), I({18, 26, 34}, {3}));
  ExpectTensorEq(Run1("Sum", {y, I({0}, {})}, Keep(true)), I({8, 10, 12, 14, 16, 18}, {1, 3, 2}));
}

TEST(ReduceTest, OtherReducers) {
  Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensorEq(Run1("Mean", {x, I({1}, {})}), F({2, 5}, {2}));
  ExpectTensorEq(Run1("Mean", {I({1, 2, 4, -1, -2, -4}, {2, 3}), I({1}, {})}), I({2, -2}, {2}));
  ExpectTensorEq(Run1("Prod", {x, I({0}, {})}), F({4, 10, 18}, {3}));
  ExpectTensorEq(Run1("Max", {x, I({0}, {})}), F({4, 5, 6}, {3}));
  ExpectTensorEq(Run1("Min", {x, I({1}, {})}), F({1, 4}, {2}));
  ExpectTensorEq(Run1("Max", {I({3, -1, 7}, {3}), I({0}, {})}), I({7}, {}));
  ExpectTensorNear(Run1("EuclideanNorm", {F({3, 4, 0, 5}, {2, 2}), I({1}, {})}), F({5, 5}, {2}));
  ExpectTensorEq(Run1("EuclideanNorm", {I({3, 4}, {2}), I({0}, {})}), I({5}, {}));
  Tensor b = B({true, false, true, true}, {2, 2});
  ExpectTensorEq(Run1("All", {b, I({1}, {})}), B({false, true}, {2}));
  ExpectTensorEq(Run1("Any", {b, I({0}, {})}), B({true, true}, {2}));
  ExpectTensorEq(Run1("Sum", {I({std::numeric_limits<int32_t>::max(), 1}, {2}), I({0}, {})}),
                 I({std::numeric_limits<int32_t>::min()}, {}));
}

TEST(ReduceTest, NaNPropagation) {
  Tensor x = F({1, kNaN, 3, 4}, {2, 2});
  ExpectTensorEq(Run1("Max", {x, I({1}, {})}), F({kNaN, 4}, {2}));
  ExpectTensorEq(Run1("Min", {x, I({0}, {})}), F({1, kNaN}, {2}));
  ExpectTensorEq(Run1("Sum", {x, I({1}, {})}), F({kNaN, 7}, {2}));
}

TEST(ReduceTest, EmptyInputs) {
  Tensor e = F({}, {0, 3});
  ExpectTensorEq(Run1("Sum", {e, I({0}, {})}), F({0, 0, 0}, {3}));
  ExpectTensorEq(Run1("Prod", {e, I({0}, {})}), F({1, 1, 1}, {3}));
  ExpectTensorEq(Run1("Max", {e, I({0}, {})}), F({-kInf, -kInf, -kInf}, {3}));
  ExpectTensorEq(Run1("Min", {e, I({0}, {})}), F({kInf, kInf, kInf}, {3}));
  ExpectTensorEq(Run1("Mean", {e, I({0}, {})}), F({kNaN, kNaN, kNaN}, {3}));
  ExpectTensorEq(Run1("Max", {I({}, {0}), I({0}, {})}),
                 I({std::numeric_limits<int32_t>::lowest()}, {}));
  ExpectTensorEq(Run1("Mean", {I({}, {0}), I({0}, {})}), I({0}, {}));
  ExpectTensorEq(Run1("All", {B({}, {0}), I({0}, {})}), B({true}, {}));
  ExpectTensorEq(Run1("Any", {B({}, {0}), I({0}, {})}), B({false}, {}));
  Tensor r = Run1("Sum", {e, I({1}, {})});
  EXPECT_EQ(r.shape().ToString(), "[0]");
}

TEST(ReduceTest, HalfReduces) {
  Tensor h(DType::kHalf, {3});
  for (int i = 0; i < 3; ++i) h.data<Half>()[i] = Half::FromFloat(float(i + 1));
  Tensor s = Run1("Sum", {h, I({0}, {})});
  ASSERT_EQ(s.dtype(), DType::kHalf);
  EXPECT_EQ(s.data<Half>()[0].ToFloat(), 6.0f);
}

TEST(ReduceTest, Errors) {
  Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_THAT(Err("Sum", {x, I({2}, {})}),
              HasSubstr("Invalid reduction dimension 2 for input with 2 dimension(s)"));
  EXPECT_THAT(Err("Sum", {x, I({-3}, {})}), HasSubstr("Invalid reduction dimension -3"));
  EXPECT_THAT(Err("Sum", {x, I({1, -1}, {2})}), HasSubstr("duplicate dimension: 1"));
  EXPECT_THAT(Err("Sum", {x, F({0}, {})}), HasSubstr("must be int32 or int64"));
  EXPECT_THAT(Err("All", {x, I({0}, {})}), HasSubstr("unsupported dtype float"));
  EXPECT_THAT(Err("Sum", {B({true}, {1}), I({0}, {})}), HasSubstr("unsupported dtype bool"));
  EXPECT_THAT(Err("Sum", {x, I({0}, {})}, {{"keep_dims", AttrI(1)}}), HasSubstr("keep_dims"));
}

TEST(ArgTest, ArgMaxArgMin) {
  Tensor x = F({1, 5, 5, 7, 0, 7}, {2, 3});
  ExpectTensorEq(Run1("ArgMax", {x, I({1}, {})}), TS<int64_t>({1, 0}, {2}));  // ties -> first
  ExpectTensorEq(Run1("ArgMax", {x, I({0}, {})}), TS<int64_t>({1, 0, 1}, {3}));
  ExpectTensorEq(
      Run1("ArgMin", {x, TS<int64_t>({-1}, {})}, {{"output_type", AttrType(DType::kInt32)}}),
      I({0, 1}, {2}));
  ExpectTensorEq(Run1("ArgMax", {I({3, 9, 9}, {3}), I({0}, {})}), TS<int64_t>({1}, {}));
  EXPECT_THAT(Err("ArgMax", {F({}, {0, 3}), I({0}, {})}),
              HasSubstr("Reduction axis 0 is empty in shape [0,3]"));
  EXPECT_THAT(Err("ArgMax", {x, I({2}, {})}),
              HasSubstr("Expected dimension in the range [-2, 2), but got 2"));
  EXPECT_THAT(Err("ArgMax", {x, I({0}, {})}, {{"output_type", AttrType(DType::kFloat)}}),
              HasSubstr("output_type must be int32 or int64"));
  // Empty non-reduced dim is fine: output is empty.
  EXPECT_EQ(Run1("ArgMax", {F({}, {0, 3}), I({1}, {})}).shape().ToString(), "[0]");
}

TEST(ScanTest, CumsumCumprod) {
  Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  ExpectTensorEq(Run1("Cumsum", {x, I({1}, {})}), F({1, 3, 6, 4, 9, 15}, {2, 3}));
  ExpectTensorEq(Run1("Cumsum", {x, I({0}, {})}), F({1, 2, 3, 5, 7, 9}, {2, 3}));
  ExpectTensorEq(Run1("Cumsum", {x, I({-1}, {})}, {{"exclusive", AttrB(true)}}),
                 F({0, 1, 3, 0, 4, 9}, {2, 3}));
  ExpectTensorEq(Run1("Cumsum", {x, I({1}, {})}, {{"reverse", AttrB(true)}}),
                 F({6, 5, 3, 15, 11, 6}, {2, 3}));
  ExpectTensorEq(
      Run1("Cumsum", {x, I({1}, {})}, {{"reverse", AttrB(true)}, {"exclusive", AttrB(true)}}),
      F({5, 3, 0, 11, 6, 0}, {2, 3}));
  ExpectTensorEq(Run1("Cumprod", {I({1, 2, 3, 4}, {4}), TS<int64_t>({0}, {})}),
                 I({1, 2, 6, 24}, {4}));
  ExpectTensorEq(Run1("Cumprod", {I({1, 2, 3, 4}, {4}), I({0}, {})}, {{"exclusive", AttrB(true)}}),
                 I({1, 1, 2, 6}, {4}));
  EXPECT_THAT(Err("Cumsum", {x, I({2}, {})}),
              HasSubstr("Expected scan axis in the range [-2, 2), but got 2"));
  EXPECT_THAT(Err("Cumsum", {x, I({0, 1}, {2})}), HasSubstr("axis must be a scalar"));
  EXPECT_EQ(Run1("Cumsum", {F({}, {0}), I({0}, {})}).shape().ToString(), "[0]");
}

TEST(RegistryTest, AllOpsRegistered) {
  for (const char* op :
       {"Add",           "AddV2",        "Sub",        "Mul",         "RealDiv",
        "Div",           "FloorDiv",     "FloorMod",   "TruncateDiv", "TruncateMod",
        "Mod",           "Maximum",      "Minimum",    "Pow",         "SquaredDifference",
        "AddN",          "Equal",        "NotEqual",   "Less",        "LessEqual",
        "Greater",       "GreaterEqual", "LogicalAnd", "LogicalOr",   "LogicalNot",
        "Select",        "SelectV2",     "Neg",        "Abs",         "Sign",
        "Exp",           "Expm1",        "Log",        "Log1p",       "Sqrt",
        "Rsqrt",         "Square",       "Reciprocal", "Inv",         "Floor",
        "Ceil",          "Round",        "Rint",       "Sin",         "Cos",
        "Tan",           "Asin",         "Acos",       "Atan",        "Atan2",
        "Sinh",          "Cosh",         "Tanh",       "Sigmoid",     "Erf",
        "Erfc",          "IsNan",        "IsInf",      "IsFinite",    "ClipByValue",
        "Cast",          "Sum",          "Mean",       "Max",         "Min",
        "Prod",          "All",          "Any",        "ArgMax",      "ArgMin",
        "EuclideanNorm", "Cumsum",       "Cumprod"}) {
    EXPECT_TRUE(KernelRegistry::Global().Has(op)) << op;
  }
}

}  // namespace
}  // namespace tfmodel::runtime
