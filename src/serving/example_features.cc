#include "serving/example_features.h"

#include <algorithm>
#include <functional>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace tfmodel::serving {
namespace {

using Nodes = google::protobuf::RepeatedPtrField<tensorflow::NodeDef>;

// How deep the search follows Identity chains and function calls.
constexpr int kMaxDepth = 16;

// The node part of an input reference: "n", "n:1" (graphs) or "n:out:0" (function bodies).
absl::string_view InputNode(absl::string_view input) { return input.substr(0, input.find(':')); }

const tensorflow::NodeDef* FindNode(const Nodes& nodes, absl::string_view name) {
  for (const auto& n : nodes) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// The strings of a Const node (scalar or vector), or false.
bool ConstStrings(const Nodes& nodes, absl::string_view input, std::vector<std::string>* out) {
  const tensorflow::NodeDef* n = FindNode(nodes, InputNode(input));
  if (n == nullptr || n->op() != "Const") return false;
  auto it = n->attr().find("value");
  if (it == n->attr().end() || !it->second.has_tensor()) return false;
  for (const auto& s : it->second.tensor().string_val()) out->push_back(s);
  return true;
}

const tensorflow::AttrValue* Attr(const tensorflow::NodeDef& n, const char* name) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? nullptr : &it->second;
}

int64_t AttrInt(const tensorflow::NodeDef& n, const char* name) {
  const tensorflow::AttrValue* a = Attr(n, name);
  return a ? a->i() : 0;
}

// Fills dtypes (and for dense features, value counts) of features named `keys` from the
// list attrs `types_attr` and `shapes_attr` (null for sparse/ragged features).
bool AddFeatures(const tensorflow::NodeDef& n, const std::vector<std::string>& keys,
                 const char* types_attr, const char* shapes_attr, bool sparse,
                 std::vector<ExampleFeature>* out) {
  const tensorflow::AttrValue* types = Attr(n, types_attr);
  const tensorflow::AttrValue* shapes = shapes_attr ? Attr(n, shapes_attr) : nullptr;
  if (keys.empty()) return true;
  if (types == nullptr || types->list().type_size() != static_cast<int>(keys.size())) return false;
  if (shapes_attr &&
      (shapes == nullptr || shapes->list().shape_size() != types->list().type_size())) {
    return false;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    ExampleFeature f;
    f.name = keys[i];
    f.dtype = BaseDType(types->list().type(static_cast<int>(i)));
    f.sparse = sparse;
    if (shapes) {
      for (const auto& d : shapes->list().shape(static_cast<int>(i)).dim()) {
        // An unknown dim (a variable-length dense feature) gets one value per row.
        f.num_values *= std::max<int64_t>(d.size(), 1);
        if (f.num_values > (int64_t{1} << 20)) return false;
      }
    }
    out->push_back(std::move(f));
  }
  return true;
}

// The features of parser node `n` (its first input is the serialized Examples).
bool ParserFeatures(const Nodes& nodes, const tensorflow::NodeDef& n,
                    std::vector<ExampleFeature>* out) {
  std::vector<std::string> sparse, dense, ragged;
  if (n.op() == "ParseExample") {
    const int64_t ns = AttrInt(n, "Nsparse"), nd = AttrInt(n, "Ndense");
    if (ns < 0 || nd < 0 || n.input_size() < 2 + ns + nd) return false;
    for (int64_t i = 0; i < ns + nd; ++i) {
      if (!ConstStrings(nodes, n.input(static_cast<int>(2 + i)), i < ns ? &sparse : &dense)) {
        return false;
      }
    }
  } else if (n.op() == "ParseExampleV2") {
    if (n.input_size() < 5 || !ConstStrings(nodes, n.input(2), &sparse) ||
        !ConstStrings(nodes, n.input(3), &dense) || !ConstStrings(nodes, n.input(4), &ragged)) {
      return false;
    }
  } else {  // ParseSingleExample: keys are attrs.
    if (const auto* a = Attr(n, "sparse_keys"))
      sparse.assign(a->list().s().begin(), a->list().s().end());
    if (const auto* a = Attr(n, "dense_keys"))
      dense.assign(a->list().s().begin(), a->list().s().end());
  }
  return AddFeatures(n, sparse, "sparse_types", nullptr, true, out) &&
         AddFeatures(n, dense, "Tdense", "dense_shapes", false, out) &&
         AddFeatures(n, ragged, "ragged_value_types", nullptr, true, out);
}

class Finder {
 public:
  explicit Finder(const tensorflow::FunctionDefLibrary& library) : library_(library) {}

  // Searches `nodes` for consumers of node `source` (a placeholder, function argument or
  // Identity); true once a parser was found.
  bool Search(const Nodes& nodes, absl::string_view source, int depth,
              std::vector<ExampleFeature>* out) {
    if (depth > kMaxDepth) return false;
    for (const auto& n : nodes) {
      for (int k = 0; k < n.input_size(); ++k) {
        const std::string& in = n.input(k);
        if (in.empty() || in[0] == '^' || InputNode(in) != source) continue;
        if (Follow(nodes, n, k, depth, out)) return true;
      }
    }
    return false;
  }

 private:
  bool Follow(const Nodes& nodes, const tensorflow::NodeDef& n, int k, int depth,
              std::vector<ExampleFeature>* out) {
    const std::string& op = n.op();
    if (op == "ParseExample" || op == "ParseExampleV2" || op == "ParseSingleExample") {
      if (k != 0) return false;
      std::vector<ExampleFeature> found;
      if (!ParserFeatures(nodes, n, &found)) return false;
      *out = std::move(found);
      return true;
    }
    if (op == "Identity") return Search(nodes, n.name(), depth + 1, out);
    if (op == "PartitionedCall" || op == "StatefulPartitionedCall") {
      const tensorflow::AttrValue* f = Attr(n, "f");
      if (f == nullptr) return false;
      for (const auto& fn : library_.function()) {
        if (fn.signature().name() != f->func().name()) continue;
        if (k >= fn.signature().input_arg_size()) return false;
        return Search(fn.node_def(), fn.signature().input_arg(k).name(), depth + 1, out);
      }
    }
    return false;
  }

  const tensorflow::FunctionDefLibrary& library_;
};

}  // namespace

std::vector<ExampleFeature> FindExampleFeatures(const tensorflow::MetaGraphDef& meta_graph,
                                                const std::string& tensor_name) {
  std::vector<ExampleFeature> out;
  Finder finder(meta_graph.graph_def().library());
  finder.Search(meta_graph.graph_def().node(), InputNode(tensor_name), 0, &out);
  return out;
}

tensorflow::Example MakeExample(const std::vector<ExampleFeature>& features) {
  tensorflow::Example ex;
  auto* map = ex.mutable_features()->mutable_feature();
  for (const ExampleFeature& f : features) {
    tensorflow::Feature& feature = (*map)[f.name];
    for (int64_t i = 0; i < f.num_values; ++i) {
      switch (f.dtype) {
        case DType::kFloat:
          feature.mutable_float_list()->add_value(static_cast<float>(i % 2));
          break;
        case DType::kInt64:
          feature.mutable_int64_list()->add_value(0);
          break;
        default:
          feature.mutable_bytes_list()->add_value("");
          break;
      }
    }
  }
  return ex;
}

}  // namespace tfmodel::serving
