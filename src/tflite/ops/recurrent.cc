#include "tflite/ops/recurrent.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"

namespace tfmodel::tflite::rnn {
namespace {

namespace fb = ::tfmodel::tflite_fb;

std::string Dims(const std::vector<int64_t>& d) {
  return absl::StrCat("[", absl::StrJoin(d, ","), "]");
}

bool KindAccepts(OperandKind kind, DType t) {
  switch (kind) {
    case OperandKind::kFloat:
      return t == DType::kFloat;
    case OperandKind::kFloatOrInt8:
      return t == DType::kFloat || t == DType::kInt8;
    case OperandKind::kInt8:
      return t == DType::kInt8;
    case OperandKind::kInt16:
      return t == DType::kInt16;
    case OperandKind::kInt32:
      return t == DType::kInt32;
  }
  return false;
}

const char* KindName(OperandKind kind) {
  switch (kind) {
    case OperandKind::kFloat:
      return "float32";
    case OperandKind::kFloatOrInt8:
      return "float32 or int8";
    case OperandKind::kInt8:
      return "int8";
    case OperandKind::kInt16:
      return "int16";
    case OperandKind::kInt32:
      return "int32";
  }
  return "?";
}

// The int8 weights' single scale (TFLite's hybrid and integer recurrent kernels use
// per-tensor symmetric weights).
absl::Status ReadWeightScale(const OpBuilder& b, size_t i, Operand* o) {
  const QuantParams q = b.InputQuant(i);
  if (!q.present() || !(q.scale[0] > 0) || !std::isfinite(q.scale[0])) {
    return b.Error(absl::StrCat(o->name, " (input ", i, ") has no valid quantization scale"));
  }
  if (q.scale.size() != 1) {
    return b.Unsupported(absl::StrCat(o->name,
                                      " has per-channel scales; TFLite's recurrent "
                                      "kernels take one scale per weights tensor"));
  }
  if (q.zero_point[0] != 0 && o->dtype == DType::kInt8) {
    return b.Unsupported(absl::StrCat(o->name, " has zero point ", q.zero_point[0],
                                      "; int8 weights must be symmetric"));
  }
  o->scale = q.scale[0];
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Activation> FusedActivation(const OpBuilder& b, fb::ActivationFunctionType a) {
  using A = fb::ActivationFunctionType;
  switch (a) {
    case A::NONE:
      return Activation::kNone;
    case A::RELU:
      return Activation::kRelu;
    case A::RELU_N1_TO_1:
      return Activation::kReluN1To1;
    case A::RELU6:
      return Activation::kRelu6;
    case A::TANH:
      return Activation::kTanh;
    case A::SIGN_BIT:
      return Activation::kSignBit;
  }
  return b.Error(absl::StrCat("unknown fused activation ", static_cast<int>(a)));
}

void Apply(Activation a, float* v, int64_t n) {
  switch (a) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) v[i] = std::max(0.0f, v[i]);
      return;
    case Activation::kReluN1To1:
      for (int64_t i = 0; i < n; ++i) v[i] = std::max(-1.0f, std::min(v[i], 1.0f));
      return;
    case Activation::kRelu6:
      for (int64_t i = 0; i < n; ++i) v[i] = std::max(0.0f, std::min(v[i], 6.0f));
      return;
    case Activation::kTanh:
      for (int64_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]);
      return;
    case Activation::kSigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = 1.0f / (1.0f + std::exp(-v[i]));
      return;
    case Activation::kSignBit:
      for (int64_t i = 0; i < n; ++i) v[i] = std::signbit(v[i]) ? 1.0f : 0.0f;
      return;
  }
}

std::vector<int64_t> DeclaredDims(const OpBuilder& b, size_t i) {
  if (const Tensor* c = b.ConstInput(i)) {
    return {c->shape().dim_sizes().begin(), c->shape().dim_sizes().end()};
  }
  return b.has_input(i) ? b.SignatureShape(b.inputs()[i]) : std::vector<int64_t>{};
}

int64_t Operand::size() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

