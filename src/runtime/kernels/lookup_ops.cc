// Lookup tables (tf.lookup / feature-column vocabularies), as TF's lookup_table_op.cc,
// lookup_table_init_op.cc, initializable_lookup_table.cc and lookup_util.cc:
//   HashTable[V2]                      read-only once initialised (InitializeTable[V2],
//                                      InitializeTableFromTextFile[V2], LookupTableImport[V2])
//   MutableHashTable[V2]               scalar values, Insert / Remove / Import replace freely
//   MutableHashTableOfTensors[V2]      vector values of shape `value_shape`
// and LookupTableFind / Insert / Remove / Size / Export / Import (V1 and V2 names).
//
// A table lives in the model's ResourceMgr under (container, shared_name or the node name)
// with type "LookupTable", so the SavedModel's init op (run once at load) fills the same
// table that the signatures later read. Handles are DT_RESOURCE scalars for the V1 ops too
// (TF's V1 ops use a string ref; nothing outside the runtime can see the difference).
// Keys: int32, int64 or string; values: int32, int64, float, double, string or bool.
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "format/vocab_file.h"
#include "runtime/kernel.h"
#include "runtime/kernels/register_all.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

constexpr char kTableTypeName[] = "LookupTable";

enum class TableKind { kHash, kMutable, kMutableOfTensors };

std::string ValueText(const std::string& v) { return v; }
std::string ValueText(bool v) { return v ? "1" : "0"; }
template <typename T>
std::string ValueText(T v) {
  return absl::StrCat(v);
}

// The type-independent face of a table. Every method except the accessors expects `mu`
// to be held by the caller.
class LookupTable {
 public:
  LookupTable(TableKind kind, DType key_dtype, DType value_dtype, TensorShape value_shape)
      : kind_(kind), key_dtype_(key_dtype), value_dtype_(value_dtype), value_shape_(value_shape) {}
  virtual ~LookupTable() = default;

  TableKind kind() const { return kind_; }
  DType key_dtype() const { return key_dtype_; }
  DType value_dtype() const { return value_dtype_; }
  const TensorShape& value_shape() const { return value_shape_; }
  bool initializable() const { return kind_ == TableKind::kHash; }

  std::mutex mu;
  bool initialized = false;  // kHash only

  virtual int64_t Entries() const = 0;
  // Looks every key up; `default_value` is one value (value_shape) or one per key.
  virtual void Find(const Tensor& keys, const Tensor& default_value, Tensor* out) const = 0;
  // Insert-or-overwrite (mutable tables), or (hash tables) insert failing on a key that
  // already holds a different value.
  virtual absl::Status Insert(const Tensor& keys, const Tensor& values) = 0;
  virtual void Remove(const Tensor& keys) = 0;
  virtual void Clear() = 0;
  virtual void Export(Tensor* keys, Tensor* values) const = 0;

 private:
  TableKind kind_;
  DType key_dtype_;
  DType value_dtype_;
  TensorShape value_shape_;
};

// K is the stored key (int64_t for int32/int64 keys, std::string), V the value's C++ type.
template <typename K, typename V>
class TypedTable final : public LookupTable {
 public:
  using LookupTable::LookupTable;

  int64_t Entries() const override { return static_cast<int64_t>(map_.size()); }

  void Find(const Tensor& keys, const Tensor& default_value, Tensor* out) const override {
    const int64_t dim = value_shape().NumElements();
    const int64_t n = keys.NumElements();
    const bool per_key_default = default_value.NumElements() != dim;
    const V* def = default_value.data<V>();
    V* o = out->data<V>();
    for (int64_t i = 0; i < n; ++i) {
      auto it = map_.find(KeyAt(keys, i));
      const V* src = it != map_.end() ? it->second.data() : def + (per_key_default ? i * dim : 0);
      for (int64_t j = 0; j < dim; ++j) o[i * dim + j] = src[j];
    }
  }

  absl::Status Insert(const Tensor& keys, const Tensor& values) override {
    const int64_t dim = value_shape().NumElements();
    const int64_t n = keys.NumElements();
    const V* v = values.data<V>();
    for (int64_t i = 0; i < n; ++i) {
      Row row(v + i * dim, v + (i + 1) * dim);
      K key = KeyAt(keys, i);
      if (initializable()) {
        auto [it, inserted] = map_.emplace(key, row);
        if (!inserted && it->second != row) {
          return absl::FailedPreconditionError(absl::StrCat(
              "HashTable has different value for same key. Key ", ValueText(key), " has ",
              ValueText(it->second[0]), " and trying to add value ", ValueText(row[0])));
        }
      } else {
        map_[std::move(key)] = std::move(row);
      }
    }
    return absl::OkStatus();
  }

