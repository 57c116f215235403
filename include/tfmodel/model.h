// tfmodel C++ API: Model, a SavedModel, frozen graph or .tflite file loaded and compiled
// once, listed by signature and run by signature key or by tensor names. Safe to run from
// several threads at once. Header-only over the C API.
#ifndef TFMODEL_PUBLIC_MODEL_H_
#define TFMODEL_PUBLIC_MODEL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tfmodel/c_api.h"
#include "tfmodel/status.h"
#include "tfmodel/tensor.h"

namespace tfmodel {

struct LoadOptions {
  std::string tags;          // SavedModel tag set, comma separated ("" = {serve} or the only one)
  std::string checkpoint;    // variables for a .meta graph
  int intra_op_threads = 0;  // 0 = number of cores
  int inter_op_threads = 0;
};

// One input or output of a signature.
struct TensorSpec {
  std::string name;         // the alias used to feed or fetch it
  std::string tensor_name;  // the graph tensor ("x:0")
  TFM_DataType dtype = TFM_INVALID_DTYPE;
  int rank = -1;              // -1: unknown
  std::vector<int64_t> dims;  // -1 for an unknown dimension
};

struct SignatureInfo {
  std::string key;
  std::string method_name;
  std::vector<TensorSpec> inputs;   // sorted by name
  std::vector<TensorSpec> outputs;  // sorted by name
};

// A named input: the tensor is borrowed for the call.
using NamedInput = std::pair<std::string, const Tensor*>;

class Model {
 public:
  Model() = default;
  ~Model() { TFM_DeleteModel(m_); }
  Model(Model&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  Model& operator=(Model&& o) noexcept {
    if (this != &o) {
      TFM_DeleteModel(m_);
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Loads the model at `path`; its kind is recognized by content.
  static Status Load(const std::string& path, const LoadOptions& options, Model* out) {
    TFM_LoadOptions* o = TFM_NewLoadOptions();
    if (!options.tags.empty()) TFM_LoadOptionsSetTags(o, options.tags.c_str());
    if (!options.checkpoint.empty()) TFM_LoadOptionsSetCheckpoint(o, options.checkpoint.c_str());
    TFM_LoadOptionsSetThreads(o, options.intra_op_threads, options.inter_op_threads);
    detail::CStatus st;
    TFM_Model* m = TFM_LoadModel(path.c_str(), o, st.get());
    TFM_DeleteLoadOptions(o);
    Status s = st.ToStatus();
    if (s.ok()) {
      Model loaded;
      loaded.m_ = m;
      *out = std::move(loaded);
    }
    return s;
  }
  static Status Load(const std::string& path, Model* out) { return Load(path, LoadOptions(), out); }

  std::vector<SignatureInfo> Signatures() const {
    std::vector<SignatureInfo> out;
    const int n = TFM_ModelSignatureCount(m_);
    for (int i = 0; i < n; ++i) {
      const TFM_Signature* s = TFM_ModelSignature(m_, i);
      SignatureInfo info{TFM_SignatureKey(s), TFM_SignatureMethodName(s), {}, {}};
      for (int k = 0; k < TFM_SignatureInputCount(s); ++k) {
        info.inputs.push_back(Spec(TFM_SignatureInput(s, k)));
      }
      for (int k = 0; k < TFM_SignatureOutputCount(s); ++k) {
        info.outputs.push_back(Spec(TFM_SignatureOutput(s, k)));
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  // Runs signature `key`: every input by alias; the named outputs come back in order.
  Status RunSignature(const std::string& key, const std::vector<NamedInput>& inputs,
                      const std::vector<std::string>& output_names,
                      std::vector<Tensor>* outputs) const {
    std::vector<const char*> in_names, out_names;
    std::vector<const TFM_Tensor*> in;
    for (const auto& [name, t] : inputs) {
      in_names.push_back(name.c_str());
      in.push_back(t == nullptr ? nullptr : t->handle());
    }
    for (const auto& n : output_names) out_names.push_back(n.c_str());
    std::vector<TFM_Tensor*> out(output_names.size(), nullptr);
    detail::CStatus st;
    TFM_RunSignature(m_, key.c_str(), in_names.data(), in.data(), static_cast<int>(in.size()),
                     out_names.data(), static_cast<int>(out.size()), out.data(), st.get());
    return Collect(st, out, outputs);
  }

  // Runs by tensor names, like TensorFlow's Session::Run.
  Status Run(const std::vector<NamedInput>& feeds, const std::vector<std::string>& fetch_names,
             std::vector<Tensor>* fetches, const std::vector<std::string>& targets = {}) const {
    std::vector<const char*> feed_names, fetch_ptrs, target_ptrs;
    std::vector<const TFM_Tensor*> in;
    for (const auto& [name, t] : feeds) {
      feed_names.push_back(name.c_str());
      in.push_back(t == nullptr ? nullptr : t->handle());
    }
    for (const auto& n : fetch_names) fetch_ptrs.push_back(n.c_str());
    for (const auto& n : targets) target_ptrs.push_back(n.c_str());
    std::vector<TFM_Tensor*> out(fetch_names.size(), nullptr);
    detail::CStatus st;
    TFM_Run(m_, feed_names.data(), in.data(), static_cast<int>(in.size()), fetch_ptrs.data(),
            static_cast<int>(out.size()), out.data(), target_ptrs.data(),
            static_cast<int>(target_ptrs.size()), st.get());
    return Collect(st, out, fetches);
  }

  TFM_Model* handle() const { return m_; }

 private:
  static TensorSpec Spec(const TFM_TensorSpec* s) {
    TensorSpec spec{TFM_TensorSpecName(s),
                    TFM_TensorSpecTensorName(s),
                    TFM_TensorSpecType(s),
                    TFM_TensorSpecRank(s),
                    {}};
    for (int i = 0; i < spec.rank; ++i) spec.dims.push_back(TFM_TensorSpecDim(s, i));
    return spec;
  }
  static Status Collect(detail::CStatus& st, std::vector<TFM_Tensor*>& raw,
                        std::vector<Tensor>* out) {
    Status s = st.ToStatus();
    out->clear();
    if (!s.ok()) return s;
    for (TFM_Tensor* t : raw) out->emplace_back(t);
    return s;
  }

  TFM_Model* m_ = nullptr;
};

}  // namespace tfmodel

#endif  // TFMODEL_PUBLIC_MODEL_H_
