// TensorList kernels one by one, with TensorFlow's edge cases: unset elements, unknown
// and partially known element shapes, empty lists, out-of-range indices, dtype mismatches.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/kernel.h"
#include "runtime/kernels/list_util.h"

namespace tfmodel::runtime {
namespace {

using testing::Attrs;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

Tensor I32(int32_t v) { return Tensor::Scalar<int32_t>(v); }
Tensor Shape(std::vector<int32_t> dims) { return Tensor::FromVector<int32_t>(dims); }
Tensor UnknownShape() { return I32(-1); }
Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }
Attrs Elem(DType d = DType::kFloat) { return {{"element_dtype", AttrType(d)}}; }

// Runs `op` and returns output `i`, failing the test on error.
Tensor Run1(const std::string& op, const std::vector<Tensor>& in, const Attrs& a, int i = 0) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << op << ": " << r.status();
  if (!r.ok() || static_cast<int>(r->size()) <= i) return Tensor();
  return (*r)[i];
}
std::string Err(const std::string& op, const std::vector<Tensor>& in, const Attrs& a) {
  auto r = RunKernel(op, in, a);
  EXPECT_FALSE(r.ok()) << op << " should fail";
  return r.ok() ? "" : std::string(r.status().message());
}

Tensor Reserve(int32_t n, const Tensor& shape, DType d = DType::kFloat) {
  return Run1("TensorListReserve", {shape, I32(n)}, Elem(d));
}
Tensor Set(const Tensor& l, int32_t i, const Tensor& v, const Attrs& a = Elem()) {
  return Run1("TensorListSetItem", {l, I32(i), v}, a);
}
Tensor Get(const Tensor& l, int32_t i, const Tensor& shape = UnknownShape()) {
  return Run1("TensorListGetItem", {l, I32(i), shape}, Elem());
}
Tensor Stack(const Tensor& l, const Tensor& shape = UnknownShape()) {
  return Run1("TensorListStack", {l, shape}, Elem());
}
int32_t Length(const Tensor& l) {
  Tensor t = Run1("TensorListLength", {l}, {});
  return t.valid() ? t.scalar<int32_t>() : -1;
}

TEST(TensorListTest, ReserveReadsUnsetElementsAsZeros) {
  Tensor l = Reserve(3, Shape({2}));
  EXPECT_EQ(Length(l), 3);
  l = Set(l, 1, F({1, 2}, {2}));
  ExpectTensorEq(Stack(l), F({0, 0, 1, 2, 0, 0}, {3, 2}));
  ExpectTensorEq(Get(l, 0), F({0, 0}, {2}));
  ExpectTensorEq(Get(l, 1), F({1, 2}, {2}));
}

TEST(TensorListTest, UnknownElementShapeIsInferredFromSetElements) {
  Tensor l = Reserve(2, UnknownShape());
  // Nothing set and no shape: nothing to read or stack.
  EXPECT_THAT(Err("TensorListGetItem", {l, I32(0), UnknownShape()}, Elem()),
              HasSubstr("element_shape is not fully defined"));
  EXPECT_THAT(Err("TensorListStack", {l, UnknownShape()}, Elem()),
              HasSubstr("only contains uninitialized tensors"));
  // The op's element_shape input suffices.
  ExpectTensorEq(Get(l, 0, Shape({1, 2})), F({0, 0}, {1, 2}));
  l = Set(l, 1, F({5, 6, 7}, {3}));
  ExpectTensorEq(Get(l, 0), F({0, 0, 0}, {3}));
  ExpectTensorEq(Stack(l), F({0, 0, 0, 5, 6, 7}, {2, 3}));
  // A partially known shape merges with the elements': -1 dims come from them.
  Tensor p = Reserve(2, Shape({-1}));
  p = Set(p, 0, F({1, 2}, {2}));
  ExpectTensorEq(Stack(p), F({1, 2, 0, 0}, {2, 2}));
  EXPECT_THAT(Err("TensorListStack", {p, Shape({3})}, Elem()),
              HasSubstr("list element 0 has shape [2], incompatible with the element shape [3]"));
  EXPECT_THAT(Err("TensorListStack", {p, Shape({3, 1})}, Elem()),
              HasSubstr("Incompatible shapes during merge: [3,1] vs. [?]"));
}

