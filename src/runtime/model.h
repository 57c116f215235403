// A loaded, ready-to-run model: the public face of the runtime.
//
//   auto model = Model::LoadSavedModel("models/half_plus_two/00000123", {"serve"});
//   auto out = (*model)->RunSignature("serving_default", {{"x", x_tensor}});
//
// Loading parses, prunes and compiles (plans) everything once; Run* calls only execute
// precompiled plans and are safe to call from many threads at once.
#ifndef TFMODEL_RUNTIME_MODEL_H_
#define TFMODEL_RUNTIME_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace tfmodel::runtime {

struct TensorSpec {
  std::string tensor_name;        // "x:0"; for a SparseTensor input, its values tensor
  DType dtype = DType::kInvalid;  // for a SparseTensor: of its values
  PartialShape shape;             // for a SparseTensor: its dense shape
  // A SparseTensor input (TensorInfo coo_sparse): the tensors fed with its indices and
  // dense_shape; both empty for a plain tensor.
  std::string sparse_indices_tensor;
  std::string sparse_dense_shape_tensor;
  bool is_sparse() const { return !sparse_indices_tensor.empty(); }
  // A RaggedTensor input (composite RaggedTensorSpec; tensor_name is its flat values): the
  // tensors fed with its row splits, outermost first. Empty for other inputs.
  std::vector<std::string> ragged_splits_tensors;
  DType ragged_splits_dtype = DType::kInt64;
  bool is_ragged() const { return !ragged_splits_tensors.empty(); }
};

// Suffixes naming the components of a SparseTensor input fed part by part:
// "<alias>.indices", "<alias>.values", "<alias>.dense_shape".
inline constexpr const char* kSparseComponentSuffixes[] = {".indices", ".values", ".dense_shape"};
// And of a RaggedTensor input: "<alias>.flat_values", "<alias>.row_splits_0", ... (one per
// ragged dimension, outermost first).
inline constexpr char kRaggedValuesSuffix[] = ".flat_values";
inline constexpr char kRaggedSplitsSuffix[] = ".row_splits_";

struct Signature {
  std::string key;
  std::string method_name;
  std::map<std::string, TensorSpec> inputs;   // by alias
  std::map<std::string, TensorSpec> outputs;  // by alias
};

struct LoadOptions {
  int intra_op_threads = 0;  // 0 = number of cores
  int inter_op_threads = 0;  // 0 = number of cores
};

class Model {
 public:
  virtual ~Model() = default;

  // A SavedModel folder (or TF Serving session bundle): picks the MetaGraphDef by tags,
  // restores variables, runs the init op with asset paths fed, compiles every signature.
  static absl::StatusOr<std::unique_ptr<Model>> LoadSavedModel(
      const std::string& dir, const std::vector<std::string>& tags = {"serve"},
      const LoadOptions& options = {});
  // A plain GraphDef (e.g. a frozen graph). No signatures; run it by tensor names. Its
  // lookup table initializers (InitializeTable*, as `tfmodel freeze` writes them) run once
  // at load; a failing one fails the load.
  static absl::StatusOr<std::unique_ptr<Model>> LoadGraph(tensorflow::GraphDef graph,
                                                          const LoadOptions& options = {});
  // A MetaGraphDef plus an optional checkpoint prefix to restore variables from.
  static absl::StatusOr<std::unique_ptr<Model>> LoadMetaGraph(tensorflow::MetaGraphDef meta_graph,
                                                              const std::string& checkpoint_prefix,
                                                              const LoadOptions& options = {});

  // Signatures (excluding __saved_model_init_op), by key.
  virtual const std::map<std::string, Signature>& signatures() const = 0;
  virtual const tensorflow::MetaGraphDef& meta_graph() const = 0;

  // Runs signature `key` on inputs given by alias. All inputs must be given; dtypes and
  // shapes are checked against the signature. `output_filter` (aliases) empty = all.
  // A SparseTensor input takes either a dense tensor under its alias (every element
  // becomes an entry; a tensor of one rank less than the sparse shape gets a trailing
  // dim of 1, as a per-example scalar feature) or its three components under
  // "<alias>.indices" (int64 [N, rank]), "<alias>.values" ([N]) and "<alias>.dense_shape"
  // (int64 [rank]). A RaggedTensor input likewise takes a dense tensor (uniform rows) or
  // "<alias>.flat_values" and "<alias>.row_splits_<k>".
  virtual absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter = {}) = 0;

  // Runs by tensor names ("x:0"); `targets` are node names run for their effects.
  // Plans are cached per (feeds, fetches, targets) combination.
  virtual absl::StatusOr<std::vector<Tensor>> Run(
      const std::vector<std::pair<std::string, Tensor>>& feeds,
      const std::vector<std::string>& fetches, const std::vector<std::string>& targets = {}) = 0;
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_MODEL_H_