  void Remove(const Tensor& keys) override {
    for (int64_t i = 0; i < keys.NumElements(); ++i) map_.erase(KeyAt(keys, i));
  }
  void Clear() override { map_.clear(); }

  void Export(Tensor* keys, Tensor* values) const override {
    const int64_t dim = value_shape().NumElements();
    int64_t i = 0;
    V* o = values->data<V>();
    for (const auto& [k, row] : map_) {
      if constexpr (std::is_same_v<K, std::string>) {
        keys->data<std::string>()[i] = k;
      } else if (key_dtype() == DType::kInt32) {
        keys->data<int32_t>()[i] = static_cast<int32_t>(k);
      } else {
        keys->data<int64_t>()[i] = k;
      }
      for (int64_t j = 0; j < dim; ++j) o[i * dim + j] = row[j];
      ++i;
    }
  }

 private:
  using Row = absl::InlinedVector<V, 1>;

  static K KeyAt(const Tensor& t, int64_t i) {
    if constexpr (std::is_same_v<K, std::string>) {
      return t.data<std::string>()[i];
    } else {
      return t.dtype() == DType::kInt32 ? int64_t{t.data<int32_t>()[i]} : t.data<int64_t>()[i];
    }
  }

  std::unordered_map<K, Row> map_;
};

bool IsKeyDType(DType d) { return d == DType::kInt32 || d == DType::kInt64 || d == DType::kString; }
bool IsValueDType(DType d) {
  return d == DType::kInt32 || d == DType::kInt64 || d == DType::kFloat || d == DType::kDouble ||
         d == DType::kString || d == DType::kBool;
}

template <typename K>
std::shared_ptr<LookupTable> NewTableWithKey(TableKind kind, DType key, DType value,
                                             const TensorShape& value_shape) {
  switch (value) {
    case DType::kInt32:
      return std::make_shared<TypedTable<K, int32_t>>(kind, key, value, value_shape);
    case DType::kInt64:
      return std::make_shared<TypedTable<K, int64_t>>(kind, key, value, value_shape);
    case DType::kFloat:
      return std::make_shared<TypedTable<K, float>>(kind, key, value, value_shape);
    case DType::kDouble:
      return std::make_shared<TypedTable<K, double>>(kind, key, value, value_shape);
    case DType::kString:
      return std::make_shared<TypedTable<K, std::string>>(kind, key, value, value_shape);
    default:
      return std::make_shared<TypedTable<K, bool>>(kind, key, value, value_shape);
  }
}

std::shared_ptr<LookupTable> NewTable(TableKind kind, DType key, DType value,
                                      const TensorShape& value_shape) {
  if (key == DType::kString) return NewTableWithKey<std::string>(kind, key, value, value_shape);
  return NewTableWithKey<int64_t>(kind, key, value, value_shape);
}

// ---------------------------------------------------------------------------------------
// Checks shared by the ops (LookupInterface::Check* in TF).

absl::Status CheckTypes(const KernelContext* ctx, const LookupTable& t, const Tensor& keys,
                        const Tensor& values, absl::string_view value_what) {
  if (keys.dtype() != t.key_dtype()) {
    return ctx->Error(absl::StrCat("Key must be type ", DTypeName(t.key_dtype()), " but got ",
                                   DTypeName(keys.dtype())));
  }
  if (values.dtype() != t.value_dtype()) {
    return ctx->Error(absl::StrCat(value_what, " must be type ", DTypeName(t.value_dtype()),
                                   " but got ", DTypeName(values.dtype())));
  }
  return absl::OkStatus();
}

TensorShape FullValueShape(const LookupTable& t, const TensorShape& keys) {
  TensorShape s = keys;
  for (int64_t d : t.value_shape().dim_sizes()) s.AddDim(d);
  return s;
}