TEST(TensorListTest, EmptyListsStackOnlyWithAKnownShape) {
  Tensor e = Run1("EmptyTensorList", {Shape({2}), I32(-1)}, Elem());
  EXPECT_EQ(Length(e), 0);
  ExpectTensorEq(Stack(e), F({}, {0, 2}));
  Tensor u = Run1("EmptyTensorList", {UnknownShape(), I32(-1)}, Elem());
  EXPECT_THAT(Err("TensorListStack", {u, UnknownShape()}, Elem()),
              HasSubstr("Tried to stack elements of an empty list with non-fully-defined"));
  EXPECT_THAT(
      Err("TensorListStack", {e, Shape({2})},
          {{"element_dtype", AttrType(DType::kFloat)}, {"num_elements", testing::AttrI(3)}}),
      HasSubstr("expected a list with 3 elements but got a list with 0"));
  Tensor r0 = Reserve(0, Shape({2}));
  ExpectTensorEq(Stack(r0), F({}, {0, 2}));
}

TEST(TensorListTest, IndicesOutOfRangeAreErrors) {
  Tensor l = Reserve(2, Shape({1}));
  EXPECT_THAT(Err("TensorListGetItem", {l, I32(2), UnknownShape()}, Elem()),
              HasSubstr("Trying to access element 2 in a list with 2 elements."));
  EXPECT_THAT(Err("TensorListGetItem", {l, I32(-1), UnknownShape()}, Elem()),
              HasSubstr("Trying to access element -1"));
  EXPECT_THAT(Err("TensorListSetItem", {l, I32(5), F({1}, {1})}, Elem()),
              HasSubstr("Trying to modify element 5 in a list with 2 elements."));
  EXPECT_THAT(Err("TensorListSetItem", {l, I32(-1), F({1}, {1})}, Elem()),
              HasSubstr("Trying to modify element -1"));
  EXPECT_THAT(Err("TensorListGetItem", {l, Tensor::Scalar<int64_t>(0), UnknownShape()}, Elem()),
              HasSubstr("index must be an int32 scalar"));
  EXPECT_THAT(Err("TensorListReserve", {Shape({1}), I32(-1)}, Elem()),
              HasSubstr("must be a non negative number, but got -1"));
}

TEST(TensorListTest, SetItemCanResizeWhenAsked) {
  Tensor l = Reserve(1, Shape({1}));
  Attrs a = Elem();
  a["resize_if_index_out_of_bounds"] = testing::AttrB(true);
  l = Set(l, 3, F({4}, {1}), a);
  EXPECT_EQ(Length(l), 4);
  ExpectTensorEq(Stack(l), F({0, 0, 0, 4}, {4, 1}));
}

TEST(TensorListTest, DTypeAndShapeMismatchesAreErrors) {
  Tensor l = Reserve(2, Shape({2}));
  EXPECT_THAT(Err("TensorListGetItem", {l, I32(0), UnknownShape()}, Elem(DType::kInt32)),
              HasSubstr("Invalid data types; op elements int32 but list elements float"));
  EXPECT_THAT(Err("TensorListStack", {l, UnknownShape()}, Elem(DType::kInt32)),
              HasSubstr("Invalid data types"));
  EXPECT_THAT(Err("TensorListSetItem", {l, I32(0), Tensor::FromVector<int32_t>({1, 2})},
                  Elem(DType::kFloat)),
              HasSubstr("tried to set int32"));
  EXPECT_THAT(Err("TensorListSetItem", {l, I32(0), F({1, 2, 3}, {3})}, Elem()),
              HasSubstr("Tried to set a tensor with incompatible shape at a list index. Item "
                        "element shape: [3] list shape: [2]"));
  EXPECT_THAT(Err("TensorListLength", {F({1}, {1})}, {}), HasSubstr("must be a TensorList"));
  Tensor not_list(DType::kVariant, TensorShape{});
  not_list.scalar<Variant>().type_name = "Other";
  EXPECT_THAT(Err("TensorListLength", {not_list}, {}),
              HasSubstr("Input handle is not a list. Saw: 'Other'"));
  EXPECT_THAT(Err("TensorListReserve", {I32(3), I32(1)}, Elem()),
              HasSubstr("the only valid scalar shape tensor is the fully unknown shape"));
  EXPECT_THAT(Err("TensorListReserve", {Shape({-2}), I32(1)}, Elem()),
              HasSubstr("dimension -2 must be >= -1"));
}

