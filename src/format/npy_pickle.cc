#include "format/npy_pickle.h"

#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tfmodel {
namespace {

// A value on the reader's stack. Lists and objects are shared: the memo and the stack may
// hold the same list, which APPENDS then fills.
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum class Kind { kMark, kNone, kBool, kInt, kStr, kBytes, kTuple, kList, kGlobal, kObject };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  std::string s;  // str (UTF-8), bytes, or "module.name" of a global
  std::vector<ValuePtr> items;
  ValuePtr callable, args, state;  // kObject: the result of REDUCE (+ BUILD)
};

ValuePtr Make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

constexpr size_t kMaxStack = 1 << 20;
constexpr size_t kMaxMemo = 1 << 20;

class Reader {
 public:
  Reader(absl::string_view data, const std::string& what) : d_(data), what_(what) {}
  // A pickle may put a list into itself (through the memo), a shared_ptr cycle: every value
  // made is unlinked here, so none outlives the reader. Callers copy what they need first.
  ~Reader() {
    for (const ValuePtr& v : made_) {
      v->items.clear();
      v->callable.reset();
      v->args.reset();
      v->state.reset();
    }
  }

  ValuePtr New(Value::Kind k) {
    made_.push_back(Make(k));
    return made_.back();
  }

  absl::StatusOr<ValuePtr> Run() {
    while (true) {
      if (pos_ >= d_.size()) return Error("ends without STOP");
      uint8_t op = static_cast<uint8_t>(d_[pos_++]);
      if (op == '.') {
        if (stack_.size() != 1) return Error("STOP with a malformed stack");
        return stack_.back();
      }
      absl::Status s = Step(op);
      if (!s.ok()) return s;
      if (stack_.size() > kMaxStack) return Error("stack too deep");
    }
  }

 private:
  absl::Status Error(absl::string_view msg) const {
    return absl::InvalidArgumentError(
        absl::StrCat("npy file ", what_, ": object array pickle at byte ", pos_, ": ", msg,
                     " (tfmodel reads object arrays of str or bytes only; save with dtype='U' "
                     "or 'S' instead)"));
  }