absl::Status CheckKeysAndValues(const KernelContext* ctx, const LookupTable& t, const Tensor& keys,
                                const Tensor& values) {
  TFM_RETURN_IF_ERROR(CheckTypes(ctx, t, keys, values, "Value"));
  TensorShape expected = FullValueShape(t, keys.shape());
  if (values.shape() != expected) {
    return ctx->Error(absl::StrCat("Expected shape ", expected.ToString(), " for value, got ",
                                   values.shape().ToString()));
  }
  return absl::OkStatus();
}

// The table behind input `i`.
absl::StatusOr<std::shared_ptr<LookupTable>> InputTable(KernelContext* ctx, int i) {
  if (ctx->num_inputs() <= i) return ctx->Error("missing the table handle input");
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kResource || t.NumElements() != 1) {
    return ctx->Error(absl::StrCat("table_handle must be a lookup table handle, got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  const ResourceHandle& h = t.flat<ResourceHandle>()[0];
  if (h.resource && h.type_name == kTableTypeName) {
    return std::static_pointer_cast<LookupTable>(h.resource);
  }
  if (ctx->resources() == nullptr) return ctx->Error("no resource manager to hold tables");
  auto r = ctx->resources()->Lookup<LookupTable>(h.container, h.name, kTableTypeName);
  if (!r.ok()) {
    return absl::Status(r.status().code(),
                        absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): Table ",
                                     ResourceMgr::Describe(h.container, h.name),
                                     " not found: ", r.status().message()));
  }
  return r;
}

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

absl::Status NotInitializable(const KernelContext* ctx, absl::string_view what) {
  return absl::UnimplementedError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                               "): ", what,
                                               " not supported by InitializableLookupTable "
                                               "implementations"));
}

// InitializableLookupTable::Initialize with in-memory keys/values (caller holds mu): a
// second initialisation with as many entries is a no-op, with a different count an error.
absl::Status InitializeFrom(const KernelContext* ctx, LookupTable* t, const Tensor& keys,
                            const Tensor& values) {
  if (t->initialized) {
    if (keys.NumElements() == t->Entries()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                     "): Table was already initialized with different data."));
  }
  absl::Status s = t->Insert(keys, values);
  if (!s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): ", s.message()));
  }
  t->initialized = true;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Table creation.

Result MakeTableOp(const KernelInit& init, TableKind kind) {
  std::string container, shared_name;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("container", &container));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shared_name", &shared_name));
  DType key_dtype = DType::kInvalid, value_dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttr("key_dtype", &key_dtype));
  TFM_RETURN_IF_ERROR(init.GetAttr("value_dtype", &value_dtype));
  if (!IsKeyDType(key_dtype)) {
    return init.Error(
        absl::StrCat("unsupported key_dtype ", DTypeName(key_dtype), " (int32, int64 or string)"));
  }
  if (!IsValueDType(value_dtype)) {
    return init.Error(absl::StrCat("unsupported value_dtype ", DTypeName(value_dtype),
                                   " (int32, int64, float, double, string or bool)"));
  }
  TensorShape value_shape;
  if (kind == TableKind::kMutableOfTensors) {
    PartialShape ps;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("value_shape", &ps));
    if (ps.rank() != 1 || !ps.IsFullyDefined()) {
      return init.Error(absl::StrCat("Default value must be a vector, got shape ", ps.ToString()));
    }
    value_shape = TensorShape(ps.dims());
  }
  // Without a shared_name TF keys the table by node name (use_node_name_sharing) or keeps
  // it private to the kernel; kernels here are per plan, so the node name is what makes the
  // init op's table the one the signatures read.
  std::string name = shared_name.empty() ? init.name() : shared_name;
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    if (ctx->resources() == nullptr) return ctx->Error("no resource manager to hold tables");
    auto table = ctx->resources()->LookupOrCreate<LookupTable>(
        container, name, kTableTypeName,
        [&] { return NewTable(kind, key_dtype, value_dtype, value_shape); });
    if (!table.ok()) return ctx->Error(table.status().message());
    const LookupTable& t = **table;
    if (t.key_dtype() != key_dtype || t.value_dtype() != value_dtype) {
      return ctx->Error(absl::StrCat("Conflicting key/value dtypes ", DTypeName(key_dtype), "->",
                                     DTypeName(value_dtype), " with ", DTypeName(t.key_dtype()),
                                     "-", DTypeName(t.value_dtype()), " for table ", name));
    }
    Tensor h(DType::kResource, TensorShape{});
    ResourceHandle& rh = h.scalar<ResourceHandle>();
    rh.device = "/job:localhost/replica:0/task:0/device:CPU:0";
    rh.container = container;
    rh.name = name;
    rh.type_name = kTableTypeName;
    rh.resource = *table;
    ctx->set_output(0, std::move(h));
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------
// Initialisation.