TEST(TensorListTest, SetItemLeavesTheInputListUnchanged) {
  Tensor l = Reserve(1, Shape({1}));
  Tensor a = Set(l, 0, F({1}, {1}));
  Tensor b = Set(l, 0, F({2}, {1}));
  ExpectTensorEq(Stack(l), F({0}, {1, 1}));
  ExpectTensorEq(Stack(a), F({1}, {1, 1}));
  ExpectTensorEq(Stack(b), F({2}, {1, 1}));
}

// With the input handed over (a forwardable, uniquely held list) SetItem updates the list in
// place; when anything else still refers to the list it writes a copy.
TEST(TensorListTest, SetItemUpdatesInPlaceOnlyWhenItOwnsTheList) {
  const KernelFactory* f = KernelRegistry::Global().Find("TensorListSetItem");
  ASSERT_NE(f, nullptr);
  tensorflow::NodeDef node;
  node.set_name("set");
  node.set_op("TensorListSetItem");
  (*node.mutable_attr())["element_dtype"] = AttrType(DType::kFloat);
  KernelInit init(node, nullptr, 3);
  auto kernel = (*f)(init);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  auto run = [&](Tensor* list, bool forwardable) {
    Tensor idx = I32(0), v = F({7}, {1});
    std::vector<const Tensor*> in = {list, &idx, &v};
    std::vector<Tensor*> fwd = {forwardable ? list : nullptr, nullptr, nullptr};
    std::vector<Tensor> out;
    KernelContext ctx(&node.name(), &node.op(), in, fwd, &out, nullptr, nullptr, nullptr, 1);
    EXPECT_TRUE((*kernel)->Compute(&ctx).ok());
    return out[0];
  };
  auto object = [](const Tensor& t) { return t.scalar<Variant>().value.get(); };

  Tensor owned = Reserve(1, Shape({1}));
  const void* before = object(owned);
  Tensor out = run(&owned, true);
  EXPECT_EQ(object(out), before);  // taken over and changed in place
  ExpectTensorEq(Stack(out), F({7}, {1, 1}));

  Tensor shared = Reserve(1, Shape({1}));
  Tensor other = shared;  // someone else holds the same tensor
  out = run(&shared, true);
  EXPECT_NE(object(out), object(other));
  ExpectTensorEq(Stack(other), F({0}, {1, 1}));

  Tensor list = Reserve(1, Shape({1}));
  Tensor copy = list.DeepCopy();  // a different buffer holding the same list object
  out = run(&copy, true);
  EXPECT_NE(object(out), object(list));
  ExpectTensorEq(Stack(list), F({0}, {1, 1}));
}

