#include "graph/example_features.h"

#include <algorithm>

#include "absl/strings/string_view.h"
#include "format/tensor_proto.h"
#include "tensorflow/core/framework/function.pb.h"

namespace tfmodel {
namespace {

// How deep the search follows Identity chains and function calls.
constexpr int kMaxDepth = 16;
// A dense feature holding more values than this is not described (a broken shape attr).
constexpr int64_t kMaxFeatureValues = int64_t{1} << 20;

// The node an input refers to: "n", "n:1", "^n" (graphs) or "n:out:0" (function bodies).
absl::string_view InputNode(absl::string_view input) {
  if (!input.empty() && input[0] == '^') input.remove_prefix(1);
  return input.substr(0, input.find(':'));
}

// The strings of the Const node feeding `input` (scalar or vector); empty otherwise.
std::vector<std::string> ConstStrings(const NodeList& scope, absl::string_view input) {
  const absl::string_view name = InputNode(input);
  for (const auto& n : scope) {
    if (n.name() != name) continue;
    auto v = n.attr().find("value");
    if (n.op() != "Const" || v == n.attr().end()) return {};
    auto t = TensorFromProto(v->second.tensor());
    if (!t.ok() || t->dtype() != DType::kString) return {};
    return std::vector<std::string>(t->flat<std::string>().begin(), t->flat<std::string>().end());
  }
  return {};
}

const tensorflow::AttrValue* Attr(const tensorflow::NodeDef& n, const char* name) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? nullptr : &it->second;
}

std::vector<DType> Types(const tensorflow::NodeDef& n, const char* attr) {
  std::vector<DType> out;
  if (const auto* a = Attr(n, attr)) {
    for (int t : a->list().type()) out.push_back(BaseDType(t));
  }
  return out;
}

// Adds features named `keys[i]` (empty = not a constant: skipped) of `types[i]`, with the
// value counts of the list attr `shapes` for dense features.
void AddFeatures(const std::vector<std::string>& keys, const std::vector<DType>& types,
                 FeatureKind kind, const tensorflow::AttrValue* shapes,
                 std::vector<ExampleFeature>* out) {
  for (size_t i = 0; i < keys.size() && i < types.size(); ++i) {
    if (keys[i].empty()) continue;
    ExampleFeature f;
    f.name = keys[i];
    f.dtype = types[i];
    f.kind = kind;
    if (kind == FeatureKind::kDense && shapes &&
        static_cast<int>(i) < shapes->list().shape_size()) {
      for (const auto& d : shapes->list().shape(static_cast<int>(i)).dim()) {
        // An unknown dim (a variable-length dense feature) gets one value per row.
        f.num_values = std::min(f.num_values * std::max<int64_t>(d.size(), 1), kMaxFeatureValues);
      }
    }
    out->push_back(std::move(f));
  }
}

class Finder {
 public:
  explicit Finder(const tensorflow::FunctionDefLibrary& library) : library_(library) {}

  // Searches `scope` for consumers of node `source` (a placeholder, function argument or
  // Identity); true once a parser was found.
  bool Search(const NodeList& scope, absl::string_view source, int depth,
              std::vector<ExampleFeature>* out) {
    if (depth > kMaxDepth) return false;
    for (const auto& n : scope) {
      for (int k = 0; k < n.input_size(); ++k) {
        const std::string& in = n.input(k);
        if (in.empty() || in[0] == '^' || InputNode(in) != source) continue;
        if (Follow(scope, n, k, depth, out)) return true;
      }
    }
    return false;
  }

 private:
  bool Follow(const NodeList& scope, const tensorflow::NodeDef& n, int k, int depth,
              std::vector<ExampleFeature>* out) {
    if (IsExampleParser(n)) {
      if (k != 0) return false;
      *out = ParserFeatures(scope, n);
      return !out->empty();
    }
    if (n.op() == "Identity") return Search(scope, n.name(), depth + 1, out);
    if (n.op() == "PartitionedCall" || n.op() == "StatefulPartitionedCall") {
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

bool IsExampleParser(const tensorflow::NodeDef& node) {
  return node.op() == "ParseExample" || node.op() == "ParseExampleV2" ||
         node.op() == "ParseSingleExample";
}

std::vector<ExampleFeature> ParserFeatures(const NodeList& scope, const tensorflow::NodeDef& n) {
  std::vector<std::string> sparse, dense, ragged;
  if (n.op() == "ParseExample") {
    // inputs: serialized, names, sparse_keys..., dense_keys..., dense_defaults...
    const auto* ns_attr = Attr(n, "Nsparse");
    const auto* nd_attr = Attr(n, "Ndense");
    const int64_t ns = ns_attr ? ns_attr->i() : 0, nd = nd_attr ? nd_attr->i() : 0;
    for (int64_t i = 0; i < ns + nd && 2 + i < n.input_size(); ++i) {
      auto k = ConstStrings(scope, n.input(static_cast<int>(2 + i)));
      (i < ns ? sparse : dense).push_back(k.empty() ? "" : k[0]);
    }
  } else if (n.op() == "ParseExampleV2") {
    // inputs: serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults...
    if (n.input_size() >= 5) {
      sparse = ConstStrings(scope, n.input(2));
      dense = ConstStrings(scope, n.input(3));
      ragged = ConstStrings(scope, n.input(4));
    }
  } else if (n.op() == "ParseSingleExample") {
    if (const auto* a = Attr(n, "sparse_keys"))
      sparse.assign(a->list().s().begin(), a->list().s().end());
    if (const auto* a = Attr(n, "dense_keys"))
      dense.assign(a->list().s().begin(), a->list().s().end());
  }
  std::vector<ExampleFeature> out;
  AddFeatures(sparse, Types(n, "sparse_types"), FeatureKind::kSparse, nullptr, &out);
  AddFeatures(dense, Types(n, "Tdense"), FeatureKind::kDense, Attr(n, "dense_shapes"), &out);
  AddFeatures(ragged, Types(n, "ragged_value_types"), FeatureKind::kRagged, nullptr, &out);
  return out;
}

std::vector<ExampleFeature> FindExampleFeatures(const tensorflow::GraphDef& graph,
                                                const std::string& tensor_name) {
  std::vector<ExampleFeature> out;
  Finder finder(graph.library());
  finder.Search(graph.node(), InputNode(tensor_name), 0, &out);
  return out;
}

}  // namespace tfmodel