  absl::StatusOr<uint64_t> Uint(int n) {
    if (d_.size() - pos_ < static_cast<size_t>(n)) return Error("truncated");
    uint64_t v = 0;
    for (int k = 0; k < n; ++k)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(d_[pos_ + k])) << (8 * k);
    pos_ += n;
    return v;
  }

  absl::StatusOr<std::string> Bytes(uint64_t n) {
    if (n > d_.size() - pos_) return Error("truncated string");
    std::string s(d_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  absl::StatusOr<std::string> Line() {
    size_t end = d_.find('\n', pos_);
    if (end == absl::string_view::npos) return Error("truncated GLOBAL");
    std::string s(d_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }

  absl::StatusOr<ValuePtr> Pop() {
    if (stack_.empty() || stack_.back()->kind == Value::Kind::kMark)
      return Error("stack underflow");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }

  // Items above the topmost MARK, which is removed.
  absl::StatusOr<std::vector<ValuePtr>> PopToMark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != Value::Kind::kMark) --m;
    if (m == 0) return Error("no MARK");
    std::vector<ValuePtr> items(stack_.begin() + m, stack_.end());
    stack_.resize(m - 1);
    return items;
  }

  absl::Status PushStr(uint64_t n, Value::Kind k) {
    auto s = Bytes(n);
    if (!s.ok()) return s.status();
    ValuePtr v = New(k);
    v->s = std::move(*s);
    stack_.push_back(std::move(v));
    return absl::OkStatus();
  }

  // A string whose length is a `width`-byte little-endian prefix.
  absl::Status PushSized(int width, Value::Kind k) {
    auto n = Uint(width);
    if (!n.ok()) return n.status();
    return PushStr(*n, k);
  }

  // An unsigned (or, for width 4, signed) little-endian integer.
  absl::Status PushFixedInt(int width) {
    auto v = Uint(width);
    if (!v.ok()) return v.status();
    return PushInt(width == 4 ? static_cast<int32_t>(*v) : static_cast<int64_t>(*v));
  }

  absl::Status MemoAt(int width) {
    auto i = Uint(width);
    if (!i.ok()) return i.status();
    return Memo(*i);
  }

  absl::Status GetAt(int width) {
    auto i = Uint(width);
    if (!i.ok()) return i.status();
    return Get(*i);
  }

  absl::Status PushInt(int64_t i) {
    ValuePtr v = New(Value::Kind::kInt);
    v->i = i;
    stack_.push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::Status PushGlobal(const std::string& module, const std::string& name) {
    static const char* kAllowed[] = {"numpy.core.multiarray._reconstruct",
                                     "numpy._core.multiarray._reconstruct", "numpy.ndarray",
                                     "numpy.dtype", "_codecs.encode"};
    std::string full = absl::StrCat(module, ".", name);
    bool ok = false;
    for (const char* a : kAllowed) ok |= full == a;
    if (!ok) return Error(absl::StrCat("refers to '", full, "'"));
    ValuePtr v = New(Value::Kind::kGlobal);
    v->s = full;
    stack_.push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::Status Memo(uint64_t index) {
    if (stack_.empty()) return Error("memoizing an empty stack");
    if (index > kMaxMemo) return Error("memo index too large");
    if (memo_.size() <= index) memo_.resize(index + 1);
    memo_[index] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Get(uint64_t index) {
    if (index >= memo_.size() || !memo_[index]) return Error("memo lookup of an unset entry");
    stack_.push_back(memo_[index]);
    return absl::OkStatus();
  }

  absl::Status Tuple(size_t n) {
    if (stack_.size() < n) return Error("stack underflow");
    ValuePtr t = New(Value::Kind::kTuple);
    t->items.assign(stack_.end() - n, stack_.end());
    for (const auto& v : t->items) {
      if (v->kind == Value::Kind::kMark) return Error("MARK inside a tuple");
    }
    stack_.resize(stack_.size() - n);
    stack_.push_back(std::move(t));
    return absl::OkStatus();
  }

  // REDUCE: only _codecs.encode(str, 'latin1') is evaluated (protocol 2 writes bytes that
  // way); every other call is kept as data for the caller to check.
  absl::Status Reduce() {
    auto args = Pop();
    if (!args.ok()) return args.status();
    auto fn = Pop();
    if (!fn.ok()) return fn.status();
    if ((*fn)->kind != Value::Kind::kGlobal || (*args)->kind != Value::Kind::kTuple) {
      return Error("REDUCE of something other than a known global");
    }
    if ((*fn)->s == "_codecs.encode") {
      const auto& a = (*args)->items;
      if (a.size() != 2 || a[0]->kind != Value::Kind::kStr || a[1]->kind != Value::Kind::kStr ||
          a[1]->s != "latin1") {
        return Error("_codecs.encode with arguments other than (str, 'latin1')");
      }
      ValuePtr b = New(Value::Kind::kBytes);
      // UTF-8 text whose code points are all < 256 -> those bytes.
      const std::string& u = a[0]->s;
      for (size_t k = 0; k < u.size(); ++k) {
        uint8_t c = static_cast<uint8_t>(u[k]);
        if (c < 0x80) {
          b->s += static_cast<char>(c);
        } else if ((c == 0xc2 || c == 0xc3) && k + 1 < u.size()) {
          b->s += static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(u[++k]) & 0x3f));
        } else {
          return Error("latin1 bytes with a code point above 255");
        }
      }
      stack_.push_back(std::move(b));
      return absl::OkStatus();
    }
    ValuePtr o = New(Value::Kind::kObject);
    o->callable = *fn;
    o->args = *args;
    stack_.push_back(std::move(o));
    return absl::OkStatus();
  }

  absl::Status Step(uint8_t op);

  absl::string_view d_;
  std::string what_;
  std::vector<ValuePtr> made_;  // every value made, unlinked by ~Reader
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<ValuePtr> memo_;
};

absl::Status Reader::Step(uint8_t op) {
  using K = Value::Kind;
  auto ret = [](const absl::StatusOr<uint64_t>& v) { return v.status(); };
  switch (op) {
    case 0x80:
      return ret(Uint(1));  // PROTO
    case 0x95:
      return ret(Uint(8));  // FRAME: frames are read as one stream
    case '(':
      stack_.push_back(New(K::kMark));
      return absl::OkStatus();
    case 'N':
      stack_.push_back(New(K::kNone));
      return absl::OkStatus();
    case 0x88:
    case 0x89: {  // NEWTRUE, NEWFALSE
      ValuePtr v = New(K::kBool);
      v->i = op == 0x88;
      stack_.push_back(std::move(v));
      return absl::OkStatus();
    }
    case 'K':
      return PushFixedInt(1);
    case 'M':
      return PushFixedInt(2);
    case 'J':
      return PushFixedInt(4);
    case 0x8a: {  // LONG1: n-byte little-endian two's complement
      auto n = Uint(1);
      if (!n.ok()) return n.status();
      if (*n > 8) return Error("integer wider than 64 bits");
      if (*n == 0) return PushInt(0);
      auto v = Uint(static_cast<int>(*n));
      if (!v.ok()) return v.status();
      uint64_t u = *v;
      if (*n < 8 && (u >> (8 * *n - 1)) & 1) u |= ~uint64_t{0} << (8 * *n);
      return PushInt(static_cast<int64_t>(u));
    }
    case 'X':
      return PushSized(4, K::kStr);  // BINUNICODE
    case 0x8c:
      return PushSized(1, K::kStr);  // SHORT_BINUNICODE
    case 0x8d:
      return PushSized(8, K::kStr);  // BINUNICODE8
    case 'C':
    case 'U':
      return PushSized(1, K::kBytes);  // SHORT_BINBYTES, SHORT_BINSTRING
    case 'B':
    case 'T':
      return PushSized(4, K::kBytes);  // BINBYTES, BINSTRING
    case 0x8e:
      return PushSized(8, K::kBytes);  // BINBYTES8
    case 'c': {                        // GLOBAL "module\nname\n"
      auto module = Line();
      if (!module.ok()) return module.status();
      auto name = Line();
      if (!name.ok()) return name.status();
      return PushGlobal(*module, *name);
    }
    case 0x93: {  // STACK_GLOBAL
      auto name = Pop();
      if (!name.ok()) return name.status();
      auto module = Pop();
      if (!module.ok()) return module.status();
      if ((*name)->kind != K::kStr || (*module)->kind != K::kStr) return Error("bad STACK_GLOBAL");
      return PushGlobal((*module)->s, (*name)->s);
    }
    case ')':
      return Tuple(0);
    case 0x85:
      return Tuple(1);
    case 0x86:
      return Tuple(2);
    case 0x87:
      return Tuple(3);
    case 't': {
      auto items = PopToMark();
      if (!items.ok()) return items.status();
      ValuePtr t = New(K::kTuple);
      t->items = std::move(*items);
      stack_.push_back(std::move(t));
      return absl::OkStatus();
    }
    case ']':
      stack_.push_back(New(K::kList));
      return absl::OkStatus();
    case 'l': {
      auto items = PopToMark();
      if (!items.ok()) return items.status();
      ValuePtr l = New(K::kList);
      l->items = std::move(*items);
      stack_.push_back(std::move(l));
      return absl::OkStatus();
    }
    case 'a':
    case 'e': {  // APPEND, APPENDS
      std::vector<ValuePtr> items;
      if (op == 'a') {
        auto v = Pop();
        if (!v.ok()) return v.status();
        items.push_back(*v);
      } else {
        auto v = PopToMark();
        if (!v.ok()) return v.status();
        items = std::move(*v);
      }
      if (stack_.empty() || stack_.back()->kind != K::kList) return Error("APPEND to a non-list");
      for (auto& v : items) stack_.back()->items.push_back(std::move(v));
      return absl::OkStatus();
    }
    case 'R':
      return Reduce();
    case 'b': {  // BUILD: the state is kept on the object
      auto state = Pop();
      if (!state.ok()) return state.status();
      if (stack_.empty() || stack_.back()->kind != K::kObject || stack_.back()->state) {
        return Error("BUILD of something other than a fresh object");
      }
      stack_.back()->state = *state;
      return absl::OkStatus();
    }
    case 'q':
      return MemoAt(1);  // BINPUT
    case 'r':
      return MemoAt(4);  // LONG_BINPUT
    case 0x94:
      return Memo(memo_.size());  // MEMOIZE
    case 'h':
      return GetAt(1);  // BINGET
    case 'j':
      return GetAt(4);  // LONG_BINGET
    default:
      return Error(absl::StrCat("opcode 0x", absl::Hex(op),
                                " is not one numpy writes for str/bytes arrays"));
  }
}

}  // namespace

