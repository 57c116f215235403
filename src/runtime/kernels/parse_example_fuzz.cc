// libFuzzer target: serialized tf.Examples -> the ParseExampleV2 and ParseSingleExample
// kernels (the proto path every classify/regress request and every Example-fed model
// takes), with dense (fixed and variable length), sparse and ragged features of each
// feature dtype. Input: examples separated by the 4 bytes "\n##\n"; the first byte's low
// bit feeds them as a vector (batch) or, for one example, as a scalar.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/fuzz_util.h"
#include "runtime/kernel.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace {

using tfmodel::DType;
using tfmodel::Tensor;
using tfmodel::TensorShape;
using tfmodel::runtime::KernelContext;
using tfmodel::runtime::KernelInit;
using tfmodel::runtime::KernelRegistry;
using tfmodel::runtime::OpKernel;

void Types(tensorflow::NodeDef* n, const char* name, std::vector<tensorflow::DataType> types) {
  auto* list = (*n->mutable_attr())[name].mutable_list();
  for (auto t : types) list->add_type(t);
}

void Shapes(tensorflow::NodeDef* n, std::vector<std::vector<int64_t>> shapes) {
  auto* list = (*n->mutable_attr())["dense_shapes"].mutable_list();
  for (const auto& s : shapes) {
    auto* shape = list->add_shape();
    for (int64_t d : s) shape->add_dim()->set_size(d);
  }
}

void Strings(tensorflow::NodeDef* n, const char* name, std::vector<std::string> v) {
  auto* list = (*n->mutable_attr())[name].mutable_list();
  for (auto& s : v) list->add_s(s);
}

// Dense features: x float [2] (default 0.5, 1.5), v int64 [-1] (variable length, padded
// with -1), t string [] (required).
std::vector<Tensor> DenseDefaults() {
  return {Tensor::FromVector<float>({0.5f, 1.5f}), Tensor::Scalar<int64_t>(-1),
          Tensor(DType::kString, TensorShape{0})};
}

struct Parser {
  tensorflow::NodeDef node;
  std::unique_ptr<OpKernel> kernel;
  int num_inputs = 0;

  void Build(int inputs) {
    num_inputs = inputs;
    KernelInit init(node, nullptr, inputs);
    auto k = (*KernelRegistry::Global().Find(node.op()))(init);
    if (!k.ok()) std::abort();  // the fixed configuration is valid
    kernel = std::move(*k);
  }
  void Run(const std::vector<Tensor>& inputs) const {
    std::vector<const Tensor*> in;
    for (const auto& t : inputs) in.push_back(&t);
    std::vector<Tensor> outputs;
    KernelContext ctx(&node.name(), &node.op(), in, {}, &outputs, nullptr, nullptr, nullptr, 1);
    (void)kernel->Compute(&ctx);
  }
};

const Parser& V2() {
  static const Parser* p = [] {
    auto* p = new Parser;
    p->node.set_name("parse");
    p->node.set_op("ParseExampleV2");
    Types(&p->node, "Tdense", {tensorflow::DT_FLOAT, tensorflow::DT_INT64, tensorflow::DT_STRING});
    Shapes(&p->node, {{2}, {-1}, {}});
    Types(&p->node, "sparse_types",
          {tensorflow::DT_INT64, tensorflow::DT_FLOAT, tensorflow::DT_STRING});
    (*p->node.mutable_attr())["num_sparse"].set_i(3);
    Types(&p->node, "ragged_value_types", {tensorflow::DT_FLOAT, tensorflow::DT_STRING});
    Types(&p->node, "ragged_split_types", {tensorflow::DT_INT64, tensorflow::DT_INT32});
    p->Build(8);  // serialized, names, 3 key lists, 3 dense defaults
    return p;
  }();
  return *p;
}

const Parser& Single() {
  static const Parser* p = [] {
    auto* p = new Parser;
    p->node.set_name("parse_single");
    p->node.set_op("ParseSingleExample");
    Types(&p->node, "Tdense", {tensorflow::DT_FLOAT, tensorflow::DT_INT64, tensorflow::DT_STRING});
    Shapes(&p->node, {{2}, {-1}, {}});
    Types(&p->node, "sparse_types",
          {tensorflow::DT_INT64, tensorflow::DT_FLOAT, tensorflow::DT_STRING});
    (*p->node.mutable_attr())["num_sparse"].set_i(3);
    Strings(&p->node, "sparse_keys", {"si", "sf", "ss"});
    Strings(&p->node, "dense_keys", {"x", "v", "t"});
    p->Build(4);
    return p;
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  tfmodel::fuzz::Input in;
  if (!tfmodel::fuzz::SplitSelector(data, size, &in)) return 0;
  std::vector<std::string> examples = absl::StrSplit(in.rest, "\n##\n");
  if (examples.size() > 64) return 0;
  const bool scalar = (in.selector & 1) && examples.size() == 1;
  Tensor serialized =
      scalar ? Tensor::StringScalar(examples[0]) : Tensor::FromVector<std::string>(examples);
  auto defaults = DenseDefaults();
  std::vector<Tensor> v2 = {serialized, Tensor(DType::kString, TensorShape{0}),
                            Tensor::FromVector<std::string>({"si", "sf", "ss"}),
                            Tensor::FromVector<std::string>({"x", "v", "t"}),
                            Tensor::FromVector<std::string>({"rf", "rs"})};
  v2.insert(v2.end(), defaults.begin(), defaults.end());
  V2().Run(v2);
  if (examples.size() == 1) {
    std::vector<Tensor> single = {Tensor::StringScalar(examples[0])};
    single.insert(single.end(), defaults.begin(), defaults.end());
    Single().Run(single);
  }
  return 0;
}
