#include "graph/synthetic_inputs.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel {
namespace {

using NodeMap = std::map<std::string, const tensorflow::NodeDef*>;

// The node an input refers to: "n", "n:1" and "^n" in graphs, "n:output:0" in functions.
std::string InputNode(const std::string& input) {
  std::string s = !input.empty() && input[0] == '^' ? input.substr(1) : input;
  return s.substr(0, s.find(':'));
}

// Values of a string Const feeding `input`.
std::vector<std::string> ConstStrings(const NodeMap& nodes, const std::string& input) {
  auto it = nodes.find(InputNode(input));
  if (it == nodes.end() || it->second->op() != "Const") return {};
  auto v = it->second->attr().find("value");
  if (v == it->second->attr().end()) return {};
  auto t = TensorFromProto(v->second.tensor());
  if (!t.ok() || t->dtype() != DType::kString) return {};
  return std::vector<std::string>(t->flat<std::string>().begin(), t->flat<std::string>().end());
}

std::vector<int> Types(const tensorflow::NodeDef& n, const char* attr) {
  auto it = n.attr().find(attr);
  if (it == n.attr().end()) return {};
  return std::vector<int>(it->second.list().type().begin(), it->second.list().type().end());
}

void AddFeature(tensorflow::Features* f, const std::string& key, int dtype, int64_t count) {
  auto& feat = (*f->mutable_feature())[key];
  feat.Clear();  // a key parsed by several nodes is written once
  if (count < 1) count = 1;
  for (int64_t i = 0; i < count; ++i) {
    switch (BaseDType(dtype)) {
      case DType::kFloat:
        feat.mutable_float_list()->add_value(1.0f + 0.5f * static_cast<float>(i));
        break;
      case DType::kInt64:
        feat.mutable_int64_list()->add_value(1 + i);
        break;
      default:
        feat.mutable_bytes_list()->add_value(absl::StrCat("value", i));
        break;
    }
  }
}

// Adds the features parsed by the parse nodes among `scope` (a graph's or a function's
// nodes); true when there was at least one.
template <typename Nodes>
bool AddParsedFeatures(const Nodes& scope, tensorflow::Features* f) {
  NodeMap nodes;
  for (const auto& n : scope) nodes[n.name()] = &n;
  bool found = false;
  for (const auto& n : scope) {
    if (n.op() == "ParseExample") {
      // inputs: serialized, names, sparse_keys..., dense_keys..., dense_defaults...
      auto nsparse = n.attr().find("Nsparse");
      auto ndense = n.attr().find("Ndense");
      int64_t ns = nsparse == n.attr().end() ? 0 : nsparse->second.i();
      int64_t nd = ndense == n.attr().end() ? 0 : ndense->second.i();
      auto sparse_types = Types(n, "sparse_types");
      auto dense_types = Types(n, "Tdense");
      auto shapes = n.attr().find("dense_shapes");
      for (int64_t i = 0; i < ns && 2 + i < n.input_size(); ++i) {
        auto k = ConstStrings(nodes, n.input(2 + i));
        if (!k.empty() && i < static_cast<int64_t>(sparse_types.size()))
          AddFeature(f, k[0], sparse_types[i], 1);
      }
      for (int64_t i = 0; i < nd && 2 + ns + i < n.input_size(); ++i) {
        auto k = ConstStrings(nodes, n.input(2 + ns + i));
        int64_t count = 1;
        if (shapes != n.attr().end() && i < shapes->second.list().shape_size()) {
          for (const auto& d : shapes->second.list().shape(i).dim())
            count *= d.size() > 0 ? d.size() : 1;
        }
        if (!k.empty() && i < static_cast<int64_t>(dense_types.size()))
          AddFeature(f, k[0], dense_types[i], count);
      }
      found = true;
    } else if (n.op() == "ParseExampleV2" || n.op() == "ParseSingleExample") {
      bool v2 = n.op() == "ParseExampleV2";
      // V2 inputs: serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults...
      std::vector<std::string> sparse_keys, dense_keys;
      if (v2 && n.input_size() >= 5) {
        sparse_keys = ConstStrings(nodes, n.input(2));
        dense_keys = ConstStrings(nodes, n.input(3));
        auto ragged = ConstStrings(nodes, n.input(4));
        auto rtypes = Types(n, "ragged_value_types");
        for (size_t i = 0; i < ragged.size() && i < rtypes.size(); ++i)
          AddFeature(f, ragged[i], rtypes[i], 2);
      } else if (!v2) {
        auto sk = n.attr().find("sparse_keys");
        auto dk = n.attr().find("dense_keys");
        if (sk != n.attr().end())
          sparse_keys.assign(sk->second.list().s().begin(), sk->second.list().s().end());
        if (dk != n.attr().end())
          dense_keys.assign(dk->second.list().s().begin(), dk->second.list().s().end());
      }
      auto sparse_types = Types(n, "sparse_types");
      auto dense_types = Types(n, "Tdense");
      auto shapes = n.attr().find("dense_shapes");
      for (size_t i = 0; i < sparse_keys.size() && i < sparse_types.size(); ++i) {
        AddFeature(f, sparse_keys[i], sparse_types[i], 1);
      }
      for (size_t i = 0; i < dense_keys.size() && i < dense_types.size(); ++i) {
        int64_t count = 1;
        if (shapes != n.attr().end() && static_cast<int>(i) < shapes->second.list().shape_size()) {
          for (const auto& d : shapes->second.list().shape(i).dim())
            count *= d.size() > 0 ? d.size() : 1;
        }
        AddFeature(f, dense_keys[i], dense_types[i], count);
      }
      found = true;
    }
  }
  return found;
}

}  // namespace

absl::StatusOr<std::string> SyntheticExample(const tensorflow::GraphDef& graph) {
  tensorflow::Example ex;
  auto* f = ex.mutable_features();
  bool found = AddParsedFeatures(graph.node(), f);
  // TF2 SavedModels parse inside functions (serve_tf_examples_fn -> ParseExampleV2).
  for (const auto& fn : graph.library().function()) found |= AddParsedFeatures(fn.node_def(), f);
  if (!found) {
    return absl::NotFoundError(
        "the graph has no ParseExample node (in the graph or its functions) to read feature "
        "names from");
  }
  return ex.SerializeAsString();
}

absl::StatusOr<Tensor> SyntheticTensor(DType dtype, const PartialShape& shape,
                                       const std::string& example) {
  TensorShape concrete;
  if (!shape.unknown_rank()) {
    for (int64_t d : shape.dims()) concrete.AddDim(d < 0 ? 1 : d);
  } else {
    concrete.AddDim(1);
  }
  TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, concrete));
  int64_t n = t.NumElements();
  if (dtype == DType::kString) {
    for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = example.empty() ? "a" : example;
    return t;
  }
  if (dtype == DType::kHalf) {
    for (int64_t i = 0; i < n; ++i)
      t.data<Half>()[i] = Half::FromFloat(0.1f * static_cast<float>(i % 10));
    return t;
  }
  bool ok = DispatchNumeric(dtype, [&]<typename T>() {
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        t.data<T>()[i] = (i % 2) == 0;
      } else if constexpr (std::is_floating_point_v<T>) {
        t.data<T>()[i] = static_cast<T>(0.1 * static_cast<double>(i % 10));
      } else {
        t.data<T>()[i] = static_cast<T>(i % 10);
      }
    }
  });
  if (!ok)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot synthesize inputs of dtype ", DTypeName(dtype)));
  return t;
}

}  // namespace tfmodel