absl::StatusOr<PickledStringArray> ParsePickledStringArray(absl::string_view data,
                                                           const std::string& what) {
  using K = Value::Kind;
  Reader reader(data, what);
  auto top = reader.Run();
  if (!top.ok()) return top.status();
  auto bad = [&](absl::string_view msg) {
    return absl::InvalidArgumentError(absl::StrCat(
        "npy file ", what, ": object array: ", msg,
        " (tfmodel reads object arrays of str or bytes only; save with dtype='U' or 'S' instead)"));
  };
  const Value& arr = **top;
  if (arr.kind != K::kObject || !absl::EndsWith(arr.callable->s, "._reconstruct") || !arr.state) {
    return bad("the pickle is not a numpy ndarray");
  }
  const Value& st = *arr.state;
  if (st.kind != K::kTuple || st.items.size() != 5 || st.items[1]->kind != K::kTuple ||
      st.items[2]->kind != K::kObject || st.items[4]->kind != K::kList) {
    return bad("unexpected ndarray state");
  }
  const Value& dtype = *st.items[2];
  if (dtype.callable->s != "numpy.dtype" || dtype.args->items.empty() ||
      dtype.args->items[0]->kind != K::kStr || dtype.args->items[0]->s != "O8") {
    return bad("the array's dtype is not object");
  }
  if (st.items[3]->kind != K::kBool || st.items[3]->i != 0) {
    return bad("Fortran-order object arrays are not supported");
  }
  PickledStringArray out;
  int64_t count = 1;
  for (const auto& d : st.items[1]->items) {
    if (d->kind != K::kInt || d->i < 0) return bad("bad shape");
    out.shape.push_back(d->i);
    if (d->i != 0 && count > (int64_t{1} << 40) / d->i) return bad("shape too large");
    count *= d->i;
  }
  const auto& items = st.items[4]->items;
  if (static_cast<int64_t>(items.size()) != count) {
    return bad(absl::StrCat("holds ", items.size(), " items for ", count, " elements"));
  }
  out.items.reserve(items.size());
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k]->kind != K::kStr && items[k]->kind != K::kBytes) {
      return bad(absl::StrCat("item ", k, " is neither str nor bytes"));
    }
    out.items.push_back(items[k]->s);
  }
  return out;
}

}  // namespace tfmodel
