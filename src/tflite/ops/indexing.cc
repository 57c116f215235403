// Builtins that join, split, slice, gather, pad, tile or fill tensors: CONCATENATION, PACK,
// UNPACK, SPLIT, SPLIT_V, SLICE, STRIDED_SLICE, GATHER, GATHER_ND, PAD, PADV2, TILE, FILL,
// SELECT, SELECT_V2.
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_check.h"
#include "tflite/quant_math.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {
namespace {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

std::vector<int> AllInputs(const TfSteps& s, const OpBuilder& b) {
  std::vector<int> in;
  for (size_t i = 0; i < b.inputs().size(); ++i) in.push_back(s.In(i));
  return in;
}
std::vector<int> AllOutputs(const TfSteps& s, const OpBuilder& b) {
  std::vector<int> out;
  for (size_t k = 0; k < b.outputs().size(); ++k) out.push_back(s.Out(k));
  return out;
}

}  // namespace

PrepareResult PrepareConcatenation(OpBuilder& b) {
  if (b.outputs().empty() || b.inputs().empty()) return b.Error("needs inputs and an output");
  const auto* o = b.op().builtin_options_as_ConcatenationOptions();
  auto a = TypeAttrs(b.input_type(0));
  a["N"] = AttrI(static_cast<int64_t>(b.inputs().size()));
  a["Tidx"] = AttrType(DType::kInt32);
  auto s = std::make_shared<TfSteps>(b);
  std::vector<int> in = AllInputs(*s, b);
  in.push_back(s->Const(Tensor::Scalar<int32_t>(o ? o->axis() : 0)));
  TFM_RETURN_IF_ERROR(s->AddTf("ConcatV2", std::move(a), std::move(in), {s->Out(0)}));
  if (o) s->AddActivation(o->fused_activation_function(), s->Out(0));
  return s;
}

PrepareResult PreparePack(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const auto* o = b.op().builtin_options_as_PackOptions();
  auto a = TypeAttrs(b.input_type(0));
  a["N"] = AttrI(static_cast<int64_t>(b.inputs().size()));
  a["axis"] = AttrI(o ? o->axis() : 0);
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Pack", std::move(a), AllInputs(*s, b), {s->Out(0)}));
  return s;
}

PrepareResult PrepareUnpack(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(1, 1));
  const auto* o = b.op().builtin_options_as_UnpackOptions();
  auto a = TypeAttrs(b.input_type(0));
  a["num"] = AttrI(static_cast<int64_t>(b.outputs().size()));
  a["axis"] = AttrI(o ? o->axis() : 0);
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Unpack", std::move(a), {s->In(0)}, AllOutputs(*s, b)));
  return s;
}

PrepareResult PrepareSplit(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(1));
  a["num_split"] = AttrI(static_cast<int64_t>(b.outputs().size()));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Split", std::move(a), {s->In(0), s->In(1)}, AllOutputs(*s, b)));
  return s;
}

PrepareResult PrepareSplitV(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tlen"] = AttrType(b.input_type(1));
  a["num_split"] = AttrI(static_cast<int64_t>(b.outputs().size()));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(
      s->AddTf("SplitV", std::move(a), {s->In(0), s->In(1), s->In(2)}, AllOutputs(*s, b)));
  return s;
}

