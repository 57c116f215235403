#include "tflite/op_builder.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {

namespace fb = ::tfmodel::tflite_fb;

OpBuilder::OpBuilder(const TfLiteFile& file, int subgraph, int op_index,
                     const std::vector<SubgraphPlan>& plans, std::map<int, Tensor>* weights)
    : file_(file),
      subgraph_(subgraph),
      op_(*file.model().subgraphs()->Get(subgraph)->operators()->Get(op_index)),
      code_(TfLiteFile::BuiltinCode(*file.model().operator_codes()->Get(op_.opcode_index()))),
      label_(absl::StrCat("operator ", op_index, " (", file.OperatorName(op_), ")")),
      plans_(plans),
      weights_(weights) {
  if (op_.inputs()) in_.assign(op_.inputs()->begin(), op_.inputs()->end());
  if (op_.outputs()) out_.assign(op_.outputs()->begin(), op_.outputs()->end());
}

std::string OpBuilder::custom_name() const { return file_.OperatorName(op_); }

DType OpBuilder::TypeOf(int tensor) const {
  const auto& dtypes = plans_[subgraph_].dtypes;
  return tensor >= 0 && tensor < static_cast<int>(dtypes.size()) ? dtypes[tensor] : DType::kInvalid;
}

const Tensor* OpBuilder::ConstInput(size_t i) const {
  if (!has_input(i)) return nullptr;
  const auto& constants = plans_[subgraph_].constants;
  auto it = constants.find(in_[i]);
  return it == constants.end() ? nullptr : &it->second;
}

bool OpBuilder::IsSparse(int tensor) const {
  const auto* tensors = file_.model().subgraphs()->Get(subgraph_)->tensors();
  if (tensor < 0 || !tensors || tensor >= static_cast<int>(tensors->size())) return false;
  return tensors->Get(tensor)->sparsity() != nullptr;
}

QuantParams OpBuilder::Quant(int tensor) const {
  QuantParams q;
  if (tensor < 0) return q;
  const auto* qp =
      file_.model().subgraphs()->Get(subgraph_)->tensors()->Get(tensor)->quantization();
  if (!qp || !qp->scale()) return q;
  q.scale.assign(qp->scale()->begin(), qp->scale()->end());
  if (qp->zero_point()) q.zero_point.assign(qp->zero_point()->begin(), qp->zero_point()->end());
  q.zero_point.resize(q.scale.size(), 0);
  q.dim = qp->quantized_dimension();
  return q;
}

const std::vector<int64_t>& OpBuilder::SignatureShape(int tensor) const {
  return plans_[subgraph_].signature_shapes[tensor];
}

const SubgraphPlan* OpBuilder::subgraph(int index) const {
  if (index < 0 || index >= static_cast<int>(plans_.size())) return nullptr;
  return &plans_[index];
}

absl::Status OpBuilder::Expect(size_t ni, size_t no) const {
  if (in_.size() < ni || out_.size() < no) {
    return Error(absl::StrCat("expects ", ni, " inputs and ", no, " outputs, has ", in_.size(),
                              " and ", out_.size()));
  }
  for (size_t i = 0; i < ni; ++i) {
    if (in_[i] < 0) return Error(absl::StrCat("input ", i, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Tensor>> OpBuilder::FloatWeights(size_t i) {
  const Tensor* w = ConstInput(i);
  if (!w || w->dtype() == DType::kFloat || input_type(0) != DType::kFloat) return std::nullopt;
  // One float copy per weights tensor, however many operators share it.
  auto it = weights_->find(in_[i]);
  if (it == weights_->end()) {
    TFM_ASSIGN_OR_RETURN(Tensor f, Dequantize(in_[i]));
    it = weights_->emplace(in_[i], std::move(f)).first;
  }
  return it->second;
}

absl::StatusOr<Tensor> OpBuilder::Dequantize(int tensor) const {
  const Tensor& w = plans_[subgraph_].constants.at(tensor);
  if (w.dtype() == DType::kHalf) {
    Tensor f(DType::kFloat, w.shape());
    for (int64_t i = 0; i < w.NumElements(); ++i) f.data<float>()[i] = w.data<Half>()[i].ToFloat();
    return f;
  }
  if (!IsQuantizedType(w.dtype())) return w;
  QuantParams q = Quant(tensor);
  if (!q.present()) return Error("quantized weights without quantization parameters");
  Tensor f(DType::kFloat, w.shape());
  const int rank = w.rank();
  if (q.scale.size() > 1 &&
      (q.dim < 0 || q.dim >= rank || w.dim(q.dim) != static_cast<int64_t>(q.scale.size()))) {
    return Error("per-channel quantization does not match the weights' shape");
  }
  int64_t inner = 1;
  if (q.scale.size() > 1) {
    for (int d = q.dim + 1; d < rank; ++d) inner *= w.dim(d);
  }
  for (int64_t i = 0; i < w.NumElements(); ++i) {
    const size_t ch = q.scale.size() > 1 ? static_cast<size_t>((i / inner) % w.dim(q.dim)) : 0;
    f.data<float>()[i] = q.scale[ch] * static_cast<float>(LoadQ(w, i) - q.zero_point[ch]);
  }
  return f;
}

absl::Status OpBuilder::Error(const std::string& msg) const {
  return absl::InvalidArgumentError(
      absl::StrCat(file_.name(), ": subgraph ", subgraph_, " ", label_, ": ", msg));
}

absl::Status OpBuilder::Unsupported(const std::string& msg) const {
  return absl::UnimplementedError(
      absl::StrCat(file_.name(), ": subgraph ", subgraph_, " ", label_, ": ", msg));
}

}  // namespace tfmodel::tflite
