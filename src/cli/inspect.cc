// `tfmodel inspect PATH`: describe any TensorFlow artifact, for a person or (--json) a tool.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/tflite_cli.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/checkpoint.h"
#include "format/checkpoint_compare.h"
#include "format/detect.h"
#include "format/npy.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "graph/function_graph.h"
#include "graph/output_candidates.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "runtime/kernel.h"

namespace tfmodel::cli {
namespace {

namespace fs = std::filesystem;
using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

struct Options {
  std::string path;
  bool json = false;
  bool ops = false;
  std::string tensor;
  bool all_tensors = false;
  std::vector<std::string> tags;
};

std::string DTypeEnum(int v) { return DTypeEnumName(BaseDType(v)); }

// --- GraphDef summaries ------------------------------------------------------------------

struct GraphSummary {
  int nodes = 0;
  std::map<std::string, int> ops;
  std::vector<const tensorflow::NodeDef*> placeholders;
  OutputRanking ranking;  // likely outputs, best first
  std::set<std::string> devices;
  std::vector<std::string> functions;
  int variables = 0;
};

GraphSummary Summarize(const tensorflow::GraphDef& g) {
  GraphSummary s;
  for (const auto& n : g.node()) {
    ++s.nodes;
    ++s.ops[n.op()];
    if (n.op() == "Placeholder" || n.op() == "PlaceholderWithDefault") s.placeholders.push_back(&n);
    if (n.op() == "VariableV2" || n.op() == "Variable" || n.op() == "VarHandleOp") ++s.variables;
    if (!n.device().empty()) s.devices.insert(n.device());
  }
  s.ranking = RankOutputCandidates(g);
  for (const auto& f : g.library().function()) s.functions.push_back(f.signature().name());
  return s;
}

std::string ShapeAttr(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("shape");
  if (it == n.attr().end()) return "unknown";
  return PartialShapeFromProto(it->second.shape()).ToString();
}

std::string DTypeAttr(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("dtype");
  if (it == n.attr().end()) return "?";
  return DTypeName(BaseDType(it->second.type()));
}

// All op names used by the graph and its functions.
std::map<std::string, int> AllOps(const tensorflow::GraphDef& g) {
  std::map<std::string, int> ops;
  for (const auto& n : g.node()) ++ops[n.op()];
  for (const auto& f : g.library().function()) {
    for (const auto& n : f.node_def()) ++ops[n.op()];
  }
  return ops;
}

// Ops the graph can run: its nodes' and those of the functions they reach (see
// ReachableFunctions; gradient and unselected GPU functions are left out).
std::set<std::string> UsedOps(const tensorflow::GraphDef& g) {
  std::set<std::string> used;
  for (const auto& n : g.node()) used.insert(n.op());
  for (const auto& name : ReachableFunctions(&g.library(), g.node())) {
    for (const auto& n : FindFunction(&g.library(), name)->node_def()) used.insert(n.op());
  }
  return used;
}

bool HasKernel(const tensorflow::GraphDef& g, const std::string& op) {
  return runtime::KernelRegistry::Global().Has(op) || FindFunction(&g.library(), op) != nullptr;
}

void PrintOps(const tensorflow::GraphDef& g, const std::map<std::string, int>& ops,
              bool with_support) {
  std::vector<std::string> missing, unused;
  const std::set<std::string> used = with_support ? UsedOps(g) : std::set<std::string>();
  for (const auto& [op, count] : ops) {
    if (with_support) {
      bool ok = HasKernel(g, op);
      const char* what = "supported";
      if (!ok && used.count(op)) {
        missing.push_back(op);
        what = "NOT SUPPORTED";
      } else if (!ok) {
        unused.push_back(op);
        what = "no kernel; unused (only in functions nothing runs)";
      }
      std::printf("    %-32s x%-5d %s\n", op.c_str(), count, what);
    } else {
      std::printf("    %-32s x%d\n", op.c_str(), count);
    }
  }
  if (with_support) {
    if (missing.empty()) {
      std::printf("  All %zu ops the graph runs have kernels.\n", ops.size() - unused.size());
    } else {
      std::printf("  %zu of %zu ops have no kernel: %s\n", missing.size(), ops.size(),
                  absl::StrJoin(missing, ", ").c_str());
    }
    if (!unused.empty()) {
      std::printf("  Not needed (only in gradient or GPU-only functions nothing runs): %s\n",
                  absl::StrJoin(unused, ", ").c_str());
    }
  }
}

void PrintOutputCandidates(const OutputRanking& r) {
  std::vector<std::string> picks = DefaultFetches(r);
  if (r.training_graph) {
    std::printf(
        "  training graph (gradients / optimizer / summary ops): the train op, summaries and "
        "saver are not outputs\n");
  }
  std::printf("  likely outputs (what `tfmodel run --synthetic_inputs` fetches):\n");
  for (const auto& p : picks) std::printf("    %s\n", p.c_str());
  if (picks.empty()) std::printf("    (none found)\n");
  size_t shown = 0;
  if (r.candidates.size() > picks.size()) {
    std::printf("  output candidates, best first (node, op: why):\n");
    for (const auto& c : r.candidates) {
      if (++shown > 12) {
        std::printf("    ... %zu more (--json lists all)\n", r.candidates.size() - 12);
        break;
      }
      std::printf("    %s (%s): %s\n", c.node.c_str(), c.op.c_str(), c.reason.c_str());
    }
  }
}

void PrintGraph(const tensorflow::GraphDef& g, const Options& opt) {
  GraphSummary s = Summarize(g);
  std::printf("  nodes: %d, distinct ops: %zu, functions: %zu\n", s.nodes, s.ops.size(),
              s.functions.size());
  std::printf("  inputs (placeholders):\n");
  for (const auto* p : s.placeholders) {
    std::printf("    %s:0  %s %s%s\n", p->name().c_str(), DTypeAttr(*p).c_str(),
                ShapeAttr(*p).c_str(), p->op() == "PlaceholderWithDefault" ? " (has default)" : "");
  }
  if (s.placeholders.empty()) std::printf("    (none)\n");
  PrintOutputCandidates(s.ranking);
  if (s.variables) std::printf("  variable nodes: %d\n", s.variables);
  if (!s.devices.empty()) {
    std::printf("  devices named (ignored; tfmodel runs on CPU): %s\n",
                absl::StrJoin(s.devices, ", ").c_str());
  }
  if (!s.functions.empty())
    std::printf("  functions: %s\n", absl::StrJoin(s.functions, ", ").c_str());
  std::printf("  ops%s:\n", opt.ops ? " (with kernel support)" : "");
  PrintOps(g, opt.ops ? AllOps(g) : s.ops, opt.ops);
}

void JsonGraph(JsonWriter& w, const tensorflow::GraphDef& g, bool with_support) {
  GraphSummary s = Summarize(g);
  w.Key("node_count");
  w.Int(s.nodes);
  w.Key("ops");
  w.StartObject();
  const std::set<std::string> used = with_support ? UsedOps(g) : std::set<std::string>();
  for (const auto& [op, n] : with_support ? AllOps(g) : s.ops) {
    w.Key(op.c_str());
    if (with_support) {
      w.StartObject();
      w.Key("count");
      w.Int(n);
      w.Key("supported");
      w.Bool(HasKernel(g, op));
      w.Key("used");
      w.Bool(used.count(op) > 0);
      w.EndObject();
    } else {
      w.Int(n);
    }
  }
  w.EndObject();
  w.Key("placeholders");
  w.StartArray();
  for (const auto* p : s.placeholders) {
    w.StartObject();
    w.Key("name");
    w.String((p->name() + ":0").c_str());
    w.Key("dtype");
    w.String(DTypeAttr(*p).c_str());
    w.Key("shape");
    w.String(ShapeAttr(*p).c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("likely_outputs");
  w.StartArray();
  for (const auto& o : DefaultFetches(s.ranking)) w.String(ParseTensorName(o).node.c_str());
  w.EndArray();
  w.Key("output_candidates");
  w.StartArray();
  for (const auto& c : s.ranking.candidates) {
    w.StartObject();
    w.Key("node");
    w.String(c.node.c_str());
    w.Key("op");
    w.String(c.op.c_str());
    w.Key("score");
    w.Int(c.score);
    w.Key("reason");
    w.String(c.reason.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("devices");
  w.StartArray();
  for (const auto& d : s.devices) w.String(d.c_str());
  w.EndArray();
  w.Key("functions");
  w.StartArray();
  for (const auto& f : s.functions) w.String(f.c_str());
  w.EndArray();
}

// --- SavedModel ------------------------------------------------------------------------

void PrintTensorInfo(const char* kind, const std::string& key, const tensorflow::TensorInfo& t) {
  std::printf("    %s['%s'] tensor_info:\n", kind, key.c_str());
  std::printf("        dtype: %s\n", DTypeEnum(t.dtype()).c_str());
  std::printf("        shape: %s\n",
              t.has_tensor_shape() ? PartialShapeFromProto(t.tensor_shape()).ToCliString().c_str()
                                   : "unknown_rank");
  if (t.has_coo_sparse()) {
    std::printf("        sparse: values %s, indices %s, dense_shape %s\n",
                t.coo_sparse().values_tensor_name().c_str(),
                t.coo_sparse().indices_tensor_name().c_str(),
                t.coo_sparse().dense_shape_tensor_name().c_str());
  } else if (t.has_composite_tensor()) {
    std::vector<std::string> parts;
    for (const auto& c : t.composite_tensor().components()) parts.push_back(c.name());
    std::printf("        composite: %s, components %s\n",
                tensorflow::TypeSpecProto::TypeSpecClass_Name(
                    t.composite_tensor().type_spec().type_spec_class())
                    .c_str(),
                absl::StrJoin(parts, ", ").c_str());
  } else {
    std::printf("        name: %s\n", t.name().c_str());
  }
}

void PrintSignatures(const tensorflow::MetaGraphDef& mg) {
  std::vector<std::string> tags(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
  std::printf("MetaGraphDef with tag-set: '%s' contains the following SignatureDefs:\n",
              absl::StrJoin(tags, ", ").c_str());
  std::map<std::string, const tensorflow::SignatureDef*> sorted;
  for (const auto& [k, v] : mg.signature_def()) sorted[k] = &v;
  for (const auto& [key, sig] : sorted) {
    std::printf("\nsignature_def['%s']:\n", key.c_str());
    std::printf("  The given SavedModel SignatureDef contains the following input(s):\n");
    std::map<std::string, const tensorflow::TensorInfo*> ins({});
    for (const auto& [k, v] : sig->inputs()) ins[k] = &v;
    for (const auto& [k, v] : ins) PrintTensorInfo("inputs", k, *v);
    std::printf("  The given SavedModel SignatureDef contains the following output(s):\n");
    std::map<std::string, const tensorflow::TensorInfo*> outs;
    for (const auto& [k, v] : sig->outputs()) outs[k] = &v;
    for (const auto& [k, v] : outs) PrintTensorInfo("outputs", k, *v);
    std::printf("  Method name is: %s\n", sig->method_name().c_str());
  }
}

void JsonTensorInfo(JsonWriter& w, const tensorflow::TensorInfo& t) {
  w.StartObject();
  w.Key("name");
  w.String(t.name().c_str());
  w.Key("dtype");
  w.String(DTypeEnum(t.dtype()).c_str());
  w.Key("shape");
  PartialShape s = t.has_tensor_shape() ? PartialShapeFromProto(t.tensor_shape()) : PartialShape();
  if (s.unknown_rank()) {
    w.Null();
  } else {
    w.StartArray();
    for (int64_t d : s.dims()) w.Int64(d);
    w.EndArray();
  }
  w.EndObject();
}

void JsonSignatures(JsonWriter& w, const tensorflow::MetaGraphDef& mg) {
  w.Key("signatures");
  w.StartObject();
  std::map<std::string, const tensorflow::SignatureDef*> sorted;
  for (const auto& [k, v] : mg.signature_def()) sorted[k] = &v;
  for (const auto& [key, sig] : sorted) {
    w.Key(key.c_str());
    w.StartObject();
    w.Key("method_name");
    w.String(sig->method_name().c_str());
    for (const char* side : {"inputs", "outputs"}) {
      w.Key(side);
      w.StartObject();
      const auto& m = std::string(side) == "inputs" ? sig->inputs() : sig->outputs();
      std::map<std::string, const tensorflow::TensorInfo*> sorted_m;
      for (const auto& [k, v] : m) sorted_m[k] = &v;
      for (const auto& [k, v] : sorted_m) {
        w.Key(k.c_str());
        JsonTensorInfo(w, *v);
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
}

struct VariableStats {
  int count = 0;
  int64_t bytes = 0;
  std::string error;
};

VariableStats CountVariables(const std::string& prefix) {
  VariableStats v;
  if (prefix.empty()) return v;
  auto reader = CheckpointReader::Open(prefix);
  if (!reader.ok()) {
    v.error = std::string(reader.status().message());
    return v;
  }
  for (const auto& e : (*reader)->entries()) {
    if (e.name == "_CHECKPOINTABLE_OBJECT_GRAPH") continue;
    ++v.count;
    v.bytes += e.bytes;
  }
  return v;
}

int InspectSavedModel(const std::string& dir, const Options& opt) {
  std::vector<std::vector<std::string>> tag_sets;
  bool session_bundle = !IsSavedModelDir(dir);
  if (session_bundle) {
    tag_sets.push_back({});
  } else {
    auto sm = ReadSavedModelProto(dir);
    if (!sm.ok()) {
      PrintError("inspect", sm.status().message());
      return 1;
    }
    for (const auto& mg : sm->meta_graphs()) {
      tag_sets.emplace_back(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
    }
    if (!opt.tags.empty()) tag_sets = {opt.tags};
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (opt.json) {
    w.StartObject();
    w.Key("path");
    w.String(dir.c_str());
    w.Key("kind");
    w.String(session_bundle ? "session_bundle" : "saved_model");
    w.Key("meta_graphs");
    w.StartArray();
  } else {
    std::printf("%s: %s\n\n",
                session_bundle ? "TF Serving session bundle (legacy export)" : "SavedModel",
                dir.c_str());
  }
  int rc = 0;
  for (const auto& tags : tag_sets) {
    auto art = ReadModelArtifact(dir, tags);
    if (!art.ok()) {
      PrintError("inspect", art.status().message());
      rc = 1;
      continue;
    }
    const auto& mg = art->meta_graph;
    VariableStats vars = CountVariables(art->variables_prefix);
    if (opt.json) {
      w.StartObject();
      w.Key("tags");
      w.StartArray();
      for (const auto& t : tags) w.String(t.c_str());
      w.EndArray();
      w.Key("tensorflow_version");
      w.String(mg.meta_info_def().tensorflow_version().c_str());
      JsonSignatures(w, mg);
      w.Key("variables");
      w.StartObject();
      w.Key("count");
      w.Int(vars.count);
      w.Key("bytes");
      w.Int64(vars.bytes);
      if (!vars.error.empty()) {
        w.Key("error");
        w.String(vars.error.c_str());
      }
      w.EndObject();
      w.Key("assets");
      w.StartArray();
      for (const auto& a : art->assets) w.String(a.filename.c_str());
      w.EndArray();
      w.Key("init_op");
      w.String(art->init_op.c_str());
      w.Key("graph");
      w.StartObject();
      JsonGraph(w, mg.graph_def(), opt.ops);
      w.EndObject();
      w.EndObject();
      continue;
    }
    PrintSignatures(mg);
    std::printf("\n");
    if (!mg.meta_info_def().tensorflow_version().empty()) {
      std::printf("Written by TensorFlow %s\n", mg.meta_info_def().tensorflow_version().c_str());
    }
    if (art->variables_prefix.empty()) {
      std::printf("Variables: none\n");
    } else if (!vars.error.empty()) {
      std::printf("Variables: cannot read %s: %s\n", art->variables_prefix.c_str(),
                  vars.error.c_str());
      rc = 1;
    } else {
      std::printf("Variables: %d tensors, %lld bytes (%s)\n", vars.count,
                  static_cast<long long>(vars.bytes), art->variables_prefix.c_str());
    }
    if (!art->assets.empty()) {
      std::vector<std::string> names;
      for (const auto& a : art->assets) names.push_back(a.filename);
      std::printf("Assets: %s\n", absl::StrJoin(names, ", ").c_str());
    }
    if (!art->assets_extra.empty()) {
      std::printf("assets.extra: %s\n", absl::StrJoin(art->assets_extra, ", ").c_str());
    }
    if (!art->init_op.empty()) std::printf("Init op: %s\n", art->init_op.c_str());
    if (art->fingerprint) {
      std::printf("Fingerprint: saved_model_checksum %llu\n",
                  static_cast<unsigned long long>(art->fingerprint->saved_model_checksum()));
    }
    std::printf("Graph:\n");
    PrintGraph(mg.graph_def(), opt);
    std::printf("\n");
  }
  if (opt.json) {
    w.EndArray();
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  }
  return rc;
}

// --- Checkpoint ------------------------------------------------------------------------

int InspectCheckpoint(const std::string& path, const Options& opt) {
  auto reader = CheckpointReader::Open(path);
  if (!reader.ok()) {
    PrintError("inspect", reader.status().message());
    return 1;
  }
  const auto& r = **reader;
  if (!opt.tensor.empty()) {
    auto t = r.Read(opt.tensor);
    if (!t.ok()) {
      PrintError("inspect", t.status().message());
      return 1;
    }
    std::printf("tensor_name:  %s\n%s\n", opt.tensor.c_str(), t->DebugString(1000).c_str());
    return 0;
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (opt.json) {
    w.StartObject();
    w.Key("path");
    w.String(r.prefix().c_str());
    w.Key("kind");
    w.String("checkpoint");
    w.Key("format_version");
    w.Int(r.format_version());
    w.Key("tensors");
    w.StartArray();
  } else {
    std::printf("Checkpoint (V%d): %s\n", r.format_version(), r.prefix().c_str());
  }
  int rc = 0;
  for (const auto& e : r.entries()) {
    std::string values;
    if (opt.all_tensors) {
      auto t = r.Read(e.name);
      if (t.ok()) {
        values = t->DebugString(opt.json ? 100000 : 1000);
      } else {
        values = absl::StrCat("<error: ", t.status().message(), ">");
        rc = 1;
      }
    }
    if (opt.json) {
      w.StartObject();
      w.Key("name");
      w.String(e.name.c_str());
      w.Key("dtype");
      w.String(DTypeName(e.dtype).c_str());
      w.Key("shape");
      w.StartArray();
      for (int64_t d : e.shape.dim_sizes()) w.Int64(d);
      w.EndArray();
      w.Key("bytes");
      w.Int64(e.bytes);
      if (opt.all_tensors) {
        w.Key("values");
        w.String(values.c_str());
      }
      w.EndObject();
    } else {
      std::printf("  %-50s %-8s %-16s %lld bytes%s\n", e.name.c_str(), DTypeName(e.dtype).c_str(),
                  e.shape.ToString().c_str(), static_cast<long long>(e.bytes),
                  e.sliced ? " (sliced)" : "");
      if (opt.all_tensors) std::printf("    %s\n", values.c_str());
    }
  }
  if (opt.json) {
    w.EndArray();
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("%zu tensors\n", r.entries().size());
  }
  return rc;
}

// --- GraphDef / MetaGraphDef -------------------------------------------------------------

int InspectGraphFile(const std::string& path, bool meta, const Options& opt) {
  tensorflow::MetaGraphDef mg;
  if (meta) {
    auto m = ReadMetaGraphDef(path);
    if (!m.ok()) {
      PrintError("inspect", m.status().message());
      return 1;
    }
    mg = std::move(*m);
  } else {
    auto g = ReadGraphDef(path);
    if (!g.ok()) {
      PrintError("inspect", g.status().message());
      return 1;
    }
    *mg.mutable_graph_def() = std::move(*g);
  }
  if (opt.json) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("path");
    w.String(path.c_str());
    w.Key("kind");
    w.String(meta ? "meta_graph" : "graph_def");
    if (meta) JsonSignatures(w, mg);
    w.Key("graph");
    w.StartObject();
    JsonGraph(w, mg.graph_def(), opt.ops);
    w.EndObject();
    w.EndObject();
    std::printf("%s\n", buf.GetString());
    return 0;
  }
  std::printf("%s: %s\n", meta ? "MetaGraphDef" : "GraphDef", path.c_str());
  if (meta) {
    if (!mg.meta_info_def().tensorflow_version().empty()) {
      std::printf("Written by TensorFlow %s\n", mg.meta_info_def().tensorflow_version().c_str());
    }
    if (mg.has_saver_def()) {
      std::printf("Saver: restore op %s, filename tensor %s\n",
                  mg.saver_def().restore_op_name().c_str(),
                  mg.saver_def().filename_tensor_name().c_str());
    }
    std::vector<std::string> cols;
    for (const auto& [k, v] : mg.collection_def()) cols.push_back(k);
    std::sort(cols.begin(), cols.end());
    if (!cols.empty()) std::printf("Collections: %s\n", absl::StrJoin(cols, ", ").c_str());
    if (mg.signature_def_size()) PrintSignatures(mg);
  }
  std::printf("Graph:\n");
  PrintGraph(mg.graph_def(), opt);
  return 0;
}

int InspectNpy(const std::string& path, const Options& opt) {
  auto t = ReadNpy(path);
  if (!t.ok()) {
    PrintError("inspect", t.status().message());
    return 1;
  }
  std::printf("%s: %s\n", path.c_str(), t->DebugString(opt.all_tensors ? 1000000 : 20).c_str());
  return 0;
}

bool IsVersionFolder(const fs::path& p) {
  int64_t v;
  return fs::is_directory(p) && absl::SimpleAtoi(p.filename().string(), &v) && v >= 0;
}

// One line saying whether two versions of a model hold the same variable values.
std::string CompareVersionVariables(const std::pair<int64_t, std::string>& a,
                                    const std::pair<int64_t, std::string>& b) {
  std::string head = absl::StrCat("Versions ", a.first, " and ", b.first, ": ");
  auto art_a = ReadModelArtifact(a.second);
  auto art_b = ReadModelArtifact(b.second);
  if (!art_a.ok() || !art_b.ok()) {
    return head + "cannot compare variables (a version does not load)";
  }
  if (art_a->variables_prefix.empty() || art_b->variables_prefix.empty()) {
    return head + (art_a->variables_prefix.empty() && art_b->variables_prefix.empty()
                       ? "no variables"
                       : "only one has variables");
  }
  auto ra = CheckpointReader::Open(art_a->variables_prefix);
  auto rb = CheckpointReader::Open(art_b->variables_prefix);
  if (!ra.ok() || !rb.ok()) {
    return head + "cannot compare variables: " +
           std::string((!ra.ok() ? ra.status() : rb.status()).message());
  }
  auto c = CompareCheckpoints(**ra, **rb);
  if (!c.ok()) return head + "cannot compare variables: " + std::string(c.status().message());
  if (c->AllEqual()) {
    return absl::StrCat(head, "identical variables (", c->equal.size(), " tensors)");
  }
  auto list = [](const std::vector<std::string>& v) {
    std::vector<std::string> first(v.begin(), v.begin() + std::min<size_t>(v.size(), 6));
    return absl::StrCat(absl::StrJoin(first, ", "), v.size() > 6 ? ", ..." : "");
  };
  std::string out =
      absl::StrCat(head, "variables differ: ", c->different.size(), " tensors with other values");
  if (!c->different.empty()) absl::StrAppend(&out, " (", list(c->different), ")");
  absl::StrAppend(&out, ", ", c->equal.size(), " equal");
  if (!c->equal.empty()) absl::StrAppend(&out, " (", list(c->equal), ")");
  if (!c->only_in_a.empty()) {
    absl::StrAppend(&out, ", only in ", a.first, ": ", list(c->only_in_a));
  }
  if (!c->only_in_b.empty()) {
    absl::StrAppend(&out, ", only in ", b.first, ": ", list(c->only_in_b));
  }
  return out;
}

// A model base path: list versions, compare neighbours' variables, describe the newest.
int InspectBasePath(const std::string& p, const Options& opt) {
  std::vector<std::pair<int64_t, std::string>> versions;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    if (IsVersionFolder(e.path())) {
      int64_t v = 0;
      (void)absl::SimpleAtoi(e.path().filename().string(), &v);
      versions.emplace_back(v, e.path().string());
    }
  }
  std::sort(versions.begin(), versions.end());
  if (!opt.json) {
    std::vector<std::string> vs;
    for (const auto& [v, path] : versions) vs.push_back(absl::StrCat(v));
    std::printf("Model base path %s: versions %s; showing the latest\n", p.c_str(),
                absl::StrJoin(vs, ", ").c_str());
    for (size_t i = 1; i < versions.size(); ++i) {
      std::printf("%s\n", CompareVersionVariables(versions[i - 1], versions[i]).c_str());
    }
    std::printf("\n");
  }
  const std::string& latest = versions.back().second;
  if (!IsSavedModelDir(latest)) {
    if (std::string lite = TfLiteModelInFolder(latest); !lite.empty()) {
      return InspectTfLite(lite, opt.json);
    }
  }
  return InspectSavedModel(latest, opt);
}

}  // namespace

int InspectMain(int argc, char** argv) {
  Options opt;
  CLI::App app{
      "Describe a SavedModel folder, a model base path (numeric version folders), a "
      "GraphDef or MetaGraphDef (binary or text), a checkpoint (prefix, .index or a folder "
      "with a `checkpoint` file), a TFLite model or a .npy file. The kind is recognized by "
      "content, whatever the file is named.",
      "tfmodel inspect"};
  app.add_option("path", opt.path, "artifact to describe")->required();
  app.add_flag("--json", opt.json, "print JSON for tools");
  app.add_flag("--ops", opt.ops,
               "list every op (incl. in functions) and whether tfmodel has a kernel");
  app.add_option("--tensor", opt.tensor, "checkpoint: print this tensor's values");
  app.add_flag("--all_tensors", opt.all_tensors, "checkpoint: print every tensor's values");
  std::string tag_set;
  app.add_option("--tag_set", tag_set, "SavedModel: only this tag set (comma separated)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!tag_set.empty()) opt.tags = absl::StrSplit(tag_set, ',');
  auto detected = DetectModelFormat(opt.path);
  if (!detected.ok()) {
    PrintError("inspect", detected.status().message());
    return 1;
  }
  const DetectedFormat& d = *detected;
  switch (d.format) {
    case ModelFormat::kSavedModelDir:
    case ModelFormat::kSessionBundleDir:
      return InspectSavedModel(d.path, opt);
    case ModelFormat::kSavedModel:
      return InspectSavedModel(Dirname(d.path), opt);
    case ModelFormat::kCheckpointDir:
    case ModelFormat::kCheckpoint:
      return InspectCheckpoint(d.path, opt);
    case ModelFormat::kModelBasePath:
      return InspectBasePath(d.path, opt);
    case ModelFormat::kTfLite:
      return InspectTfLite(d.path, opt.json);
    case ModelFormat::kGraphDef:
    case ModelFormat::kMetaGraphDef:
      return InspectGraphFile(d.path, d.format == ModelFormat::kMetaGraphDef, opt);
    case ModelFormat::kNpy:
      return InspectNpy(d.path, opt);
    case ModelFormat::kNpz:
    case ModelFormat::kUnknown:
      break;
  }
  std::fprintf(stderr, "tfmodel inspect: '%s' is not an artifact tfmodel can describe: %s\n",
               opt.path.c_str(), d.reason.c_str());
  return 1;
}

}  // namespace tfmodel::cli