Result MakeInitializeTable(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    if (!table->initializable()) {
      return ctx->Error("Table is not initializable (use LookupTableInsert on mutable tables)");
    }
    const Tensor& keys = ctx->input(1);
    const Tensor& values = ctx->input(2);
    TFM_RETURN_IF_ERROR(CheckTypes(ctx, *table, keys, values, "Value"));
    if (keys.rank() != 1) {
      return ctx->Error(
          absl::StrCat("Keys must be a vector, but received shape", keys.shape().ToString()));
    }
    if (values.rank() != 1) {
      return ctx->Error(
          absl::StrCat("Values must be a vector, but received shape", values.shape().ToString()));
    }
    if (keys.NumElements() != values.NumElements()) {
      return ctx->Error(absl::StrCat("Keys and values must have the same size ", keys.NumElements(),
                                     " vs ", values.NumElements()));
    }
    std::lock_guard<std::mutex> l(table->mu);
    return InitializeFrom(ctx, table.get(), keys, values);
  });
}

Result MakeInitializeTableFromTextFile(const KernelInit& init) {
  TextFileSpec spec;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("vocab_size", &spec.vocab_size));
  TFM_RETURN_IF_ERROR(init.GetAttr("key_index", &spec.key_index));
  TFM_RETURN_IF_ERROR(init.GetAttr("value_index", &spec.value_index));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("offset", &spec.offset));
  std::string delimiter = "\t";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("delimiter", &delimiter));
  if (delimiter.size() != 1) return init.Error("delimiter should be only 1 char");
  spec.delimiter = delimiter[0];
  if (spec.key_index < kTextFileWholeLine || spec.value_index < kTextFileWholeLine) {
    return init.Error(absl::StrCat("key_index and value_index must be >= -2, got ", spec.key_index,
                                   " and ", spec.value_index));
  }
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    if (!table->initializable()) {
      return ctx->Error("Table is not initializable (use LookupTableInsert on mutable tables)");
    }
    const Tensor& f = ctx->input(1);
    if (f.dtype() != DType::kString || f.rank() != 0) {
      return ctx->Error(absl::StrCat("filename should be a single string, but got ",
                                     DTypeName(f.dtype()), " ", f.shape().ToString()));
    }
    const std::string& filename = f.scalar<std::string>();
    if (filename.empty()) return ctx->Error("filename cannot be empty.");
    const DType kd = table->key_dtype(), vd = table->value_dtype();
    absl::Status valid = CheckTextFileSpec(spec, kd, vd);
    if (!valid.ok()) return ctx->Error(valid.message());
    auto where = [&](const absl::Status& s) {
      return absl::Status(
          s.code(), absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): ", s.message()));
    };
    absl::StatusOr<std::string> data = ReadFileToString(filename);
    if (!data.ok()) return where(data.status());
    {
      // Like TF: a table already initialised (from this or any file) is left as it is.
      std::lock_guard<std::mutex> l(table->mu);
      if (table->initialized) return absl::OkStatus();
    }
    Tensor keys, values;
    absl::Status parsed = ParseTextFileTable(filename, *data, spec, kd, vd, &keys, &values);
    if (!parsed.ok()) return where(parsed);
    std::lock_guard<std::mutex> l(table->mu);
    if (table->initialized) return absl::OkStatus();
    return InitializeFrom(ctx, table.get(), keys, values);
  });
}

// ---------------------------------------------------------------------------------------
// Lookups and updates.

Result MakeFind(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    const Tensor& keys = ctx->input(1);
    const Tensor& def = ctx->input(2);
    TFM_RETURN_IF_ERROR(CheckTypes(ctx, *table, keys, def, "Default value"));
    TensorShape full = FullValueShape(*table, keys.shape());
    if (def.shape() != table->value_shape() && def.shape() != full) {
      return ctx->Error(absl::StrCat("Expected shape ", table->value_shape().ToString(), " or ",
                                     full.ToString(), " for default value, got ",
                                     def.shape().ToString()));
    }
    Tensor out(table->value_dtype(), full);
    std::lock_guard<std::mutex> l(table->mu);
    if (table->initializable() && !table->initialized) {
      return absl::FailedPreconditionError(
          absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(), "): Table not initialized."));
    }
    table->Find(keys, def, &out);
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