TEST(TensorListTest, FromTensorSplitsRows) {
  Tensor t = F({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor l = Run1("TensorListFromTensor", {t, Shape({2})}, Elem());
  EXPECT_EQ(Length(l), 3);
  ExpectTensorEq(Get(l, 2), F({5, 6}, {2}));
  ExpectTensorEq(Stack(l), t);
  EXPECT_THAT(Err("TensorListFromTensor", {t, Shape({3})}, Elem()),
              HasSubstr("Specified a list with shape [3] from a tensor with shape [2]"));
  EXPECT_THAT(Err("TensorListFromTensor", {Tensor::Scalar<float>(1), UnknownShape()}, Elem()),
              HasSubstr("Tensor must be at least a vector"));
  Tensor e = Run1("TensorListFromTensor", {F({}, {0, 4}), Shape({4})}, Elem());
  EXPECT_EQ(Length(e), 0);
  ExpectTensorEq(Stack(e), F({}, {0, 4}));
}

TEST(TensorListTest, ElementShapeReportsUnknownDims) {
  Tensor known = Run1("TensorListElementShape", {Reserve(0, Shape({2, -1}))}, {});
  ExpectTensorEq(known, Tensor::FromVector<int32_t>({2, -1}));
  Tensor unknown = Run1("TensorListElementShape", {Reserve(0, UnknownShape())},
                        {{"shape_type", AttrType(DType::kInt64)}});
  ExpectTensorEq(unknown, Tensor::Scalar<int64_t>(-1));
}

TEST(TensorListTest, PushBackAndPopBack) {
  Tensor l = Run1("EmptyTensorList", {Shape({2}), I32(2)}, Elem());
  l = Run1("TensorListPushBack", {l, F({1, 2}, {2})}, Elem());
  l = Run1("TensorListPushBack", {l, F({3, 4}, {2})}, Elem());
  EXPECT_EQ(Length(l), 2);
  EXPECT_THAT(Err("TensorListPushBack", {l, F({5, 6}, {2})}, Elem()),
              HasSubstr("Tried to push item into a full list list size: 2 max_num_elements: 2"));
  EXPECT_THAT(Err("TensorListPushBack", {l, F({5}, {1})}, Elem()),
              HasSubstr("Tried to append a tensor with incompatible shape"));
  auto popped = RunKernel("TensorListPopBack", {l, UnknownShape()}, Elem());
  ASSERT_TRUE(popped.ok()) << popped.status();
  ExpectTensorEq((*popped)[1], F({3, 4}, {2}));
  EXPECT_EQ(Length((*popped)[0]), 1);
  EXPECT_EQ(Length(l), 2);  // the input list is unchanged
  Tensor empty = Run1("EmptyTensorList", {Shape({2}), I32(-1)}, Elem());
  EXPECT_THAT(Err("TensorListPopBack", {empty, UnknownShape()}, Elem()),
              HasSubstr("Trying to pop from an empty list."));
  // An unset last element pops as zeros of the known shape.
  auto zeros = RunKernel("TensorListPopBack", {Reserve(1, Shape({3})), UnknownShape()}, Elem());
  ASSERT_TRUE(zeros.ok()) << zeros.status();
  ExpectTensorEq((*zeros)[1], F({0, 0, 0}, {3}));
  EXPECT_THAT(Err("EmptyTensorList", {Shape({2}), I32(-2)}, Elem()),
              HasSubstr("max_num_elements must be at least -1"));
}

TEST(TensorListTest, ResizeGrowsWithUnsetAndShrinks) {
  Tensor l = Set(Reserve(2, Shape({1})), 1, F({9}, {1}));
  Tensor grown = Run1("TensorListResize", {l, I32(3)}, {});
  ExpectTensorEq(Stack(grown), F({0, 9, 0}, {3, 1}));
  Tensor shrunk = Run1("TensorListResize", {l, I32(1)}, {});
  ExpectTensorEq(Stack(shrunk), F({0}, {1, 1}));
  EXPECT_THAT(Err("TensorListResize", {l, I32(-1)}, {}), HasSubstr("non-negative"));
}

TEST(TensorListTest, GatherPicksElements) {
  Tensor l = Run1("TensorListFromTensor", {F({1, 2, 3}, {3, 1}), Shape({1})}, Elem());
  ExpectTensorEq(
      Run1("TensorListGather", {l, Tensor::FromVector<int32_t>({2, 0}), UnknownShape()}, Elem()),
      F({3, 1}, {2, 1}));
  EXPECT_THAT(
      Err("TensorListGather", {l, Tensor::FromVector<int32_t>({3}), UnknownShape()}, Elem()),
      HasSubstr("Index 3 out of range; list only has 3 elements."));
  Tensor u = Reserve(2, UnknownShape());
  EXPECT_THAT(Err("TensorListGather", {u, Tensor::FromVector<int32_t>({}), UnknownShape()}, Elem()),
              HasSubstr("Tried to gather 0-elements from a list with non-fully-defined shape"));
  ExpectTensorEq(Run1("TensorListGather", {u, Tensor::FromVector<int32_t>({}), Shape({2})}, Elem()),
                 F({}, {0, 2}));
}

TEST(TensorListTest, ConcatJoinsAlongTheFirstDimension) {
  Tensor l = Reserve(3, Shape({-1, 2}));
  l = Set(l, 0, F({1, 2, 3, 4}, {2, 2}));
  l = Set(l, 2, F({5, 6}, {1, 2}));
  const Tensor no_leading = Tensor::FromVector<int64_t>({});
  Attrs a = Elem();
  // Element 1 is unset, its length must come from leading_dims.
  EXPECT_THAT(Err("TensorListConcatV2", {l, UnknownShape(), no_leading}, a),
              HasSubstr("List contains uninitialized tensor at index 1 but leading_dims has only "
                        "0 elements."));
  auto r = RunKernel("TensorListConcatV2",
                     {l, UnknownShape(), Tensor::FromVector<int64_t>({0, 1, 0})}, a);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], F({1, 2, 3, 4, 0, 0, 5, 6}, {4, 2}));
  ExpectTensorEq((*r)[1], Tensor::FromVector<int64_t>({2, 1, 1}));
  Tensor scalars = Set(Reserve(1, UnknownShape()), 0, Tensor::Scalar<float>(1));
  EXPECT_THAT(Err("TensorListConcatV2", {scalars, UnknownShape(), no_leading}, a),
              HasSubstr("Concat saw a scalar shape at index 0"));
  Tensor empty = Reserve(0, UnknownShape());
  EXPECT_THAT(Err("TensorListConcatV2", {empty, UnknownShape(), no_leading}, a),
              HasSubstr("All except the first dimension must be fully defined"));
  auto e = RunKernel("TensorListConcatV2", {empty, Shape({-1, 3}), no_leading}, a);
  ASSERT_TRUE(e.ok()) << e.status();
  ExpectTensorEq((*e)[0], F({}, {0, 3}));
}