PrepareResult PrepareSlice(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Index"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Slice", std::move(a), {s->In(0), s->In(1), s->In(2)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareStridedSlice(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(4, 1));
  const auto* o = b.op().builtin_options_as_StridedSliceOptions();
  auto a = TypeAttrs(b.input_type(0));
  a["Index"] = AttrType(b.input_type(1));
  a["begin_mask"] = AttrI(o ? o->begin_mask() : 0);
  a["end_mask"] = AttrI(o ? o->end_mask() : 0);
  a["ellipsis_mask"] = AttrI(o ? o->ellipsis_mask() : 0);
  a["new_axis_mask"] = AttrI(o ? o->new_axis_mask() : 0);
  a["shrink_axis_mask"] = AttrI(o ? o->shrink_axis_mask() : 0);
  if (o && o->offset()) return b.Unsupported("offset=true");
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("StridedSlice", std::move(a),
                               {s->In(0), s->In(1), s->In(2), s->In(3)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareGather(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  const auto* o = b.op().builtin_options_as_GatherOptions();
  AttrMap a;
  a["Tparams"] = AttrType(b.input_type(0));
  a["Tindices"] = AttrType(b.input_type(1));
  a["Taxis"] = AttrType(DType::kInt32);
  a["batch_dims"] = AttrI(o ? o->batch_dims() : 0);
  auto s = std::make_shared<TfSteps>(b);
  const int axis = s->Const(Tensor::Scalar<int32_t>(o ? o->axis() : 0));
  TFM_RETURN_IF_ERROR(s->AddTf("GatherV2", std::move(a), {s->In(0), s->In(1), axis}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareGatherNd(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  AttrMap a;
  a["Tparams"] = AttrType(b.input_type(0));
  a["Tindices"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("GatherNd", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PreparePad(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tpaddings"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  const bool has_value = b.code() == B::PADV2 && b.has_input(2);
  if (IsQuantizedTensor(b, b.inputs()[0]) || IsQuantizedTensor(b, b.outputs()[0])) {
    // TFLite pads quantized tensors with the output's zero point (the quantized 0.0), or
    // with PADV2's constant, which must be quantized like the output; values are copied raw,
    // so input and output must share their quantization.
    const QuantParams qi = b.InputQuant(0), qo = b.OutputQuant(0);
    if (b.input_type(0) != b.output_type(0) || !SameQuantParams(qi, qo) || qo.scale.size() != 1) {
      return b.Unsupported(
          "quantized input and output with different types or quantization (TFLite requires "
          "them equal)");
    }
    if (has_value) {
      if (b.input_type(2) != b.output_type(0) || !SameQuantParams(b.InputQuant(2), qo)) {
        return b.Unsupported(
            "the quantized pad value's quantization differs from the output's (TFLite "
            "requires them equal)");
      }
    } else {
      int32_t lo, hi;
      QRange(b.output_type(0), &lo, &hi);
      if (qo.zero_point[0] < lo || qo.zero_point[0] > hi) {
        return b.Error(absl::StrCat("output zero point ", qo.zero_point[0], " is out of range"));
      }
      Tensor zp = Tensor::Empty(b.output_type(0), TensorShape{});
      StoreQ(&zp, 0, static_cast<int32_t>(qo.zero_point[0]));
      const int value = s->Const(std::move(zp));
      TFM_RETURN_IF_ERROR(
          s->AddTf("PadV2", std::move(a), {s->In(0), s->In(1), value}, {s->Out(0)}));
      return s;
    }
  }
  if (has_value) {
    TFM_RETURN_IF_ERROR(
        s->AddTf("PadV2", std::move(a), {s->In(0), s->In(1), s->In(2)}, {s->Out(0)}));
  } else {
    TFM_RETURN_IF_ERROR(s->AddTf("Pad", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  }
  return s;
}

PrepareResult PrepareTile(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(0));
  a["Tmultiples"] = AttrType(b.input_type(1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Tile", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareFill(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(2, 1));
  auto a = TypeAttrs(b.input_type(1));
  a["index_type"] = AttrType(b.input_type(0));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf("Fill", std::move(a), {s->In(0), s->In(1)}, {s->Out(0)}));
  return s;
}

PrepareResult PrepareSelect(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 1));
  auto s = std::make_shared<TfSteps>(b);
  TFM_RETURN_IF_ERROR(s->AddTf(b.code() == B::SELECT ? "Select" : "SelectV2",
                               TypeAttrs(b.input_type(1)), {s->In(0), s->In(1), s->In(2)},
                               {s->Out(0)}));
  return s;
}

}  // namespace tfmodel::tflite
