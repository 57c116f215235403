// Einsum with one or two operands, as TF's EinsumOp:
//  - labels are letters; "..." stands for broadcasting dims (right-aligned across the
//    operands, numpy broadcasting between them; the output must then have "..." too);
//  - a label repeated within an operand takes the diagonal ("ii->i", "ii->" is the trace);
//    one repeated in the output writes a diagonal into zeros ("i->ii");
//  - labels found in one operand only and not in the output are summed first; labels in
//    both operands and not the output are contracted through a batched matrix product
//    (the same GEMM as BatchMatMulV2), labels in both and the output are batch dims.
// The equation is parsed and checked once, when the kernel is built. TF's op requires
// "->"; an equation without it gets numpy's implicit output (broadcast dims, then the
// labels used exactly once, in ASCII order: upper case first). Types: float, double,
// half and bfloat16 (computed in float), int32, int64, complex64, complex128.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/matmul.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using array_util::ShapeStr;

constexpr int kEllipsis = -1;
constexpr int kFirstBroadcastLabel = 1000;  // broadcast dim j is label 1000 + j

// One subscript: label ids in order, kEllipsis where "..." stood.
using Subscript = std::vector<int>;

struct Equation {
  std::vector<Subscript> inputs;
  Subscript output;
  bool output_has_ellipsis = false;
  bool implicit = false;
};

// Label ids follow ASCII order (A-Z, then a-z), which the implicit output sorts by.
int LabelId(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' : 26 + (c - 'a'); }
char LabelChar(int id) {
  return id < 26 ? static_cast<char>('A' + id) : static_cast<char>('a' + id - 26);
}

absl::Status ParseSubscript(const std::string& s, const std::string& eq, Subscript* out) {
  bool ellipsis = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (s.compare(i, 3, "...") != 0 || ellipsis) {
        return absl::InvalidArgumentError(absl::StrCat("invalid ellipsis in einsum equation '", eq,
                                                       "': use one '...' per subscript"));
      }
      ellipsis = true;
      out->push_back(kEllipsis);
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      out->push_back(LabelId(c));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid character '", std::string(1, c),
                                                     "' in einsum equation '", eq,
                                                     "': labels must be letters a-z, A-Z"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Equation> ParseEquation(const std::string& raw) {
  std::string eq;
  for (char c : raw) {
    if (c != ' ') eq.push_back(c);
  }
  Equation e;
  const size_t arrow = eq.find("->");
  if (arrow != std::string::npos && eq.find("->", arrow + 2) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expecting exactly one '->' in einsum equation: ", raw));
  }
  const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  std::vector<std::string> parts = absl::StrSplit(lhs, ',');
  if (parts.size() != 1 && parts.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Expecting 1 or 2 input subscripts in equation '", raw, "' but got: ", parts.size()));
  }
  e.inputs.resize(parts.size());
  std::map<int, int> counts;
  bool any_ellipsis = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    TFM_RETURN_IF_ERROR(ParseSubscript(parts[i], raw, &e.inputs[i]));
    for (int l : e.inputs[i]) {
      if (l == kEllipsis) {
        any_ellipsis = true;
      } else {
        ++counts[l];
      }
    }
  }
  if (arrow == std::string::npos) {
    e.implicit = true;
    if (any_ellipsis) e.output.push_back(kEllipsis);
    for (auto [l, n] : counts) {  // std::map iterates ids in ASCII order
      if (n == 1) e.output.push_back(l);
    }
  } else {
    TFM_RETURN_IF_ERROR(ParseSubscript(eq.substr(arrow + 2), raw, &e.output));
  }
  for (int l : e.output) {
    if (l == kEllipsis) {
      e.output_has_ellipsis = true;
    } else if (!counts.count(l)) {
      return absl::InvalidArgumentError(absl::StrCat("einsum equation '", raw, "': output label '",
                                                     std::string(1, LabelChar(l)),
                                                     "' does not appear in any input"));
    }
  }
  return e;
}

// A tensor with one label per axis.
struct Operand {
  Tensor t;
  std::vector<int> labels;
};

// Gathers `in` through strides (transpose, diagonal) into a new contiguous tensor.
absl::StatusOr<Tensor> Gather(const KernelContext* ctx, const Tensor& in,
                              const std::vector<int64_t>& strides, const TensorShape& shape) {
  return array_util::GatherStrided(ctx, in, 0, strides, shape);
}

// Takes diagonals over repeated labels, so every label appears once.
absl::StatusOr<Operand> Diagonal(const KernelContext* ctx, const Operand& op) {
  std::vector<int> uniq;
  std::vector<int64_t> strides;
  TensorShape shape;
  const std::vector<int64_t> in_strides = array_util::Strides(op.t.shape());
  for (size_t a = 0; a < op.labels.size(); ++a) {
    auto it = std::find(uniq.begin(), uniq.end(), op.labels[a]);
    if (it == uniq.end()) {
      uniq.push_back(op.labels[a]);
      strides.push_back(in_strides[a]);
      shape.AddDim(op.t.dim(static_cast<int>(a)));
    } else {
      strides[it - uniq.begin()] += in_strides[a];
    }
  }
  if (uniq.size() == op.labels.size()) return op;
  TFM_ASSIGN_OR_RETURN(Tensor t, Gather(ctx, op.t, strides, shape));
  return Operand{std::move(t), uniq};
}

// Transposes so the labels come in `order` (a permutation of op.labels).
absl::StatusOr<Operand> Permute(const KernelContext* ctx, const Operand& op,
                                const std::vector<int>& order) {
  if (order == op.labels) return op;
  const std::vector<int64_t> in_strides = array_util::Strides(op.t.shape());
  std::vector<int64_t> strides;
  TensorShape shape;
  for (int l : order) {
    const size_t a = std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin();
    strides.push_back(in_strides[a]);
    shape.AddDim(op.t.dim(static_cast<int>(a)));
  }
  TFM_ASSIGN_OR_RETURN(Tensor t, Gather(ctx, op.t, strides, shape));
  return Operand{std::move(t), order};
}

// Runs fn.template operator()<T>() for Einsum's computing types.
template <typename Fn>
bool DispatchEinsum(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kFloat:
    case DType::kDouble:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kComplex64:
    case DType::kComplex128:
      return DispatchNumberTypes(dt, std::forward<Fn>(fn));
    default:
      return false;
  }
}

