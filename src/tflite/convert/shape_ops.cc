// Lowerings of TF ops that reshape, join, split, slice, gather, pad or cast tensors.
#include <map>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/convert/lowerings.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;
using B = fb::BuiltinOperator;

namespace {

void Add(Lowering& l, B code, std::vector<int> ins, std::vector<int> outs,
         fb::BuiltinOptionsUnion u = {}) {
  l.AddOp(code, std::move(ins), std::move(outs), std::move(u));
}

std::vector<int> Outputs(Lowering& l, const tensorflow::NodeDef& n, int count) {
  std::vector<int> outs;
  for (int k = 0; k < count; ++k) outs.push_back(l.OutputTensor(n, k));
  return outs;
}

}  // namespace

absl::Status LowerReshape(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  const Tensor* shape = l.ConstInput(n, 1);
  fb::ReshapeOptionsT o;
  int st;
  if (shape) {
    Tensor s32 = ToInt32(*shape);
    o.new_shape.assign(s32.data<int32_t>(), s32.data<int32_t>() + s32.NumElements());
    st = l.ConstTensor(absl::StrCat(n.name(), "/shape"), s32);
  } else {
    TFM_ASSIGN_OR_RETURN(st, l.InputTensor(n, 1));
  }
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::RESHAPE, {x, st}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerSqueeze(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  fb::SqueezeOptionsT o;
  for (int64_t d : IntsOf(n, "squeeze_dims")) o.squeeze_dims.push_back(static_cast<int32_t>(d));
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::SQUEEZE, {x}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerConcat(Lowering& l, const tensorflow::NodeDef& n) {
  const bool v2 = n.op() == "ConcatV2";
  const int N = static_cast<int>(IntOf(n, "N", n.input_size() - 1));
  TFM_ASSIGN_OR_RETURN(int64_t axis, ScalarInt(l.ConstInput(n, v2 ? N : 0)));
  std::vector<int> ins;
  for (int i = 0; i < N; ++i) {
    TFM_ASSIGN_OR_RETURN(int t, l.InputTensor(n, v2 ? i : i + 1));
    ins.push_back(t);
  }
  fb::ConcatenationOptionsT o;
  o.axis = static_cast<int32_t>(axis);
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::CONCATENATION, ins, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerPad(Lowering& l, const tensorflow::NodeDef& n) {
  const bool v1 = n.op() == "Pad";
  std::vector<int> ins;
  for (int i = 0; i < n.input_size() && i < (v1 ? 2 : 3); ++i) {
    TFM_ASSIGN_OR_RETURN(int t, l.InputTensor(n, i));
    ins.push_back(t);
  }
  fb::BuiltinOptionsUnion u;
  if (v1) u.Set(fb::PadOptionsT());
  Add(l, v1 ? B::PAD : B::PADV2, ins, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerStridedSlice(Lowering& l, const tensorflow::NodeDef& n) {
  std::vector<int> ins;
  for (int i = 0; i < 4; ++i) {
    TFM_ASSIGN_OR_RETURN(int t, l.InputTensor(n, i));
    ins.push_back(t);
  }
  fb::StridedSliceOptionsT o;
  o.begin_mask = static_cast<int32_t>(IntOf(n, "begin_mask"));
  o.end_mask = static_cast<int32_t>(IntOf(n, "end_mask"));
  o.ellipsis_mask = static_cast<int32_t>(IntOf(n, "ellipsis_mask"));
  o.new_axis_mask = static_cast<int32_t>(IntOf(n, "new_axis_mask"));
  o.shrink_axis_mask = static_cast<int32_t>(IntOf(n, "shrink_axis_mask"));
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::STRIDED_SLICE, ins, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

// TF ops whose inputs map onto the builtin's inputs one-to-one.
absl::Status LowerDirect(Lowering& l, const tensorflow::NodeDef& n) {
  static const std::map<std::string, B> kOps = {
      {"Transpose", B::TRANSPOSE}, {"ExpandDims", B::EXPAND_DIMS},
      {"Tile", B::TILE},           {"Slice", B::SLICE},
      {"Fill", B::FILL},           {"SplitV", B::SPLIT_V},
      {"GatherNd", B::GATHER_ND},  {"Select", B::SELECT},
      {"SelectV2", B::SELECT_V2}};
  auto it = kOps.find(n.op());
  if (it == kOps.end()) return l.Fail(n, "no direct TFLite builtin");
  TFM_ASSIGN_OR_RETURN(std::vector<int> ins, l.DataInputTensors(n));
  fb::BuiltinOptionsUnion u;
  int num_out = 1;
  if (n.op() == "Transpose") u.Set(fb::TransposeOptionsT());
  if (n.op() == "ExpandDims") u.Set(fb::ExpandDimsOptionsT());
  if (n.op() == "Tile") u.Set(fb::TileOptionsT());
  if (n.op() == "SplitV") {
    fb::SplitVOptionsT o;
    o.num_splits = static_cast<int32_t>(IntOf(n, "num_split", 1));
    num_out = o.num_splits;
    u.Set(o);
  }
  Add(l, it->second, ins, Outputs(l, n, num_out), std::move(u));
  return absl::OkStatus();
}

absl::Status LowerShape(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  fb::ShapeOptionsT o;
  auto it = n.attr().find("out_type");
  o.out_type = it != n.attr().end() && it->second.type() == tensorflow::DT_INT64
                   ? fb::TensorType::INT64
                   : fb::TensorType::INT32;
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::SHAPE, {x}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerCast(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  Add(l, B::CAST, {x}, {l.OutputTensor(n, 0)});
  return absl::OkStatus();
}

absl::Status LowerGather(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int p, l.InputTensor(n, 0));
  TFM_ASSIGN_OR_RETURN(int idx, l.InputTensor(n, 1));
  fb::GatherOptionsT o;
  if (n.op() == "GatherV2") {
    TFM_ASSIGN_OR_RETURN(int64_t axis, ScalarInt(l.ConstInput(n, 2)));
    o.axis = static_cast<int32_t>(axis);
    o.batch_dims = static_cast<int32_t>(IntOf(n, "batch_dims"));
  }
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::GATHER, {p, idx}, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerSplit(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int axis, l.InputTensor(n, 0));
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 1));
  fb::SplitOptionsT o;
  o.num_splits = static_cast<int32_t>(IntOf(n, "num_split", 1));
  std::vector<int> outs = Outputs(l, n, o.num_splits);
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::SPLIT, {axis, x}, outs, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerPack(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(std::vector<int> ins, l.DataInputTensors(n));
  fb::PackOptionsT o;
  o.values_count = static_cast<int32_t>(ins.size());
  o.axis = static_cast<int32_t>(IntOf(n, "axis"));
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::PACK, ins, {l.OutputTensor(n, 0)}, std::move(u));
  return absl::OkStatus();
}

absl::Status LowerUnpack(Lowering& l, const tensorflow::NodeDef& n) {
  TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
  fb::UnpackOptionsT o;
  o.num = static_cast<int32_t>(IntOf(n, "num", 1));
  o.axis = static_cast<int32_t>(IntOf(n, "axis"));
  std::vector<int> outs = Outputs(l, n, o.num);
  fb::BuiltinOptionsUnion u;
  u.Set(o);
  Add(l, B::UNPACK, {x}, outs, std::move(u));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
