// Shape-like builtins: RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, TRANSPOSE, CAST.
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {

PrepareResult PrepareReshape(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  auto s = std::make_shared<TfSteps>(b);
  int shape = s->In(1);
  DType shape_type = b.input_type(1);
  const auto* o = b.op().builtin_options_as_ReshapeOptions();
  const Tensor* shape_const = b.ConstInput(1);
  // No shape input (or an empty constant one): the new_shape option.
  if (shape < 0 || (shape_const && shape_const->NumElements() == 0 && o && o->new_shape())) {
    if (!o || !o->new_shape()) return b.Error("no shape input and no new_shape option");
    std::vector<int32_t> dims(o->new_shape()->begin(), o->new_shape()->end());
    shape = s->Const(Tensor::FromVector<int32_t>(dims));
    shape_type = DType::kInt32;
  }
  auto a = TypeAttrs(b.input_type(0));
  a["Tshape"] = AttrType(shape_type == DType::kInvalid ? DType::kInt32 : shape_type);
  TFM_RETURN_IF_ERROR(s->AddTf("Reshape", std::move(a), {s->In(0), shape}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareSqueeze(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  auto a = TypeAttrs(b.input_type(0));
  std::vector<int64_t> dims;
  if (auto* o = b.op().builtin_options_as_SqueezeOptions(); o && o->squeeze_dims()) {
    dims.assign(o->squeeze_dims()->begin(), o->squeeze_dims()->end());
  }
  a["squeeze_dims"] = AttrIList(dims);
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Squeeze", std::move(a), {s->In(0)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareExpandDims(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tdim"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("ExpandDims", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareShape(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["out_type"] = AttrType(b.output_type(0));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Shape", std::move(a), {s->In(0)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareTranspose(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tperm"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Transpose", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareCast(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  AttrMap a;
  a["SrcT"] = AttrType(b.input_type(0));
  a["DstT"] = AttrType(b.output_type(0));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Cast", std::move(a), {s->In(0)}, {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