// Sums over the labels in `drop` (moved last first).
absl::StatusOr<Operand> ReduceLabels(const KernelContext* ctx, const Operand& op,
                                     const std::vector<int>& drop) {
  if (drop.empty()) return op;
  std::vector<int> order;
  for (int l : op.labels) {
    if (std::find(drop.begin(), drop.end(), l) == drop.end()) order.push_back(l);
  }
  const std::vector<int> keep = order;
  order.insert(order.end(), drop.begin(), drop.end());
  TFM_ASSIGN_OR_RETURN(Operand p, Permute(ctx, op, order));
  TensorShape shape;
  int64_t block = 1;
  for (size_t a = 0; a < order.size(); ++a) {
    if (a < keep.size()) {
      shape.AddDim(p.t.dim(static_cast<int>(a)));
    } else {
      block *= p.t.dim(static_cast<int>(a));
    }
  }
  Tensor out = Tensor::Empty(p.t.dtype(), shape);
  const int64_t n = out.NumElements();
  DispatchEinsum(p.t.dtype(), [&]<typename T>() {
    const T* x = p.t.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      T acc = T(0);
      for (int64_t j = 0; j < block; ++j) acc = WrapAdd(acc, x[i * block + j]);
      o[i] = acc;
    }
  });
  return Operand{std::move(out), keep};
}

// Writes `op` (labels = the output's unique labels, in order) into the output layout,
// repeating labels as `out_labels` asks (zeros off the diagonal).
absl::StatusOr<Tensor> Inflate(const KernelContext* ctx, const Operand& op,
                               const std::vector<int>& out_labels,
                               const std::map<int, int64_t>& dims) {
  if (out_labels.size() == op.labels.size()) return op.t;
  TensorShape shape;
  for (int l : out_labels) shape.AddDim(dims.at(l));
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, shape));
  Tensor out(op.t.dtype(), shape);
  const std::vector<int64_t> out_strides = array_util::Strides(shape);
  std::vector<int64_t> dst(op.labels.size(), 0);
  for (size_t a = 0; a < out_labels.size(); ++a) {
    const size_t u =
        std::find(op.labels.begin(), op.labels.end(), out_labels[a]) - op.labels.begin();
    dst[u] += out_strides[a];
  }
  const std::vector<int64_t> src = array_util::Strides(op.t.shape());
  array_util::DispatchElem(op.t.dtype(), [&]<typename T>() {
    array_util::StridedCopy(op.t.data<T>(), 0, src, out.data<T>(), 0, dst,
                            op.t.shape().dim_sizes());
  });
  return out;
}

bool Has(const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); }