absl::StatusOr<Operand> ReadOperand(OpBuilder& b, size_t i, std::vector<int64_t> dims,
                                    OperandKind kind, const char* what, bool required) {
  Operand o;
  o.name = what;
  if (!b.has_input(i)) {
    if (required) return b.Error(absl::StrCat(what, " (input ", i, ") is missing"));
    return o;
  }
  o.index = static_cast<int>(i);
  o.dims = std::move(dims);
  o.dtype = b.input_type(i);
  if (!KindAccepts(kind, o.dtype)) {
    return b.Unsupported(absl::StrCat(what, " (input ", i, ") is ", DTypeName(o.dtype),
                                      ", expected ", KindName(kind)));
  }
  const Tensor* c = b.ConstInput(i);
  const std::vector<int64_t> declared =
      c ? std::vector<int64_t>(c->shape().dim_sizes().begin(), c->shape().dim_sizes().end())
        : b.SignatureShape(b.inputs()[i]);
  bool shape_ok = declared.size() == o.dims.size();
  for (size_t d = 0; shape_ok && d < declared.size(); ++d) {
    shape_ok = declared[d] == o.dims[d] || (!c && declared[d] < 0);
  }
  if (!shape_ok) {
    return b.Error(absl::StrCat(what, " (input ", i, ") has shape ", Dims(declared), ", expected ",
                                Dims(o.dims)));
  }
  if (o.dtype != DType::kFloat) {
    if (!c) {
      return b.Unsupported(
          absl::StrCat(what, " (input ", i, ") is ", DTypeName(o.dtype), " but not constant"));
    }
    if (o.dtype == DType::kInt8 || o.dtype == DType::kInt16) {
      TFM_RETURN_IF_ERROR(ReadWeightScale(b, i, &o));
    }
  }
  if (c) o.constant = *c;
  if (c && o.dtype == DType::kInt8 && o.dims.size() == 2) {
    const int8_t* q = c->data<int8_t>();
    o.row_sums.assign(static_cast<size_t>(o.dims[0]), 0);
    for (int64_t r = 0; r < o.dims[0]; ++r) {
      for (int64_t k = 0; k < o.dims[1]; ++k) o.row_sums[r] += q[r * o.dims[1] + k];
    }
  }
  return o;
}

absl::StatusOr<const Tensor*> Resolve(const Operand& o, const std::vector<const Tensor*>& in) {
  if (!o.present()) return nullptr;
  if (o.constant.valid()) return &o.constant;
  const Tensor* t = o.index < static_cast<int>(in.size()) ? in[o.index] : nullptr;
  if (!t) return absl::InvalidArgumentError(absl::StrCat(o.name, " has no value"));
  if (t->dtype() != o.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.name, " is ", DTypeName(t->dtype()), ", expected ", DTypeName(o.dtype)));
  }
  if (t->shape().dim_sizes() != absl::Span<const int64_t>(o.dims)) {
    return absl::InvalidArgumentError(
        absl::StrCat(o.name, " has shape ", t->shape().ToString(), ", expected ", Dims(o.dims)));
  }
  return t;
}

absl::StatusOr<const float*> FloatData(const Operand& o, const std::vector<const Tensor*>& in) {
  TFM_ASSIGN_OR_RETURN(const Tensor* t, Resolve(o, in));
  if (!t) return nullptr;
  if (t->dtype() != DType::kFloat) {
    return absl::InvalidArgumentError(absl::StrCat(o.name, " must be float32"));
  }
  return t->data<float>();
}

absl::StatusOr<Matrix> ResolveMatrix(const Operand& o, const std::vector<const Tensor*>& in) {
  Matrix m;
  TFM_ASSIGN_OR_RETURN(const Tensor* t, Resolve(o, in));
  if (!t) return m;
  m.rows = o.dims.size() == 2 ? o.dims[0] : 0;
  m.cols = o.dims.size() == 2 ? o.dims[1] : 0;
  if (t->dtype() == DType::kFloat) {
    m.f = t->data<float>();
  } else if (t->dtype() == DType::kInt8) {
    m.q = t->data<int8_t>();
    m.scale = o.scale;
    m.row_sums = o.row_sums.data();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(o.name, " must be float32 or int8"));
  }
  return m;
}