TEST(TensorListTest, SplitAndConcatRoundTrip) {
  Tensor t = F({1, 2, 3, 4, 5}, {5});
  Tensor l =
      Run1("TensorListSplit", {t, Shape({-1}), Tensor::FromVector<int64_t>({2, 0, 3})}, Elem());
  EXPECT_EQ(Length(l), 3);
  ExpectTensorEq(Get(l, 2), F({3, 4, 5}, {3}));
  auto r =
      RunKernel("TensorListConcatV2", {l, UnknownShape(), Tensor::FromVector<int64_t>({})}, Elem());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], t);
  EXPECT_THAT(Err("TensorListSplit", {t, Shape({-1}), Tensor::FromVector<int64_t>({2, 2})}, Elem()),
              HasSubstr("Unused values in tensor. Length of tensor: 5 Values used: 4"));
  EXPECT_THAT(Err("TensorListSplit", {t, Shape({-1}), Tensor::FromVector<int64_t>({6})}, Elem()),
              HasSubstr("Attempting to slice [0, 6] from tensor with length 5"));
  EXPECT_THAT(
      Err("TensorListSplit", {t, Shape({-1}), Tensor::FromVector<int64_t>({-1, 6})}, Elem()),
      HasSubstr("Invalid value in lengths: -1"));
  EXPECT_THAT(Err("TensorListSplit", {t, Shape({}), Tensor::FromVector<int64_t>({5})}, Elem()),
              HasSubstr("requires element_shape to be at least of rank 1"));
}