Result MakeInsert(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    if (table->initializable()) return NotInitializable(ctx, "Insert");
    TFM_RETURN_IF_ERROR(CheckKeysAndValues(ctx, *table, ctx->input(1), ctx->input(2)));
    std::lock_guard<std::mutex> l(table->mu);
    return table->Insert(ctx->input(1), ctx->input(2));
  });
}

Result MakeRemove(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    if (table->initializable()) return NotInitializable(ctx, "Remove");
    const Tensor& keys = ctx->input(1);
    if (keys.dtype() != table->key_dtype()) {
      return ctx->Error(absl::StrCat("Key must be type ", DTypeName(table->key_dtype()),
                                     " but got ", DTypeName(keys.dtype())));
    }
    std::lock_guard<std::mutex> l(table->mu);
    table->Remove(keys);
    return absl::OkStatus();
  });
}

Result MakeSize(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    std::lock_guard<std::mutex> l(table->mu);
    const bool empty = table->initializable() && !table->initialized;
    ctx->set_output(0, Tensor::Scalar<int64_t>(empty ? 0 : table->Entries()));
    return absl::OkStatus();
  });
}

Result MakeExport(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    std::lock_guard<std::mutex> l(table->mu);
    if (table->initializable() && !table->initialized) {
      return absl::AbortedError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                             "): HashTable is not initialized."));
    }
    const int64_t n = table->Entries();
    Tensor keys(table->key_dtype(), TensorShape{n});
    Tensor values(table->value_dtype(), FullValueShape(*table, TensorShape{n}));
    table->Export(&keys, &values);
    ctx->set_output(0, std::move(keys));
    ctx->set_output(1, std::move(values));
    return absl::OkStatus();
  });
}

Result MakeImport(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
    TFM_ASSIGN_OR_RETURN(auto table, InputTable(ctx, 0));
    const Tensor& keys = ctx->input(1);
    const Tensor& values = ctx->input(2);
    TFM_RETURN_IF_ERROR(CheckKeysAndValues(ctx, *table, keys, values));
    std::lock_guard<std::mutex> l(table->mu);
    if (table->initializable()) return InitializeFrom(ctx, table.get(), keys, values);
    table->Clear();
    return table->Insert(keys, values);
  });
}

}  // namespace

void RegisterLookupKernels(KernelRegistry& r) {
  for (const char* op : {"HashTable", "HashTableV2"}) {
    r.Register(op, [](const KernelInit& i) { return MakeTableOp(i, TableKind::kHash); });
  }
  for (const char* op : {"MutableHashTable", "MutableHashTableV2"}) {
    r.Register(op, [](const KernelInit& i) { return MakeTableOp(i, TableKind::kMutable); });
  }
  for (const char* op : {"MutableHashTableOfTensors", "MutableHashTableOfTensorsV2"}) {
    r.Register(op,
               [](const KernelInit& i) { return MakeTableOp(i, TableKind::kMutableOfTensors); });
  }
  r.Register("InitializeTable", MakeInitializeTable);
  r.Register("InitializeTableV2", MakeInitializeTable);
  r.Register("InitializeTableFromTextFile", MakeInitializeTableFromTextFile);
  r.Register("InitializeTableFromTextFileV2", MakeInitializeTableFromTextFile);
  r.Register("LookupTableFind", MakeFind);
  r.Register("LookupTableFindV2", MakeFind);
  r.Register("LookupTableInsert", MakeInsert);
  r.Register("LookupTableInsertV2", MakeInsert);
  r.Register("LookupTableRemoveV2", MakeRemove);
  r.Register("LookupTableSize", MakeSize);
  r.Register("LookupTableSizeV2", MakeSize);
  r.Register("LookupTableExport", MakeExport);
  r.Register("LookupTableExportV2", MakeExport);
  r.Register("LookupTableImport", MakeImport);
  r.Register("LookupTableImportV2", MakeImport);
}

}  // namespace tfmodel::runtime