// The two-operand contraction through a batched matrix product. Returns an operand
// labelled [batch..., free_a..., free_b...].
absl::StatusOr<Operand> Contract(const KernelContext* ctx, const Operand& a, const Operand& b,
                                 const std::vector<int>& out_unique,
                                 const std::map<int, int64_t>& dims) {
  std::vector<int> batch, contract, free_a, free_b;
  for (int l : out_unique) {
    const bool ia = Has(a.labels, l), ib = Has(b.labels, l);
    if (ia && ib) {
      batch.push_back(l);
    } else if (ia) {
      free_a.push_back(l);
    } else if (ib) {
      free_b.push_back(l);
    }
  }
  for (int l : a.labels) {
    if (Has(b.labels, l) && !Has(out_unique, l)) contract.push_back(l);
  }
  std::vector<int> order_a = batch, order_b = batch;
  order_a.insert(order_a.end(), free_a.begin(), free_a.end());
  order_a.insert(order_a.end(), contract.begin(), contract.end());
  order_b.insert(order_b.end(), contract.begin(), contract.end());
  order_b.insert(order_b.end(), free_b.begin(), free_b.end());
  TFM_ASSIGN_OR_RETURN(Operand pa, Permute(ctx, a, order_a));
  TFM_ASSIGN_OR_RETURN(Operand pb, Permute(ctx, b, order_b));
  auto product = [&](const std::vector<int>& ls) {
    int64_t p = 1;
    for (int l : ls) p *= dims.at(l);
    return p;
  };
  const int64_t m = product(free_a), k = product(contract), n = product(free_b);
  TensorShape sa, sb;
  for (size_t i = 0; i < batch.size(); ++i) {
    sa.AddDim(pa.t.dim(static_cast<int>(i)));
    sb.AddDim(pb.t.dim(static_cast<int>(i)));
  }
  sa.AddDim(m);
  sa.AddDim(k);
  sb.AddDim(k);
  sb.AddDim(n);
  TFM_ASSIGN_OR_RETURN(Tensor ra, pa.t.Reshaped(sa));
  TFM_ASSIGN_OR_RETURN(Tensor rb, pb.t.Reshaped(sb));
  TFM_ASSIGN_OR_RETURN(Tensor prod, BatchMatMulTensors(ctx, ra, rb, false, false, true, false));
  TensorShape out_shape;
  std::vector<int> labels = batch;
  for (size_t i = 0; i < batch.size(); ++i) out_shape.AddDim(prod.dim(static_cast<int>(i)));
  for (int l : free_a) {
    out_shape.AddDim(dims.at(l));
    labels.push_back(l);
  }
  for (int l : free_b) {
    out_shape.AddDim(dims.at(l));
    labels.push_back(l);
  }
  TFM_ASSIGN_OR_RETURN(Tensor shaped, prod.Reshaped(out_shape));
  return Operand{std::move(shaped), labels};
}

class EinsumKernel : public OpKernel {
 public:
  explicit EinsumKernel(Equation eq) : eq_(std::move(eq)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    const int n = static_cast<int>(eq_.inputs.size());
    if (ctx->num_inputs() != n) {
      return ctx->Error(absl::StrCat("Expected ", n, " inputs but got: ", ctx->num_inputs()));
    }
    const DType dt = ctx->input(0).dtype();
    if (n == 2 && ctx->input(1).dtype() != dt) {
      return ctx->Error(absl::StrCat("inputs must have the same dtype, got ", DTypeName(dt),
                                     " and ", DTypeName(ctx->input(1).dtype())));
    }
    const bool half = IsHalfLike(dt);
    if (!half && !DispatchEinsum(dt, []<typename T>() {})) {
      return array_util::UnsupportedDType(ctx, dt);
    }
    std::vector<Operand> ops(static_cast<size_t>(n));
    std::map<int, int64_t> dims;
    std::vector<int> out_labels;
    TFM_RETURN_IF_ERROR(Label(ctx, half, &ops, &dims, &out_labels));
    std::vector<int> out_unique;
    for (int l : out_labels) {
      if (!Has(out_unique, l)) out_unique.push_back(l);
    }
    for (int i = 0; i < n; ++i) {
      TFM_ASSIGN_OR_RETURN(ops[i], Diagonal(ctx, ops[i]));
      std::vector<int> drop;
      for (int l : ops[i].labels) {
        if (!Has(out_unique, l) && (n == 1 || !Has(ops[1 - i].labels, l))) drop.push_back(l);
      }
      TFM_ASSIGN_OR_RETURN(ops[i], ReduceLabels(ctx, ops[i], drop));
    }
    Operand result = ops[0];
    if (n == 2) {
      TFM_ASSIGN_OR_RETURN(result, Contract(ctx, ops[0], ops[1], out_unique, dims));
    }
    TFM_ASSIGN_OR_RETURN(result, Permute(ctx, result, out_unique));
    TFM_ASSIGN_OR_RETURN(Tensor out, Inflate(ctx, result, out_labels, dims));
    ctx->set_output(0, half ? FloatToHalfLike(out, dt) : out);
    return absl::OkStatus();
  }

