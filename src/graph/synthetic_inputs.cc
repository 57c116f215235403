#include "graph/synthetic_inputs.h"

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "format/wav.h"
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

absl::StatusOr<std::string> SyntheticWav(const tensorflow::GraphDef& graph,
                                         const std::string& tensor) {
  // Names that carry the same value as `tensor`: itself and Identity nodes downstream.
  std::set<TensorId> same{ParseTensorName(tensor)};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& n : graph.node()) {
      if (n.op() == "Identity" && n.input_size() > 0 && same.count(ParseTensorName(n.input(0))) &&
          same.insert(TensorId{n.name(), 0}).second) {
        grew = true;
      }
    }
  }
  for (const auto& n : graph.node()) {
    if (n.op() != "DecodeWav" || n.input_size() < 1) continue;
    if (!same.count(ParseTensorName(n.input(0)))) continue;
    int64_t frames = 16000, channels = 1;
    auto s = n.attr().find("desired_samples");
    if (s != n.attr().end() && s->second.i() > 0) frames = s->second.i();
    auto c = n.attr().find("desired_channels");
    if (c != n.attr().end() && c->second.i() > 0) channels = c->second.i();
    if (frames > (int64_t{1} << 26) || channels > 64) {
      return absl::InvalidArgumentError(absl::StrCat("DecodeWav node '", n.name(),
                                                     "' asks for too many samples to "
                                                     "synthesize: ",
                                                     frames, " x ", channels));
    }
    const double pi = std::acos(-1.0);
    std::vector<float> audio(static_cast<size_t>(frames * channels));
    for (int64_t i = 0; i < frames; ++i) {
      const double t = static_cast<double>(i) / 16000.0;
      for (int64_t k = 0; k < channels; ++k) {
        audio[i * channels + k] = static_cast<float>(0.4 * std::sin(2 * pi * 440 * t) +
                                                     0.2 * std::sin(2 * pi * 1234 * t + k));
      }
    }
    return EncodeWav16(audio.data(), frames, channels, 16000);
  }
  return absl::NotFoundError(absl::StrCat("'", tensor, "' does not feed a DecodeWav node"));
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

absl::StatusOr<std::vector<FeedSpec>> RequiredFeeds(const tensorflow::GraphDef& graph,
                                                    const std::vector<std::string>& fetches,
                                                    const std::set<std::string>& fed) {
  std::map<std::string, int> index;
  for (int i = 0; i < graph.node_size(); ++i) index[graph.node(i).name()] = i;
  std::set<std::string> fed_ids;
  for (const auto& f : fed) fed_ids.insert(ParseTensorName(f).ToString());
  std::vector<char> seen(graph.node_size(), 0);
  std::set<std::pair<int, int>> iterator_outputs;  // (node index, output)
  std::vector<int> stack;
  for (const auto& f : fetches) {
    TensorId id = ParseTensorName(f);
    auto it = index.find(id.node);
    if (it == index.end()) {
      return absl::NotFoundError(absl::StrCat("fetch '", f, "': no node '", id.node, "'"));
    }
    if (fed_ids.count(id.ToString())) continue;
    if (!seen[it->second]) stack.push_back(it->second), seen[it->second] = 1;
  }
  auto is_iterator = [](const std::string& op) {
    return op == "IteratorGetNext" || op == "IteratorGetNextSync";
  };
  while (!stack.empty()) {
    const auto& nd = graph.node(stack.back());
    stack.pop_back();
    for (const auto& in : nd.input()) {
      TensorId id = ParseTensorName(in);
      auto it = index.find(id.node);
      if (it == index.end() || (id.index >= 0 && fed_ids.count(id.ToString()))) continue;
      if (is_iterator(graph.node(it->second).op())) {
        if (id.index >= 0) iterator_outputs.emplace(it->second, id.index);
        continue;  // a control edge from an iterator needs no feed
      }
      if (!seen[it->second]) stack.push_back(it->second), seen[it->second] = 1;
    }
  }
  std::vector<FeedSpec> out;
  for (int i = 0; i < graph.node_size(); ++i) {
    const auto& nd = graph.node(i);
    if (seen[i] && nd.op() == "Placeholder" && !fed_ids.count(nd.name() + ":0")) {
      FeedSpec f;
      f.tensor = nd.name() + ":0";
      auto dt = nd.attr().find("dtype");
      f.dtype = dt == nd.attr().end() ? DType::kFloat : BaseDType(dt->second.type());
      auto sh = nd.attr().find("shape");
      if (sh != nd.attr().end()) f.shape = PartialShapeFromProto(sh->second.shape());
      out.push_back(std::move(f));
    }
    if (!is_iterator(nd.op())) continue;
    auto types = nd.attr().find("output_types");
    auto shapes = nd.attr().find("output_shapes");
    for (const auto& [node, k] : iterator_outputs) {
      if (node != i) continue;
      FeedSpec f;
      f.tensor = absl::StrCat(nd.name(), ":", k);
      if (types == nd.attr().end() || k >= types->second.list().type_size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node '", nd.name(), "' (", nd.op(), ") has no output_types entry for output ", k));
      }
      f.dtype = BaseDType(types->second.list().type(k));
      if (shapes != nd.attr().end() && k < shapes->second.list().shape_size()) {
        f.shape = PartialShapeFromProto(shapes->second.list().shape(k));
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

absl::StatusOr<Tensor> SyntheticInput(const tensorflow::GraphDef& graph, const std::string& tensor,
                                      DType dtype, const PartialShape& shape) {
  std::string value;
  if (dtype == DType::kString) {
    if (auto wav = SyntheticWav(graph, tensor); wav.ok()) {
      value = *std::move(wav);
    } else if (auto ex = SyntheticExample(graph); ex.ok()) {
      value = *std::move(ex);
    }
  }
  return SyntheticTensor(dtype, shape, value);
}

}  // namespace tfmodel
