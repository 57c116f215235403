// `tfmodel inspect model.tflite`: schema version, description, subgraphs with their tensors
// and operators, signature_defs and metadata entries of a TFLite FlatBuffer.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/tflite_cli.h"
#include "format/tflite.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"

namespace tfmodel::cli {
namespace {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string Dims(const std::vector<int64_t>& d) { return "[" + absl::StrJoin(d, ",") + "]"; }

template <typename V>
std::string List(const V* v) {
  if (!v) return "[]";
  std::vector<std::string> parts;
  for (auto x : *v) parts.push_back(absl::StrCat(x));
  return "[" + absl::StrJoin(parts, ", ") + "]";
}

std::string Quantization(const tflite_fb::Tensor& t) {
  const auto* q = t.quantization();
  if (!q) return "";
  std::string s;
  if (q->scale() && q->scale()->size() > 0) {
    absl::StrAppend(&s, "scale ", List(q->scale()), " zero_point ", List(q->zero_point()));
    if (q->scale()->size() > 1)
      absl::StrAppend(&s, " quantized_dimension ", q->quantized_dimension());
  }
  if (q->min() && q->min()->size() > 0) {
    absl::StrAppend(&s, s.empty() ? "" : " ", "min ", List(q->min()), " max ", List(q->max()));
  }
  if (q->details_type() != tflite_fb::QuantizationDetails::NONE) {
    absl::StrAppend(&s, s.empty() ? "" : " ", "custom quantization details");
  }
  return s;
}

// The builtin options of an operator as "key=value" text.
std::string Options(const tflite_fb::Operator& op) {
  using O = tflite_fb::BuiltinOptions;
  auto act = [](tflite_fb::ActivationFunctionType a) {
    return std::string(tflite_fb::EnumNameActivationFunctionType(a));
  };
  auto pad = [](tflite_fb::Padding p) { return std::string(tflite_fb::EnumNamePadding(p)); };
  switch (op.builtin_options_type()) {
    case O::NONE:
      return "";
    case O::Conv2DOptions: {
      const auto* o = op.builtin_options_as_Conv2DOptions();
      return absl::StrCat("padding=", pad(o->padding()), " stride=", o->stride_h(), "x",
                          o->stride_w(), " dilation=", o->dilation_h_factor(), "x",
                          o->dilation_w_factor(),
                          " activation=", act(o->fused_activation_function()));
    }
    case O::DepthwiseConv2DOptions: {
      const auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
      return absl::StrCat("padding=", pad(o->padding()), " stride=", o->stride_h(), "x",
                          o->stride_w(), " depth_multiplier=", o->depth_multiplier(),
                          " dilation=", o->dilation_h_factor(), "x", o->dilation_w_factor(),
                          " activation=", act(o->fused_activation_function()));
    }
    case O::Pool2DOptions: {
      const auto* o = op.builtin_options_as_Pool2DOptions();
      return absl::StrCat("padding=", pad(o->padding()), " stride=", o->stride_h(), "x",
                          o->stride_w(), " filter=", o->filter_height(), "x", o->filter_width(),
                          " activation=", act(o->fused_activation_function()));
    }
    case O::FullyConnectedOptions: {
      const auto* o = op.builtin_options_as_FullyConnectedOptions();
      return absl::StrCat("activation=", act(o->fused_activation_function()),
                          " keep_num_dims=", o->keep_num_dims() ? "true" : "false");
    }
    case O::SoftmaxOptions:
      return absl::StrCat("beta=", op.builtin_options_as_SoftmaxOptions()->beta());
    case O::ConcatenationOptions: {
      const auto* o = op.builtin_options_as_ConcatenationOptions();
      return absl::StrCat("axis=", o->axis(), " activation=", act(o->fused_activation_function()));
    }
    case O::AddOptions:
      return "activation=" + act(op.builtin_options_as_AddOptions()->fused_activation_function());
    case O::SubOptions:
      return "activation=" + act(op.builtin_options_as_SubOptions()->fused_activation_function());
    case O::MulOptions:
      return "activation=" + act(op.builtin_options_as_MulOptions()->fused_activation_function());
    case O::DivOptions:
      return "activation=" + act(op.builtin_options_as_DivOptions()->fused_activation_function());
    case O::ReshapeOptions:
      return "new_shape=" + List(op.builtin_options_as_ReshapeOptions()->new_shape());
    case O::ReducerOptions:
      return absl::StrCat("keep_dims=",
                          op.builtin_options_as_ReducerOptions()->keep_dims() ? "true" : "false");
    case O::SqueezeOptions:
      return "squeeze_dims=" + List(op.builtin_options_as_SqueezeOptions()->squeeze_dims());
    case O::GatherOptions:
      return absl::StrCat("axis=", op.builtin_options_as_GatherOptions()->axis(),
                          " batch_dims=", op.builtin_options_as_GatherOptions()->batch_dims());
    case O::StridedSliceOptions: {
      const auto* o = op.builtin_options_as_StridedSliceOptions();
      return absl::StrCat("begin_mask=", o->begin_mask(), " end_mask=", o->end_mask(),
                          " ellipsis_mask=", o->ellipsis_mask(),
                          " new_axis_mask=", o->new_axis_mask(),
                          " shrink_axis_mask=", o->shrink_axis_mask());
    }
    case O::SplitOptions:
      return absl::StrCat("num_splits=", op.builtin_options_as_SplitOptions()->num_splits());
    case O::PackOptions:
      return absl::StrCat("values_count=", op.builtin_options_as_PackOptions()->values_count(),
                          " axis=", op.builtin_options_as_PackOptions()->axis());
    case O::UnpackOptions:
      return absl::StrCat("num=", op.builtin_options_as_UnpackOptions()->num(),
                          " axis=", op.builtin_options_as_UnpackOptions()->axis());
    case O::BatchMatMulOptions:
      return absl::StrCat("adj_x=", op.builtin_options_as_BatchMatMulOptions()->adj_x(),
                          " adj_y=", op.builtin_options_as_BatchMatMulOptions()->adj_y());
    case O::WhileOptions:
      return absl::StrCat(
          "cond_subgraph=", op.builtin_options_as_WhileOptions()->cond_subgraph_index(),
          " body_subgraph=", op.builtin_options_as_WhileOptions()->body_subgraph_index());
    case O::IfOptions:
      return absl::StrCat(
          "then_subgraph=", op.builtin_options_as_IfOptions()->then_subgraph_index(),
          " else_subgraph=", op.builtin_options_as_IfOptions()->else_subgraph_index());
    default: {
      const int v = static_cast<int>(op.builtin_options_type());
      const char* n = v <= static_cast<int>(O::MAX)
                          ? tflite_fb::EnumNameBuiltinOptions(op.builtin_options_type())
                          : "";
      return (n && *n) ? std::string(n) : absl::StrCat("options type ", v);
    }
  }
}

std::string TensorLabel(const tflite_fb::SubGraph& sg, uint32_t idx) {
  const auto* t = sg.tensors()->Get(idx);
  return absl::StrCat(idx, " (", t->name() ? t->name()->str() : "", ")");
}

void WriteJson(const TfLiteFile& f) {
  const auto& m = f.model();
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("format");
  w.String("tflite");
  w.Key("path");
  w.String(f.name().c_str());
  w.Key("version");
  w.Uint(m.version());
  w.Key("description");
  w.String(m.description() ? m.description()->c_str() : "");
  w.Key("subgraphs");
  w.StartArray();
  for (const auto* sg : *m.subgraphs()) {
    w.StartObject();
    w.Key("name");
    w.String(sg->name() ? sg->name()->c_str() : "");
    auto ints = [&](const char* key, const flatbuffers::Vector<int32_t>* v) {
      w.Key(key);
      w.StartArray();
      if (v)
        for (int32_t x : *v) w.Int(x);
      w.EndArray();
    };
    ints("inputs", sg->inputs());
    ints("outputs", sg->outputs());
    w.Key("tensors");
    w.StartArray();
    if (sg->tensors()) {
      for (const auto* t : *sg->tensors()) {
        w.StartObject();
        w.Key("name");
        w.String(t->name() ? t->name()->c_str() : "");
        w.Key("type");
        w.String(TfLiteTypeName(t->type()).c_str());
        ints("shape", t->shape());
        w.Key("shape_signature");
        w.StartArray();
        for (int64_t d : TfLiteShapeSignature(*t)) w.Int64(d);
        w.EndArray();
        w.Key("buffer");
        w.Uint(t->buffer());
        w.Key("constant");
        w.Bool(!f.BufferData(t->buffer()).empty());
        if (const auto* q = t->quantization(); q && q->scale() && q->scale()->size() > 0) {
          w.Key("quantization");
          w.StartObject();
          w.Key("scale");
          w.StartArray();
          for (float s : *q->scale()) w.Double(s);
          w.EndArray();
          w.Key("zero_point");
          w.StartArray();
          if (q->zero_point())
            for (int64_t z : *q->zero_point()) w.Int64(z);
          w.EndArray();
          w.Key("quantized_dimension");
          w.Int(q->quantized_dimension());
          w.EndObject();
        }
        w.EndObject();
      }
    }
    w.EndArray();
    w.Key("operators");
    w.StartArray();
    if (sg->operators()) {
      for (const auto* op : *sg->operators()) {
        w.StartObject();
        w.Key("op");
        w.String(f.OperatorName(*op).c_str());
        w.Key("version");
        w.Int(m.operator_codes()->Get(op->opcode_index())->version());
        ints("inputs", op->inputs());
        ints("outputs", op->outputs());
        w.Key("options");
        w.String(Options(*op).c_str());
        w.EndObject();
      }
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("signature_defs");
  w.StartArray();
  if (m.signature_defs()) {
    for (const auto* sig : *m.signature_defs()) {
      w.StartObject();
      w.Key("signature_key");
      w.String(sig->signature_key() ? sig->signature_key()->c_str() : "");
      w.Key("subgraph_index");
      w.Uint(sig->subgraph_index());
      for (auto [key, list] : {std::pair{"inputs", sig->inputs()}, {"outputs", sig->outputs()}}) {
        w.Key(key);
        w.StartObject();
        if (list)
          for (const auto* tm : *list) {
            w.Key(tm->name() ? tm->name()->c_str() : "");
            w.Uint(tm->tensor_index());
          }
        w.EndObject();
      }
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("metadata");
  w.StartArray();
  if (m.metadata()) {
    for (const auto* md : *m.metadata()) {
      w.StartObject();
      w.Key("name");
      w.String(md->name() ? md->name()->c_str() : "");
      w.Key("buffer");
      w.Uint(md->buffer());
      w.Key("bytes");
      w.Uint64(f.BufferData(md->buffer()).size());
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  std::printf("%s\n", sb.GetString());
}

}  // namespace

int InspectTfLite(const std::string& path, bool json) {
  auto file = TfLiteFile::Read(path);
  if (!file.ok()) {
    PrintError("inspect", file.status().message());
    return 1;
  }
  const TfLiteFile& f = **file;
  if (json) {
    WriteJson(f);
    return 0;
  }
  const auto& m = f.model();
  std::printf("TFLite model %s (%zu bytes)\n", path.c_str(), f.bytes().size());
  std::printf("  schema version: %u\n", m.version());
  if (m.description()) std::printf("  description: %s\n", m.description()->c_str());
  for (size_t s = 0; s < m.subgraphs()->size(); ++s) {
    const auto& sg = *m.subgraphs()->Get(s);
    std::printf("\nsubgraph %zu%s%s: inputs %s outputs %s\n", s, sg.name() ? " " : "",
                sg.name() ? sg.name()->c_str() : "", List(sg.inputs()).c_str(),
                List(sg.outputs()).c_str());
    std::printf("  tensors:\n");
    if (sg.tensors()) {
      for (size_t i = 0; i < sg.tensors()->size(); ++i) {
        const auto& t = *sg.tensors()->Get(i);
        const auto shape = TfLiteShape(t);
        const auto sig = TfLiteShapeSignature(t);
        const size_t nbytes = f.BufferData(t.buffer()).size();
        std::string line = absl::StrCat("    ", i, ": ", t.name() ? t.name()->str() : "", "  ",
                                        TfLiteTypeName(t.type()), " ", Dims(shape));
        if (sig != shape) absl::StrAppend(&line, " signature ", Dims(sig));
        if (nbytes > 0)
          absl::StrAppend(&line, "  constant (buffer ", t.buffer(), ", ", nbytes, " bytes)");
        if (t.is_variable()) absl::StrAppend(&line, "  variable");
        if (t.sparsity()) absl::StrAppend(&line, "  sparse");
        std::string q = Quantization(t);
        if (!q.empty()) absl::StrAppend(&line, "\n        quantization: ", q);
        std::printf("%s\n", line.c_str());
      }
    }
    std::printf("  operators:\n");
    if (sg.operators()) {
      for (size_t i = 0; i < sg.operators()->size(); ++i) {
        const auto& op = *sg.operators()->Get(i);
        const auto* code = m.operator_codes()->Get(op.opcode_index());
        std::string line = absl::StrCat("    ", i, ": ", f.OperatorName(op));
        if (TfLiteFile::BuiltinCode(*code) == tflite_fb::BuiltinOperator::CUSTOM) {
          absl::StrAppend(&line, " (custom)");
        }
        absl::StrAppend(&line, " v", code->version(), "  inputs ", List(op.inputs()), " outputs ",
                        List(op.outputs()));
        std::string o = Options(op);
        if (!o.empty()) absl::StrAppend(&line, "  ", o);
        std::printf("%s\n", line.c_str());
      }
    }
  }
  std::printf("\nsignature_defs:%s\n",
              m.signature_defs() && m.signature_defs()->size() ? "" : " (none)");
  if (m.signature_defs()) {
    for (const auto* sig : *m.signature_defs()) {
      const auto& sg = *m.subgraphs()->Get(sig->subgraph_index());
      std::printf("  '%s' (subgraph %u):\n",
                  sig->signature_key() ? sig->signature_key()->c_str() : "", sig->subgraph_index());
      for (auto [label, list] : {std::pair{"input", sig->inputs()}, {"output", sig->outputs()}}) {
        if (!list) continue;
        for (const auto* tm : *list) {
          const auto& t = *sg.tensors()->Get(tm->tensor_index());
          std::printf("    %s '%s': tensor %s %s %s\n", label,
                      tm->name() ? tm->name()->c_str() : "",
                      TensorLabel(sg, tm->tensor_index()).c_str(), TfLiteTypeName(t.type()).c_str(),
                      Dims(TfLiteShapeSignature(t)).c_str());
        }
      }
    }
  }
  std::printf("\nmetadata:%s\n", m.metadata() && m.metadata()->size() ? "" : " (none)");
  if (m.metadata()) {
    for (const auto* md : *m.metadata()) {
      absl::string_view data = f.BufferData(md->buffer());
      std::string shown;
      bool printable = !data.empty() && data.size() <= 64;
      for (char c : data) {
        if (!(c >= 32 && c < 127) && c != 0) printable = false;
      }
      if (printable) {
        std::string s(data);
        while (!s.empty() && s.back() == '\0') s.pop_back();
        shown = absl::StrCat(" \"", absl::CEscape(s), "\"");
      }
      std::printf("  %s: buffer %u, %zu bytes%s\n", md->name() ? md->name()->c_str() : "",
                  md->buffer(), data.size(), shown.c_str());
    }
  }
  return 0;
}

}  // namespace tfmodel::cli