 private:
  // Expands ellipses into broadcast labels, checks ranks and dims, and fills each
  // operand's labels, the size of every label (broadcast dims: the broadcast size) and
  // the output's labels.
  absl::Status Label(KernelContext* ctx, bool half, std::vector<Operand>* ops,
                     std::map<int, int64_t>* dims, std::vector<int>* out_labels) const {
    int max_bcast = 0;
    std::vector<int> nbcast(ops->size(), 0);
    for (size_t i = 0; i < ops->size(); ++i) {
      const Tensor& t = ctx->input(static_cast<int>(i));
      const Subscript& s = eq_.inputs[i];
      const bool ell = Has(s, kEllipsis);
      const int named = static_cast<int>(s.size()) - (ell ? 1 : 0);
      if (!ell && t.rank() != named) {
        return ctx->Error(
            absl::StrCat("Expected input ", i, " to have rank ", named, " but got: ", t.rank()));
      }
      if (ell && t.rank() < named) {
        return ctx->Error(absl::StrCat("Expected input ", i, " to have rank at least ", named,
                                       " but got: ", t.rank()));
      }
      nbcast[i] = t.rank() - named;
      max_bcast = std::max(max_bcast, nbcast[i]);
    }
    for (size_t i = 0; i < ops->size(); ++i) {
      const Tensor& t = ctx->input(static_cast<int>(i));
      Operand& op = (*ops)[i];
      op.t = half ? HalfLikeToFloat(t) : t;
      for (int l : eq_.inputs[i]) {
        if (l != kEllipsis) {
          op.labels.push_back(l);
          continue;
        }
        for (int k = 0; k < nbcast[i]; ++k) {
          op.labels.push_back(kFirstBroadcastLabel + max_bcast - nbcast[i] + k);
        }
      }
      for (size_t a = 0; a < op.labels.size(); ++a) {
        const int l = op.labels[a];
        const int64_t d = t.dim(static_cast<int>(a));
        auto [it, fresh] = dims->emplace(l, d);
        if (fresh || it->second == d) continue;
        if (l >= kFirstBroadcastLabel && (it->second == 1 || d == 1)) {
          it->second = std::max(it->second, d);
          continue;
        }
        if (l >= kFirstBroadcastLabel) {
          return ctx->Error(absl::StrCat(
              "inputs have incompatible broadcasting dimensions: ", ShapeStr(ctx->input(0).shape()),
              " vs. ", ShapeStr(ctx->input(1).shape())));
        }
        return ctx->Error(absl::StrCat("Expected dimension ", it->second, " at axis ", a,
                                       " of the input shaped ", ShapeStr(t.shape()),
                                       " but got dimension ", d));
      }
    }
    if (max_bcast > 0 && !eq_.output_has_ellipsis) {
      return ctx->Error(absl::StrCat("Output contains ", max_bcast,
                                     " broadcasting dimension(s) but no ellipsis (...) was "
                                     "found in the output subscripts."));
    }
    for (int l : eq_.output) {
      if (l != kEllipsis) {
        out_labels->push_back(l);
        continue;
      }
      for (int k = 0; k < max_bcast; ++k) out_labels->push_back(kFirstBroadcastLabel + k);
    }
    return absl::OkStatus();
  }

  Equation eq_;
};

absl::StatusOr<std::unique_ptr<OpKernel>> MakeEinsum(const KernelInit& init) {
  std::string equation;
  TFM_RETURN_IF_ERROR(init.GetAttr("equation", &equation));
  absl::StatusOr<Equation> eq = ParseEquation(equation);
  if (!eq.ok()) return init.Error(eq.status().message());
  if (static_cast<int>(eq->inputs.size()) != init.num_inputs()) {
    return init.Error(absl::StrCat("equation '", equation, "' has ", eq->inputs.size(),
                                   " input subscripts but the node has ", init.num_inputs(),
                                   " inputs"));
  }
  return std::unique_ptr<OpKernel>(new EinsumKernel(*std::move(eq)));
}

}  // namespace

void RegisterEinsumKernels(KernelRegistry& r) { r.Register("Einsum", MakeEinsum); }

}  // namespace tfmodel::runtime