TEST(TensorListTest, ScatterBuildsAndUpdatesLists) {
  Tensor rows = F({1, 2, 3, 4}, {2, 2});
  Tensor l = Run1("TensorListScatterV2",
                  {rows, Tensor::FromVector<int32_t>({3, 1}), Shape({2}), I32(5)}, Elem());
  EXPECT_EQ(Length(l), 5);
  ExpectTensorEq(Stack(l), F({0, 0, 3, 4, 0, 0, 1, 2, 0, 0}, {5, 2}));
  EXPECT_THAT(Err("TensorListScatterV2",
                  {rows, Tensor::FromVector<int32_t>({3, 5}), Shape({2}), I32(5)}, Elem()),
              HasSubstr("Trying to scatter at index 5 in list with size 5"));
  EXPECT_THAT(Err("TensorListScatterV2",
                  {rows, Tensor::FromVector<int32_t>({-1, 0}), Shape({2}), I32(-1)}, Elem()),
              HasSubstr("must all be non-negative"));
  Tensor grown = Run1("TensorListScatterIntoExistingList",
                      {Reserve(1, Shape({2})), rows, Tensor::FromVector<int32_t>({0, 2})}, Elem());
  ExpectTensorEq(Stack(grown), F({1, 2, 0, 0, 3, 4}, {3, 2}));
  EXPECT_THAT(Err("TensorListScatterIntoExistingList",
                  {Reserve(1, Shape({2})), Tensor::FromVector<int32_t>({1, 2}, TensorShape{1, 2}),
                   Tensor::FromVector<int32_t>({0})},
                  Elem()),
              HasSubstr("Invalid data types; input tensor type: int32 list element_type: float"));
  EXPECT_THAT(Err("TensorListScatterIntoExistingList",
                  {Reserve(1, Shape({2})), rows, Tensor::FromVector<int32_t>({0})}, Elem()),
              HasSubstr("Expected len(indices) == tensor.shape[0], but saw: 1 vs. 2"));
}

TEST(TensorListTest, PushBackBatchAppendsOneRowPerList) {
  Tensor a = Reserve(0, Shape({2}));
  Tensor b = Reserve(1, Shape({2}));
  Tensor handles(DType::kVariant, TensorShape{2});
  handles.data<Variant>()[0] = a.scalar<Variant>();
  handles.data<Variant>()[1] = b.scalar<Variant>();
  Tensor out = Run1("TensorListPushBackBatch", {handles, F({1, 2, 3, 4}, {2, 2})}, Elem());
  ASSERT_EQ(out.NumElements(), 2);
  Tensor la(DType::kVariant, TensorShape{}), lb(DType::kVariant, TensorShape{});
  la.scalar<Variant>() = out.data<Variant>()[0];
  lb.scalar<Variant>() = out.data<Variant>()[1];
  ExpectTensorEq(Stack(la), F({1, 2}, {1, 2}));
  ExpectTensorEq(Stack(lb), F({0, 0, 3, 4}, {2, 2}));
  EXPECT_EQ(Length(a), 0);
  EXPECT_THAT(Err("TensorListPushBackBatch", {handles, F({1, 2}, {1, 2})}, Elem()),
              HasSubstr("Expected tensor.shape[0] == input_handles.size, but saw 1 vs. 2"));
}

TEST(TensorListTest, StringElements) {
  Tensor s = Tensor::FromVector<std::string>({"a", "bc"});
  Tensor l = Run1("TensorListFromTensor", {s, UnknownShape()}, Elem(DType::kString));
  auto r = RunKernel("TensorListStack", {l, UnknownShape()}, Elem(DType::kString));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectTensorEq((*r)[0], s);
}

}  // namespace
}  // namespace tfmodel::runtime
