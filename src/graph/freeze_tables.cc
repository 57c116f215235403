#include "graph/freeze_tables.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status.h"
#include "format/saved_model.h"
#include "format/tensor_proto.h"
#include "format/vocab_file.h"
#include "graph/attr_util.h"

namespace tfmodel {
namespace {

using NodeMap = std::map<std::string, const tensorflow::NodeDef*>;

bool IsConstantTableOp(const std::string& op) { return op == "HashTable" || op == "HashTableV2"; }

bool IsTableOp(const std::string& op) {
  return IsConstantTableOp(op) || op.find("HashTable") != std::string::npos ||
         op == "MutableDenseHashTable" || op == "MutableDenseHashTableV2";
}

// The node producing `input` after Identity chains, and the tensor names passed on the way
// (so a feed such as an asset placeholder can be matched at any step).
const tensorflow::NodeDef* Resolve(const NodeMap& nodes, std::string input,
                                   std::vector<std::string>* path = nullptr) {
  for (int guard = 0; guard < 64; ++guard) {
    TensorId id = ParseTensorName(input);
    auto it = nodes.find(id.node);
    if (it == nodes.end()) return nullptr;
    if (path) path->push_back(id.ToString());
    const tensorflow::NodeDef* n = it->second;
    if (n->op() != "Identity" || n->input_size() == 0) return n;
    input = n->input(0);
  }
  return nullptr;
}

DType AttrDType(const tensorflow::NodeDef& n, const char* name) {
  auto it = n.attr().find(name);
  if (it == n.attr().end() || !DTypeIsValid(it->second.type())) return DType::kInvalid;
  return BaseDType(it->second.type());
}

absl::StatusOr<Tensor> ConstValue(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("value");
  if (it == n.attr().end()) return absl::InvalidArgumentError("Const without a value");
  return TensorFromProto(it->second.tensor());
}

std::string UniqueName(const std::string& base, std::set<std::string>* taken) {
  std::string name = base;
  for (int i = 1; taken->count(name); ++i) name = absl::StrCat(base, "_", i);
  taken->insert(name);
  return name;
}

tensorflow::NodeDef ConstNode(const std::string& name, const Tensor& value) {
  tensorflow::NodeDef n;
  n.set_name(name);
  n.set_op("Const");
  (*n.mutable_attr())["dtype"] = AttrType(value.dtype());
  (*n.mutable_attr())["value"] = AttrTensor(value);
  return n;
}

struct TableContents {
  Tensor keys, values;
};

// The keys and values `init` puts into `table`, when they are constant.
absl::StatusOr<TableContents> ConstantContents(const NodeMap& nodes,
                                               const tensorflow::NodeDef& table,
                                               const tensorflow::NodeDef& init,
                                               const std::map<std::string, std::string>& assets) {
  TableContents c;
  const std::string& op = init.op();
  if (op == "InitializeTable" || op == "InitializeTableV2") {
    if (init.input_size() < 3) return absl::InvalidArgumentError("initializer has < 3 inputs");
    for (int k = 1; k <= 2; ++k) {
      const tensorflow::NodeDef* src = Resolve(nodes, init.input(k));
      if (src == nullptr || src->op() != "Const") {
        return absl::FailedPreconditionError(
            absl::StrCat("its ", k == 1 ? "keys" : "values", " come from '", init.input(k), "' (",
                         src ? src->op() : "unknown node", "), not a constant"));
      }
      TFM_ASSIGN_OR_RETURN(Tensor v, ConstValue(*src));
      (k == 1 ? c.keys : c.values) = std::move(v);
    }
    return c;
  }
  // InitializeTableFromTextFile[V2]: read the vocabulary now.
  if (init.input_size() < 2) return absl::InvalidArgumentError("initializer has < 2 inputs");
  std::vector<std::string> path;
  const tensorflow::NodeDef* src = Resolve(nodes, init.input(1), &path);
  std::string file;
  for (const auto& t : path) {
    auto a = assets.find(t);
    if (a != assets.end()) file = a->second;
  }
  if (file.empty() && src != nullptr && src->op() == "Const") {
    TFM_ASSIGN_OR_RETURN(Tensor v, ConstValue(*src));
    if (v.dtype() == DType::kString && v.NumElements() == 1) file = v.flat<std::string>()[0];
  }
  if (file.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "its vocabulary file name comes from '", init.input(1), "' (",
        src ? src->op() : "unknown node", "), which is neither an asset nor a constant"));
  }
  TextFileSpec spec;
  auto get_i = [&](const char* name, int64_t* v) {
    auto it = init.attr().find(name);
    if (it != init.attr().end()) *v = it->second.i();
  };
  get_i("key_index", &spec.key_index);
  get_i("value_index", &spec.value_index);
  get_i("vocab_size", &spec.vocab_size);
  get_i("offset", &spec.offset);
  auto d = init.attr().find("delimiter");
  if (d != init.attr().end()) {
    if (d->second.s().size() != 1) return absl::InvalidArgumentError("delimiter must be 1 char");
    spec.delimiter = d->second.s()[0];
  }
  if (spec.key_index < kTextFileWholeLine || spec.value_index < kTextFileWholeLine) {
    return absl::InvalidArgumentError("key_index and value_index must be >= -2");
  }
  DType kd = AttrDType(table, "key_dtype"), vd = AttrDType(table, "value_dtype");
  TFM_RETURN_IF_ERROR(CheckTextFileSpec(spec, kd, vd));
  auto data = ReadFileToString(file);
  if (!data.ok()) {
    return absl::NotFoundError(
        absl::StrCat("its vocabulary file '", file, "' cannot be read: ", data.status().message()));
  }
  TFM_RETURN_IF_ERROR(ParseTextFileTable(file, *data, spec, kd, vd, &c.keys, &c.values));
  return c;
}

