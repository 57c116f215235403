#include "graph/synthetic_inputs.h"

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "format/wav.h"
#include "graph/example_features.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel {
namespace {

void AddFeature(tensorflow::Features* f, const std::string& key, DType dtype, int64_t count) {
  auto& feat = (*f->mutable_feature())[key];
  feat.Clear();  // a key parsed by several nodes is written once
  if (count < 1) count = 1;
  for (int64_t i = 0; i < count; ++i) {
    switch (dtype) {
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
// nodes); true when there was at least one. Sparse features get one value, ragged two.
bool AddParsedFeatures(const NodeList& scope, tensorflow::Features* f) {
  bool found = false;
  for (const auto& n : scope) {
    if (!IsExampleParser(n)) continue;
    for (const ExampleFeature& feat : ParserFeatures(scope, n)) {
      const int64_t count = feat.kind == FeatureKind::kSparse   ? 1
                            : feat.kind == FeatureKind::kRagged ? 2
                                                                : feat.num_values;
      AddFeature(f, feat.name, feat.dtype, count);
    }
    found = true;
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