void QuantizeRow(const float* x, int64_t n, bool asymmetric, QuantizedRow* out) {
  out->q.resize(static_cast<size_t>(n));
  out->zero = std::all_of(x, x + n, [](float v) { return v == 0.0f; });
  out->scale = 1.0f;
  out->zero_point = 0;
  if (out->zero || n == 0) {
    std::fill(out->q.begin(), out->q.end(), 0);
    return;
  }
  const auto [mn, mx] = std::minmax_element(x, x + n);
  if (!asymmetric) {
    const float range = std::max(std::abs(*mn), std::abs(*mx));
    out->scale = range / 127.0f;
    const float inv = 127.0f / range;
    for (int64_t i = 0; i < n; ++i) {
      const float r = std::round(x[i] * inv);
      out->q[i] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
    }
    return;
  }
  const float rmin = std::min(0.0f, *mn);
  const float rmax = std::max(0.0f, *mx);
  if (rmin == rmax) {
    out->scale = 0.0f;
  } else {
    const double scale = static_cast<double>(rmax - rmin) / 255.0;
    const double zp_from_min = -128.0 - rmin / scale;
    const double zp_from_max = 127.0 - rmax / scale;
    const double err_min = 128.0 + std::abs(rmin / scale);
    const double err_max = 127.0 + std::abs(rmax / scale);
    const double zp = err_min < err_max ? zp_from_min : zp_from_max;
    out->zero_point =
        zp < -128.0 ? -128 : (zp > 127.0 ? 127 : static_cast<int32_t>(std::round(zp)));
    out->scale = static_cast<float>(scale);
  }
  const float inv = out->scale == 0.0f ? 0.0f : static_cast<float>(1.0 / out->scale);
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::round(static_cast<float>(out->zero_point) + x[i] * inv);
    out->q[i] = static_cast<int8_t>(std::clamp(r, -128.0f, 127.0f));
  }
}

void Matrix::Accumulate(const float* x, const QuantizedRow* qx, float* out) const {
  if (f) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* w = f + r * cols;
      float dot = 0.0f;
      for (int64_t c = 0; c < cols; ++c) dot += w[c] * x[c];
      out[r] += dot;
    }
    return;
  }
  if (!q || !qx || qx->zero) return;
  const float s = qx->scale * scale;
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t* w = q + r * cols;
    int32_t dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += static_cast<int32_t>(w[c]) * qx->q[c];
    if (qx->zero_point != 0) dot -= row_sums[r] * qx->zero_point;
    out[r] += static_cast<float>(dot) * s;
  }
}

template <typename T>
absl::StatusOr<std::vector<T>> ReadState(const std::vector<const Tensor*>& in, int index, DType dt,
                                         int64_t n, const char* what) {
  const Tensor* t = index >= 0 && index < static_cast<int>(in.size()) ? in[index] : nullptr;
  if (!t) return absl::InvalidArgumentError(absl::StrCat(what, " has no value"));
  if (t->dtype() != dt) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", DTypeName(t->dtype()), ", expected ", DTypeName(dt)));
  }
  if (t->NumElements() != n) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has ", t->NumElements(),
                                                   " elements (shape ", t->shape().ToString(),
                                                   "), expected ", n));
  }
  return std::vector<T>(t->data<T>(), t->data<T>() + n);
}

template absl::StatusOr<std::vector<float>> ReadState<float>(const std::vector<const Tensor*>&, int,
                                                             DType, int64_t, const char*);
template absl::StatusOr<std::vector<int8_t>> ReadState<int8_t>(const std::vector<const Tensor*>&,
                                                               int, DType, int64_t, const char*);
template absl::StatusOr<std::vector<int16_t>> ReadState<int16_t>(const std::vector<const Tensor*>&,
                                                                 int, DType, int64_t, const char*);

}  // namespace tfmodel::tflite::rnn