// Whether two initializers give a table the same keys and values.
bool SameContents(const TableContents& a, const TableContents& b) {
  auto same = [](const Tensor& x, const Tensor& y) {
    if (x.dtype() != y.dtype() || x.shape() != y.shape()) return false;
    for (int64_t i = 0; i < x.NumElements(); ++i) {
      if (x.ValueString(i) != y.ValueString(i)) return false;
    }
    return true;
  };
  return same(a.keys, b.keys) && same(a.values, b.values);
}

}  // namespace

bool IsTableInitializerOp(const std::string& op) {
  return op == "InitializeTable" || op == "InitializeTableV2" ||
         op == "InitializeTableFromTextFile" || op == "InitializeTableFromTextFileV2";
}

absl::Status FreezeTableInitializers(const tensorflow::GraphDef& full,
                                     const std::map<std::string, std::string>& asset_files,
                                     tensorflow::GraphDef* frozen,
                                     std::vector<std::string>* tables) {
  NodeMap nodes;
  for (const auto& n : full.node()) nodes[n.name()] = &n;
  // Initializers of each table, found in the whole graph.
  std::map<std::string, std::vector<const tensorflow::NodeDef*>> inits;
  for (const auto& n : full.node()) {
    if (!IsTableInitializerOp(n.op()) || n.input_size() == 0) continue;
    const tensorflow::NodeDef* t = Resolve(nodes, n.input(0));
    if (t) inits[t->name()].push_back(&n);
  }
  std::set<std::string> taken;
  for (const auto& n : frozen->node()) taken.insert(n.name());
  std::vector<std::string> errors;
  std::vector<tensorflow::NodeDef> added;
  std::set<std::string> replaced;  // initializers the pruned graph already held
  std::vector<std::string> init_names;
  for (const auto& table : frozen->node()) {
    if (!IsTableOp(table.op())) continue;
    auto fail = [&](absl::string_view why) {
      errors.push_back(absl::StrCat("table '", table.name(), "' (", table.op(), "): ", why));
    };
    if (!IsConstantTableOp(table.op())) {
      fail(
          "a mutable table's contents are made at run time (or restored from a checkpoint), so "
          "they cannot be frozen into the graph");
      continue;
    }
    auto it = inits.find(table.name());
    if (it == inits.end()) {
      fail(
          "no initializer in the graph fills it, so the frozen graph could not run "
          "(\"Table not initialized\")");
      continue;
    }
    const tensorflow::NodeDef& init = *it->second.front();
    auto contents = ConstantContents(nodes, table, init, asset_files);
    if (!contents.ok()) {
      fail(absl::StrCat("initializer '", init.name(), "' (", init.op(),
                        "): ", contents.status().message(),
                        "; tfmodel freezes only tables whose contents are constant"));
      continue;
    }
    // Several initializers of one table (a function inlined at two call sites) are fine
    // when they all fill it with the same contents; the first one stands for them.
    std::vector<std::string> differing;
    for (size_t i = 1; i < it->second.size(); ++i) {
      const tensorflow::NodeDef& other = *it->second[i];
      auto c = ConstantContents(nodes, table, other, asset_files);
      if (!c.ok() || !SameContents(*c, *contents)) differing.push_back(other.name());
      if (taken.count(other.name())) replaced.insert(other.name());
    }
    if (!differing.empty()) {
      fail(absl::StrCat(it->second.size(), " initializers fill it ('", init.name(), "', '",
                        absl::StrJoin(differing, "', '"),
                        "') with different contents; expected one"));
      continue;
    }
    if (taken.count(init.name())) replaced.insert(init.name());
    taken.insert(init.name());
    tensorflow::NodeDef keys = ConstNode(UniqueName(init.name() + "/keys", &taken), contents->keys);
    tensorflow::NodeDef values =
        ConstNode(UniqueName(init.name() + "/values", &taken), contents->values);
    tensorflow::NodeDef n;
    n.set_name(init.name());
    bool v1 = table.op() == "HashTable";
    n.set_op(v1 ? "InitializeTable" : "InitializeTableV2");
    n.add_input(table.name());
    n.add_input(keys.name());
    n.add_input(values.name());
    (*n.mutable_attr())["Tkey"] = AttrType(contents->keys.dtype());
    (*n.mutable_attr())["Tval"] = AttrType(contents->values.dtype());
    init_names.push_back(n.name());
    added.push_back(std::move(keys));
    added.push_back(std::move(values));
    added.push_back(std::move(n));
    if (tables) tables->push_back(table.name());
  }
  if (!errors.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot freeze the graph's lookup tables: ", absl::StrJoin(errors, "; ")));
  }
  if (init_names.empty()) return absl::OkStatus();
  if (!replaced.empty()) {
    auto* ns = frozen->mutable_node();
    ns->erase(
        std::remove_if(ns->begin(), ns->end(),
                       [&](const tensorflow::NodeDef& n) { return replaced.count(n.name()); }),
        ns->end());
  }
  for (auto& n : added) *frozen->add_node() = std::move(n);
  // One NoOp running every initializer, named as TF's tables_initializer() names it.
  // A kept node of another op under that name would leave the tables uninitialized in
  // TensorFlow and in tfmodel (which runs that name at load): refuse it.
  tensorflow::NodeDef* group = nullptr;
  for (auto& n : *frozen->mutable_node()) {
    if (n.name() != kTablesInitializerName) continue;
    if (n.op() != "NoOp") {
      return absl::AlreadyExistsError(
          absl::StrCat("the frozen graph keeps a ", n.op(), " node named '", kTablesInitializerName,
                       "'; the NoOp running the lookup table initializers needs that name"));
    }
    group = &n;
  }
  if (group == nullptr) {
    group = frozen->add_node();
    group->set_name(kTablesInitializerName);
    taken.insert(kTablesInitializerName);
    group->set_op("NoOp");
  }
  std::set<std::string> have(group->input().begin(), group->input().end());
  for (const auto& name : init_names) {
    if (!have.count("^" + name)) group->add_input("^" + name);
  }
  return absl::OkStatus();
}

}  // namespace tfmodel
