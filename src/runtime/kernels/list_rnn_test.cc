// Keras-shaped recurrent graphs built with the graph builder: a StatelessWhile loop over
// TensorLists (TensorListFromTensor over the time-major input, GetItem -> matmuls -> SetItem
// in the body, TensorListStack after), compared with the LSTM equations computed directly.
// Also: a masked Bidirectional SimpleRNN returning sequences, lists passed through If, Keras'
// CPU/GPU implementation pairs, and GPU-only branches.
#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrI;
using testing::AttrIList;
using testing::AttrS;
using testing::AttrType;
using testing::AttrTypeList;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;

// Adds nodes to a FunctionDef, returning "node:out_arg:0" names.
class FnBuilder {
 public:
  FnBuilder(tensorflow::GraphDef* g, const std::string& name)
      : f_(g->mutable_library()->add_function()) {
    f_->mutable_signature()->set_name(name);
  }
  std::string Arg(const std::string& name, DType t) {
    auto* a = f_->mutable_signature()->add_input_arg();
    a->set_name(name);
    a->set_type(static_cast<tensorflow::DataType>(t));
    return name;
  }
  void Ret(const std::string& name, DType t, const std::string& value) {
    auto* a = f_->mutable_signature()->add_output_arg();
    a->set_name(name);
    a->set_type(static_cast<tensorflow::DataType>(t));
    (*f_->mutable_ret())[name] = value;
  }
  std::string Op(const std::string& name, const std::string& op, const std::vector<std::string>& in,
                 const AttrMap& attrs = {}, const std::string& out = "output", int index = 0) {
    auto* n = f_->add_node_def();
    n->set_name(name);
    n->set_op(op);
    for (const auto& i : in) n->add_input(i);
    for (const auto& [k, v] : attrs) (*n->mutable_attr())[k] = v;
    return absl::StrCat(name, ":", out, ":", index);
  }
  std::string Const(const std::string& name, const Tensor& t) {
    return Op(name, "Const", {}, {{"value", AttrTensor(t)}, {"dtype", AttrType(t.dtype())}});
  }
  tensorflow::FunctionDef* fdef() { return f_; }

 private:
  tensorflow::FunctionDef* f_;
};

AttrMap T(DType d = DType::kFloat) { return {{"T", AttrType(d)}}; }
AttrMap Elem(DType d = DType::kFloat) {
  return {{"element_dtype", AttrType(d)}, {"shape_type", AttrType(DType::kInt32)}};
}
Tensor I32s(std::vector<int32_t> v) { return Tensor::FromVector<int32_t>(v); }

struct LstmSpec {
  int64_t batch = 2, time = 4, in = 3, units = 5;
  bool masked = false;
  bool go_backwards = false;
};

struct LstmWeights {
  std::vector<float> kernel, recurrent, bias;  // [in,4u], [u,4u], [4u]; gates i, f, c, o
};

LstmWeights RandomWeights(const LstmSpec& s, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(-0.6f, 0.6f);
  LstmWeights w;
  for (int64_t i = 0; i < s.in * 4 * s.units; ++i) w.kernel.push_back(d(gen));
  for (int64_t i = 0; i < s.units * 4 * s.units; ++i) w.recurrent.push_back(d(gen));
  for (int64_t i = 0; i < 4 * s.units; ++i) w.bias.push_back(d(gen));
  return w;
}

// The loop body Keras' standard_lstm writes: read step i of the input list, gates from two
// matmuls and a bias, (masked: keep the previous state where the step is masked), write
// the output at index i.
void AddLstmBody(tensorflow::GraphDef* g, const LstmSpec& s) {
  FnBuilder f(g, "lstm_body");
  std::string i = f.Arg("i", DType::kInt32), n = f.Arg("n", DType::kInt32);
  std::string out = f.Arg("out", DType::kVariant), h = f.Arg("h", DType::kFloat);
  std::string c = f.Arg("c", DType::kFloat), inl = f.Arg("inl", DType::kVariant);
  std::string w = f.Arg("w", DType::kFloat), r = f.Arg("r", DType::kFloat);
  std::string b = f.Arg("b", DType::kFloat);
  std::string ml = s.masked ? f.Arg("ml", DType::kVariant) : "";
  std::string es = f.Const("es", I32s({-1, static_cast<int32_t>(s.in)}));
  std::string x = f.Op("x", "TensorListGetItem", {inl, i, es}, Elem(), "item");
  std::string z1 = f.Op("z1", "MatMul", {x, w}, T(), "product");
  std::string z2 = f.Op("z2", "MatMul", {h, r}, T(), "product");
  std::string z = f.Op("z", "AddV2", {z1, z2}, T(), "z");
  std::string zb = f.Op("zb", "BiasAdd", {z, b}, T());
  std::string axis = f.Const("axis", Tensor::Scalar<int32_t>(1));
  AttrMap split = T();
  split["num_split"] = AttrI(4);
  f.Op("split", "Split", {axis, zb}, split);
  std::string ig = f.Op("ig", "Sigmoid", {"split:output:0"}, T(), "y");
  std::string fg = f.Op("fg", "Sigmoid", {"split:output:1"}, T(), "y");
  std::string cc = f.Op("cc", "Tanh", {"split:output:2"}, T(), "y");
  std::string og = f.Op("og", "Sigmoid", {"split:output:3"}, T(), "y");
  std::string cn =
      f.Op("cn", "AddV2",
           {f.Op("fc", "Mul", {fg, c}, T(), "z"), f.Op("ic", "Mul", {ig, cc}, T(), "z")}, T(), "z");
  std::string hn = f.Op("hn", "Mul", {og, f.Op("tc", "Tanh", {cn}, T(), "y")}, T(), "z");
  if (s.masked) {
    std::string mes = f.Const("mes", I32s({-1}));
    std::string m = f.Op("m", "TensorListGetItem", {ml, i, mes}, Elem(DType::kBool), "item");
    std::string shape = f.Const("col", I32s({-1, 1}));
    std::string mr = f.Op("mr", "Reshape", {m, shape}, T(DType::kBool));
    std::string reps = f.Const("reps", I32s({1, static_cast<int32_t>(s.units)}));
    std::string mt = f.Op("mt", "Tile", {mr, reps}, T(DType::kBool));
    hn = f.Op("hsel", "SelectV2", {mt, hn, h}, T());
    cn = f.Op("csel", "SelectV2", {mt, cn, c}, T());
  }
  std::string set = f.Op("set", "TensorListSetItem", {out, i, hn}, Elem(), "output_handle");
  std::string inc =
      f.Op("inc", "AddV2", {i, f.Const("one", Tensor::Scalar<int32_t>(1))}, T(DType::kInt32), "z");
  f.Ret("i_next", DType::kInt32, inc);
  f.Ret("n_out", DType::kInt32, n);
  f.Ret("out_next", DType::kVariant, set);
  f.Ret("h_next", DType::kFloat, hn);
  f.Ret("c_next", DType::kFloat, cn);
  f.Ret("inl_out", DType::kVariant, inl);
  f.Ret("w_out", DType::kFloat, w);
  f.Ret("r_out", DType::kFloat, r);
  f.Ret("b_out", DType::kFloat, b);
  if (s.masked) f.Ret("ml_out", DType::kVariant, ml);
}

void AddLstmCond(tensorflow::GraphDef* g, const LstmSpec& s) {
  FnBuilder f(g, "lstm_cond");
  std::string i = f.Arg("i", DType::kInt32), n = f.Arg("n", DType::kInt32);
  for (const char* a : {"out", "h", "c", "inl", "w", "r", "b"}) {
    f.Arg(a, std::string(a) == "out" || std::string(a) == "inl" ? DType::kVariant : DType::kFloat);
  }
  if (s.masked) f.Arg("ml", DType::kVariant);
  f.Ret("ok", DType::kBool, f.Op("less", "Less", {i, n}, T(DType::kInt32), "z"));
}

// x [batch, time, in] (and mask [batch, time] bool) -> y [batch, time, units], h_final.
tensorflow::GraphDef LstmGraph(const LstmSpec& s, const LstmWeights& wt) {
  GraphBuilder gb;
  std::string x = gb.Placeholder("x", DType::kFloat, PartialShape{-1, s.time, s.in});
  std::string xt = gb.Op("xt", "Transpose", {x, gb.Const("perm", I32s({1, 0, 2}))}, T());
  if (s.go_backwards) {
    xt = gb.Op("xrev", "ReverseV2", {xt, gb.Const("rev_axis", I32s({0}))}, T());
  }
  std::string inl = gb.Op("inl", "TensorListFromTensor",
                          {xt, gb.Const("in_es", I32s({-1, static_cast<int32_t>(s.in)}))}, Elem());
  std::string out = gb.Op("out", "TensorListReserve",
                          {gb.Const("out_es", I32s({-1, static_cast<int32_t>(s.units)})),
                           gb.Const("steps", Tensor::Scalar<int32_t>(s.time))},
                          Elem());
  Tensor zeros(DType::kFloat, TensorShape{s.batch, s.units});
  std::vector<std::string> in = {
      gb.Const("i0", Tensor::Scalar<int32_t>(0)),
      gb.Const("n", Tensor::Scalar<int32_t>(s.time)),
      out,
      gb.Const("h0", zeros),
      gb.Const("c0", zeros),
      inl,
      gb.Const("w", Tensor::FromVector(wt.kernel, {s.in, 4 * s.units})),
      gb.Const("r", Tensor::FromVector(wt.recurrent, {s.units, 4 * s.units})),
      gb.Const("b", Tensor::FromVector(wt.bias, {4 * s.units}))};
  std::vector<DType> types = {DType::kInt32, DType::kInt32, DType::kVariant,
                              DType::kFloat, DType::kFloat, DType::kVariant,
                              DType::kFloat, DType::kFloat, DType::kFloat};
  if (s.masked) {
    std::string mask = gb.Placeholder("mask", DType::kBool, PartialShape{-1, s.time});
    std::string mt =
        gb.Op("mt", "Transpose", {mask, gb.Const("mperm", I32s({1, 0}))}, T(DType::kBool));
    if (s.go_backwards) {
      mt = gb.Op("mrev", "ReverseV2", {mt, gb.Const("mrev_axis", I32s({0}))}, T(DType::kBool));
    }
    in.push_back(gb.Op("ml", "TensorListFromTensor", {mt, gb.Const("m_es", I32s({-1}))},
                       Elem(DType::kBool)));
    types.push_back(DType::kVariant);
  }
  gb.Op("while", "StatelessWhile", in,
        {{"T", AttrTypeList(types)},
         {"cond", AttrFunc("lstm_cond")},
         {"body", AttrFunc("lstm_body")},
         {"parallel_iterations", AttrI(32)}});
  std::string stacked =
      gb.Op("stack", "TensorListStack",
            {"while:2", gb.Const("st_es", I32s({-1, static_cast<int32_t>(s.units)}))},
            {{"element_dtype", AttrType(DType::kFloat)}, {"num_elements", AttrI(s.time)}});
  gb.Op("y", "Transpose", {stacked, gb.Const("perm_back", I32s({1, 0, 2}))}, T());
  tensorflow::GraphDef g = gb.graph();
  AddLstmBody(&g, s);
  AddLstmCond(&g, s);
  return g;
}

double Sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// y[b][step][u] computed directly from the Keras LSTM equations.
std::vector<double> ReferenceLstm(const LstmSpec& s, const LstmWeights& w,
                                  const std::vector<float>& x, const std::vector<bool>& mask) {
  const int64_t U = s.units;
  std::vector<double> y(s.batch * s.time * U);
  for (int64_t b = 0; b < s.batch; ++b) {
    std::vector<double> h(U, 0), c(U, 0);
    for (int64_t step = 0; step < s.time; ++step) {
      const int64_t t = s.go_backwards ? s.time - 1 - step : step;
      if (!s.masked || mask[b * s.time + t]) {
        std::vector<double> z(4 * U);
        for (int64_t j = 0; j < 4 * U; ++j) {
          double acc = w.bias[j];
          for (int64_t k = 0; k < s.in; ++k)
            acc += x[(b * s.time + t) * s.in + k] * w.kernel[k * 4 * U + j];
          for (int64_t k = 0; k < U; ++k) acc += h[k] * w.recurrent[k * 4 * U + j];
          z[j] = acc;
        }
        for (int64_t u = 0; u < U; ++u) {
          double ig = Sigmoid(z[u]), fg = Sigmoid(z[U + u]), cc = std::tanh(z[2 * U + u]);
          double og = Sigmoid(z[3 * U + u]);
          c[u] = fg * c[u] + ig * cc;
          h[u] = og * std::tanh(c[u]);
        }
      }
      for (int64_t u = 0; u < U; ++u) y[(b * s.time + step) * U + u] = h[u];
    }
  }
  return y;
}

void CheckLstm(const LstmSpec& s) {
  LstmWeights w = RandomWeights(s, 7);
  std::vector<float> x;
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (int64_t i = 0; i < s.batch * s.time * s.in; ++i) x.push_back(d(gen));
  // Row 0 keeps every step; row 1 masks steps 1 and 3 (and the last, when longer).
  std::vector<bool> mask(s.batch * s.time, true);
  Tensor mask_t(DType::kBool, TensorShape{s.batch, s.time});
  for (int64_t i = 0; i < s.batch * s.time; ++i) {
    mask[i] = !(i / s.time == 1 && (i % s.time) % 2 == 1);
    mask_t.data<bool>()[i] = mask[i];
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(LstmGraph(s, w)));
  std::vector<std::pair<std::string, Tensor>> feeds = {
      {"x:0", Tensor::FromVector(x, {s.batch, s.time, s.in})}};
  if (s.masked) feeds.emplace_back("mask:0", mask_t);
  TFM_ASSERT_OK_AND_ASSIGN(auto out, model->Run(feeds, {"y:0", "while:3"}));
  std::vector<double> want = ReferenceLstm(s, w, x, mask);
  ASSERT_EQ(out[0].shape().ToString(), TensorShape({s.batch, s.time, s.units}).ToString());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(out[0].data<float>()[i], want[i], 1e-5) << "y element " << i;
  }
  // The final state is the last step's output.
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t u = 0; u < s.units; ++u) {
      EXPECT_NEAR(out[1].data<float>()[b * s.units + u],
                  want[(b * s.time + s.time - 1) * s.units + u], 1e-5);
    }
  }
  // A second run on the same loaded model gives the same answer (fresh lists each run).
  TFM_ASSERT_OK_AND_ASSIGN(auto again, model->Run(feeds, {"y:0"}));
  ExpectTensorEq(again[0], out[0]);
}

TEST(ListRnn, LstmWhileLoopMatchesTheEquations) { CheckLstm({}); }

TEST(ListRnn, MaskedLstmKeepsStateOnMaskedSteps) {
  LstmSpec s;
  s.masked = true;
  CheckLstm(s);
}

TEST(ListRnn, GoBackwardsLstm) {
  LstmSpec s;
  s.go_backwards = true;
  s.masked = true;
  s.time = 5;
  CheckLstm(s);
}

TEST(ListRnn, LongSequence) {
  LstmSpec s;
  s.batch = 1;
  s.time = 300;
  s.units = 3;
  CheckLstm(s);
}

// Keras' standard_gru loop body (reset_after=True, the TF2 default): gates z, r, h from
// one input matmul split in three and one recurrent matmul split by SplitV.
void AddGruFunctions(tensorflow::GraphDef* g, int64_t in, int64_t units) {
  FnBuilder f(g, "gru_body");
  std::string i = f.Arg("i", DType::kInt32), n = f.Arg("n", DType::kInt32);
  std::string out = f.Arg("out", DType::kVariant), h = f.Arg("h", DType::kFloat);
  std::string inl = f.Arg("inl", DType::kVariant), k = f.Arg("k", DType::kFloat);
  std::string rk = f.Arg("rk", DType::kFloat), ib = f.Arg("ib", DType::kFloat);
  std::string rb = f.Arg("rb", DType::kFloat);
  std::string x =
      f.Op("x", "TensorListGetItem", {inl, i, f.Const("es", I32s({-1, static_cast<int32_t>(in)}))},
           Elem(), "item");
  std::string mx = f.Op("mx", "BiasAdd", {f.Op("xk", "MatMul", {x, k}, T(), "product"), ib}, T());
  std::string mi = f.Op("mi", "BiasAdd", {f.Op("hk", "MatMul", {h, rk}, T(), "product"), rb}, T());
  AttrMap split = T();
  split["num_split"] = AttrI(3);
  f.Op("sx", "Split", {f.Const("ax", Tensor::Scalar<int32_t>(1)), mx}, split);
  AttrMap splitv = split;
  splitv["Tlen"] = AttrType(DType::kInt32);
  f.Op("sr", "SplitV",
       {mi, f.Const("sizes", I32s({static_cast<int32_t>(units), static_cast<int32_t>(units), -1})),
        f.Const("ax2", Tensor::Scalar<int32_t>(1))},
       splitv);
  std::string z = f.Op("z", "Sigmoid",
                       {f.Op("az", "AddV2", {"sx:output:0", "sr:output:0"}, T(), "z")}, T(), "y");
  std::string r = f.Op("r", "Sigmoid",
                       {f.Op("ar", "AddV2", {"sx:output:1", "sr:output:1"}, T(), "z")}, T(), "y");
  std::string hh =
      f.Op("hh", "Tanh",
           {f.Op("ah", "AddV2", {"sx:output:2", f.Op("rh", "Mul", {r, "sr:output:2"}, T(), "z")},
                 T(), "z")},
           T(), "y");
  std::string one_minus_z =
      f.Op("omz", "Sub", {f.Const("onef", Tensor::Scalar<float>(1)), z}, T(), "z");
  std::string hn =
      f.Op("hn", "AddV2",
           {f.Op("zh", "Mul", {z, h}, T(), "z"), f.Op("zhh", "Mul", {one_minus_z, hh}, T(), "z")},
           T(), "z");
  std::string set = f.Op("set", "TensorListSetItem", {out, i, hn}, Elem(), "output_handle");
  f.Ret(
      "i_next", DType::kInt32,
      f.Op("inc", "AddV2", {i, f.Const("one", Tensor::Scalar<int32_t>(1))}, T(DType::kInt32), "z"));
  f.Ret("n_out", DType::kInt32, n);
  f.Ret("out_next", DType::kVariant, set);
  f.Ret("h_next", DType::kFloat, hn);
  f.Ret("inl_out", DType::kVariant, inl);
  f.Ret("k_out", DType::kFloat, k);
  f.Ret("rk_out", DType::kFloat, rk);
  f.Ret("ib_out", DType::kFloat, ib);
  f.Ret("rb_out", DType::kFloat, rb);

  FnBuilder c(g, "gru_cond");
  std::string ci = c.Arg("i", DType::kInt32), cn = c.Arg("n", DType::kInt32);
  c.Arg("out", DType::kVariant);
  c.Arg("h", DType::kFloat);
  c.Arg("inl", DType::kVariant);
  for (const char* a : {"k", "rk", "ib", "rb"}) c.Arg(a, DType::kFloat);
  c.Ret("ok", DType::kBool, c.Op("less", "Less", {ci, cn}, T(DType::kInt32), "z"));
}

struct GruWeights {
  std::vector<float> k, rk, ib, rb;  // [in,3u], [u,3u], [3u], [3u]; gates z, r, h
};

// Bidirectional(GRU(units)) over x [batch, time, in]: the last forward state and the last
// state of the loop over the reversed sequence, concatenated.
tensorflow::GraphDef BidirectionalGruGraph(int64_t time, int64_t in, int64_t units,
                                           const GruWeights& fw, const GruWeights& bw) {
  GraphBuilder gb;
  std::string x = gb.Placeholder("x", DType::kFloat, PartialShape{-1, time, in});
  std::string xt = gb.Op("xt", "Transpose", {x, gb.Const("perm", I32s({1, 0, 2}))}, T());
  std::string xr = gb.Op("xr", "ReverseV2", {xt, gb.Const("rev", I32s({0}))}, T());
  std::string shape = gb.Op("shape", "Shape", {x}, {{"out_type", AttrType(DType::kInt32)}});
  std::string batch = gb.Op(
      "batch", "StridedSlice",
      {shape, gb.Const("b0", I32s({0})), gb.Const("b1", I32s({1})), gb.Const("b2", I32s({1}))},
      {{"T", AttrType(DType::kInt32)},
       {"Index", AttrType(DType::kInt32)},
       {"shrink_axis_mask", AttrI(1)}});
  std::string dims = gb.Op("dims", "Pack", {batch, gb.Const("u", Tensor::Scalar<int32_t>(units))},
                           {{"T", AttrType(DType::kInt32)}, {"N", AttrI(2)}});
  std::string h0 = gb.Op("h0", "Fill", {dims, gb.Const("zero", Tensor::Scalar<float>(0))}, T());
  auto loop = [&](const std::string& name, const std::string& seq, const GruWeights& w) {
    std::string inl =
        gb.Op(name + "_inl", "TensorListFromTensor",
              {seq, gb.Const(name + "_ies", I32s({-1, static_cast<int32_t>(in)}))}, Elem());
    std::string out = gb.Op(name + "_out", "TensorListReserve",
                            {gb.Const(name + "_oes", I32s({-1, static_cast<int32_t>(units)})),
                             gb.Const(name + "_n", Tensor::Scalar<int32_t>(time))},
                            Elem());
    gb.Op(name, "While",
          {gb.Const(name + "_i0", Tensor::Scalar<int32_t>(0)), name + "_n", out, h0, inl,
           gb.Const(name + "_k", Tensor::FromVector(w.k, {in, 3 * units})),
           gb.Const(name + "_rk", Tensor::FromVector(w.rk, {units, 3 * units})),
           gb.Const(name + "_ib", Tensor::FromVector(w.ib, {3 * units})),
           gb.Const(name + "_rb", Tensor::FromVector(w.rb, {3 * units}))},
          {{"T", AttrTypeList({DType::kInt32, DType::kInt32, DType::kVariant, DType::kFloat,
                               DType::kVariant, DType::kFloat, DType::kFloat, DType::kFloat,
                               DType::kFloat})},
           {"cond", AttrFunc("gru_cond")},
           {"body", AttrFunc("gru_body")}});
    return name + ":3";
  };
  std::string fwd = loop("fwd", xt, fw);
  std::string bwd = loop("bwd", xr, bw);
  gb.Op("y", "ConcatV2", {fwd, bwd, gb.Const("axis", Tensor::Scalar<int32_t>(-1))},
        {{"T", AttrType(DType::kFloat)}, {"N", AttrI(2)}, {"Tidx", AttrType(DType::kInt32)}});
  tensorflow::GraphDef g = gb.graph();
  AddGruFunctions(&g, in, units);
  return g;
}

std::vector<double> ReferenceGru(const GruWeights& w, const std::vector<float>& x, int64_t b,
                                 int64_t time, int64_t in, int64_t units, bool backwards) {
  const int64_t U = units;
  std::vector<double> h(U, 0);
  for (int64_t step = 0; step < time; ++step) {
    const int64_t t = backwards ? time - 1 - step : step;
    std::vector<double> mx(3 * U), mi(3 * U);
    for (int64_t j = 0; j < 3 * U; ++j) {
      mx[j] = w.ib[j];
      mi[j] = w.rb[j];
      for (int64_t q = 0; q < in; ++q) mx[j] += x[(b * time + t) * in + q] * w.k[q * 3 * U + j];
      for (int64_t q = 0; q < U; ++q) mi[j] += h[q] * w.rk[q * 3 * U + j];
    }
    std::vector<double> hn(U);
    for (int64_t u = 0; u < U; ++u) {
      double z = Sigmoid(mx[u] + mi[u]), r = Sigmoid(mx[U + u] + mi[U + u]);
      double hh = std::tanh(mx[2 * U + u] + r * mi[2 * U + u]);
      hn[u] = z * h[u] + (1 - z) * hh;
    }
    h = hn;
  }
  return h;
}

TEST(ListRnn, BidirectionalGruMatchesTheEquations) {
  const int64_t batch = 3, time = 6, in = 2, units = 4;
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> d(-0.7f, 0.7f);
  auto fill = [&](int64_t n) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(d(gen));
    return v;
  };
  GruWeights fw{fill(in * 3 * units), fill(units * 3 * units), fill(3 * units), fill(3 * units)};
  GruWeights bw{fill(in * 3 * units), fill(units * 3 * units), fill(3 * units), fill(3 * units)};
  std::vector<float> x = fill(batch * time * in);
  TFM_ASSERT_OK_AND_ASSIGN(auto model,
                           Model::LoadGraph(BidirectionalGruGraph(time, in, units, fw, bw)));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"x:0", Tensor::FromVector(x, {batch, time, in})}}, {"y:0"}));
  ASSERT_EQ(out[0].shape(), (TensorShape{batch, 2 * units}));
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<double> f = ReferenceGru(fw, x, b, time, in, units, false);
    std::vector<double> r = ReferenceGru(bw, x, b, time, in, units, true);
    for (int64_t u = 0; u < units; ++u) {
      EXPECT_NEAR(out[0].data<float>()[b * 2 * units + u], f[u], 1e-5) << b << " fwd " << u;
      EXPECT_NEAR(out[0].data<float>()[b * 2 * units + units + u], r[u], 1e-5) << b << " bwd " << u;
    }
  }
}

// Keras' SimpleRNN loop body with a mask list: o = tanh(x.K + b + h.R); where the step is
// masked the state keeps its value and the output is zero (Bidirectional with
// return_sequences sets zero_output_for_mask on both layers).
void AddSimpleRnnFunctions(tensorflow::GraphDef* g, int64_t in, int64_t units) {
  FnBuilder f(g, "srnn_body");
  std::string i = f.Arg("i", DType::kInt32), n = f.Arg("n", DType::kInt32);
  std::string out = f.Arg("out", DType::kVariant), h = f.Arg("h", DType::kFloat);
  std::string inl = f.Arg("inl", DType::kVariant), ml = f.Arg("ml", DType::kVariant);
  std::string k = f.Arg("k", DType::kFloat), rk = f.Arg("rk", DType::kFloat);
  std::string b = f.Arg("b", DType::kFloat);
  std::string x =
      f.Op("x", "TensorListGetItem", {inl, i, f.Const("es", I32s({-1, static_cast<int32_t>(in)}))},
           Elem(), "item");
  std::string m = f.Op("m", "TensorListGetItem", {ml, i, f.Const("mes", I32s({-1}))},
                       Elem(DType::kBool), "item");
  std::string xk = f.Op("xb", "BiasAdd", {f.Op("xk", "MatMul", {x, k}, T(), "product"), b}, T());
  std::string o =
      f.Op("o", "Tanh",
           {f.Op("sum", "AddV2", {xk, f.Op("hr", "MatMul", {h, rk}, T(), "product")}, T(), "z")},
           T(), "y");
  std::string mt = f.Op("mt", "Tile",
                        {f.Op("mr", "Reshape", {m, f.Const("col", I32s({-1, 1}))}, T(DType::kBool)),
                         f.Const("reps", I32s({1, static_cast<int32_t>(units)}))},
                        T(DType::kBool));
  std::string hn = f.Op("hn", "SelectV2", {mt, o, h}, T());
  std::string on = f.Op("on", "SelectV2", {mt, o, f.Op("zeros", "ZerosLike", {o}, T(), "y")}, T());
  f.Ret(
      "i_next", DType::kInt32,
      f.Op("inc", "AddV2", {i, f.Const("one", Tensor::Scalar<int32_t>(1))}, T(DType::kInt32), "z"));
  f.Ret("n_out", DType::kInt32, n);
  f.Ret("out_next", DType::kVariant,
        f.Op("set", "TensorListSetItem", {out, i, on}, Elem(), "output_handle"));
  f.Ret("h_next", DType::kFloat, hn);
  f.Ret("inl_out", DType::kVariant, inl);
  f.Ret("ml_out", DType::kVariant, ml);
  f.Ret("k_out", DType::kFloat, k);
  f.Ret("rk_out", DType::kFloat, rk);
  f.Ret("b_out", DType::kFloat, b);

  FnBuilder c(g, "srnn_cond");
  std::string ci = c.Arg("i", DType::kInt32), cn = c.Arg("n", DType::kInt32);
  c.Arg("out", DType::kVariant);
  c.Arg("h", DType::kFloat);
  c.Arg("inl", DType::kVariant);
  c.Arg("ml", DType::kVariant);
  for (const char* a : {"k", "rk", "b"}) c.Arg(a, DType::kFloat);
  c.Ret("ok", DType::kBool, c.Op("less", "Less", {ci, cn}, T(DType::kInt32), "z"));
}

struct SimpleRnnWeights {
  std::vector<float> k, rk, b;  // [in,u], [u,u], [u]
};

// Bidirectional(SimpleRNN(units, return_sequences=True)) over x [batch, time, in] with a
// [batch, time] mask: y [batch, time, 2*units], the backward half reversed back to input
// order; also each direction's final state.
tensorflow::GraphDef BidirectionalSimpleRnnGraph(int64_t time, int64_t in, int64_t units,
                                                 const SimpleRnnWeights& fw,
                                                 const SimpleRnnWeights& bw) {
  GraphBuilder gb;
  std::string x = gb.Placeholder("x", DType::kFloat, PartialShape{-1, time, in});
  std::string mask = gb.Placeholder("mask", DType::kBool, PartialShape{-1, time});
  std::string xt = gb.Op("xt", "Transpose", {x, gb.Const("perm", I32s({1, 0, 2}))}, T());
  std::string mt =
      gb.Op("mt", "Transpose", {mask, gb.Const("mperm", I32s({1, 0}))}, T(DType::kBool));
  std::string time_axis = gb.Const("rev", I32s({0}));
  std::string xr = gb.Op("xr", "ReverseV2", {xt, time_axis}, T());
  std::string mr = gb.Op("mrev", "ReverseV2", {mt, time_axis}, T(DType::kBool));
  std::string h0 = gb.Op(
      "h0", "Fill",
      {gb.Op(
           "dims", "Pack",
           {gb.Op("batch", "StridedSlice",
                  {gb.Op("shape", "Shape", {x}, {{"out_type", AttrType(DType::kInt32)}}),
                   gb.Const("b0", I32s({0})), gb.Const("b1", I32s({1})), gb.Const("b2", I32s({1}))},
                  {{"T", AttrType(DType::kInt32)},
                   {"Index", AttrType(DType::kInt32)},
                   {"shrink_axis_mask", AttrI(1)}}),
            gb.Const("u", Tensor::Scalar<int32_t>(units))},
           {{"T", AttrType(DType::kInt32)}, {"N", AttrI(2)}}),
       gb.Const("zero", Tensor::Scalar<float>(0))},
      T());
  auto loop = [&](const std::string& name, const std::string& seq, const std::string& m,
                  const SimpleRnnWeights& w) {
    auto es = [&](const std::string& suffix, std::vector<int32_t> dims) {
      return gb.Const(name + suffix, I32s(dims));
    };
    std::string inl = gb.Op(name + "_inl", "TensorListFromTensor",
                            {seq, es("_ies", {-1, static_cast<int32_t>(in)})}, Elem());
    std::string ml =
        gb.Op(name + "_ml", "TensorListFromTensor", {m, es("_mes", {-1})}, Elem(DType::kBool));
    std::string out = gb.Op(name + "_out", "TensorListReserve",
                            {es("_oes", {-1, static_cast<int32_t>(units)}),
                             gb.Const(name + "_n", Tensor::Scalar<int32_t>(time))},
                            Elem());
    gb.Op(name, "StatelessWhile",
          {gb.Const(name + "_i0", Tensor::Scalar<int32_t>(0)), name + "_n", out, h0, inl, ml,
           gb.Const(name + "_k", Tensor::FromVector(w.k, {in, units})),
           gb.Const(name + "_rk", Tensor::FromVector(w.rk, {units, units})),
           gb.Const(name + "_b", Tensor::FromVector(w.b, {units}))},
          {{"T", AttrTypeList({DType::kInt32, DType::kInt32, DType::kVariant, DType::kFloat,
                               DType::kVariant, DType::kVariant, DType::kFloat, DType::kFloat,
                               DType::kFloat})},
           {"cond", AttrFunc("srnn_cond")},
           {"body", AttrFunc("srnn_body")}});
    std::string stacked =
        gb.Op(name + "_stack", "TensorListStack",
              {name + ":2", es("_ses", {-1, static_cast<int32_t>(units)})},
              {{"element_dtype", AttrType(DType::kFloat)}, {"num_elements", AttrI(time)}});
    return gb.Op(name + "_y", "Transpose", {stacked, gb.Const(name + "_back", I32s({1, 0, 2}))},
                 T());
  };
  std::string fwd = loop("fwd", xt, mt, fw);
  std::string bwd =
      gb.Op("bwd_rev", "ReverseV2", {loop("bwd", xr, mr, bw), gb.Const("rev1", I32s({1}))}, T());
  gb.Op("y", "ConcatV2", {fwd, bwd, gb.Const("axis", Tensor::Scalar<int32_t>(-1))},
        {{"T", AttrType(DType::kFloat)}, {"N", AttrI(2)}, {"Tidx", AttrType(DType::kInt32)}});
  tensorflow::GraphDef g = gb.graph();
  AddSimpleRnnFunctions(&g, in, units);
  return g;
}

// One direction of the masked SimpleRNN for batch row b: outputs [time][units] in input
// order (zero at masked steps) and the final state.
std::pair<std::vector<double>, std::vector<double>> ReferenceSimpleRnn(
    const SimpleRnnWeights& w, const std::vector<float>& x, const std::vector<bool>& mask,
    int64_t b, int64_t time, int64_t in, int64_t units, bool backwards) {
  std::vector<double> h(units, 0), y(time * units, 0);
  for (int64_t step = 0; step < time; ++step) {
    const int64_t t = backwards ? time - 1 - step : step;
    if (!mask[b * time + t]) continue;
    std::vector<double> o(units);
    for (int64_t u = 0; u < units; ++u) {
      double acc = w.b[u];
      for (int64_t q = 0; q < in; ++q) acc += x[(b * time + t) * in + q] * w.k[q * units + u];
      for (int64_t q = 0; q < units; ++q) acc += h[q] * w.rk[q * units + u];
      o[u] = std::tanh(acc);
      y[t * units + u] = o[u];
    }
    h = o;
  }
  return {y, h};
}

TEST(ListRnn, MaskedBidirectionalSimpleRnnReturnsSequences) {
  const int64_t batch = 3, time = 5, in = 2, units = 3;
  std::mt19937 gen(9);
  std::uniform_real_distribution<float> d(-0.8f, 0.8f);
  auto fill = [&](int64_t n) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(d(gen));
    return v;
  };
  SimpleRnnWeights fw{fill(in * units), fill(units * units), fill(units)};
  SimpleRnnWeights bw{fill(in * units), fill(units * units), fill(units)};
  std::vector<float> x = fill(batch * time * in);
  // Row 0 unmasked; row 1 padded after 3 steps (post-padding); row 2 masks steps 0 and 2.
  std::vector<bool> mask(batch * time, true);
  Tensor mask_t(DType::kBool, TensorShape{batch, time});
  for (int64_t t = 0; t < time; ++t) {
    mask[1 * time + t] = t < 3;
    mask[2 * time + t] = t != 0 && t != 2;
  }
  for (int64_t i = 0; i < batch * time; ++i) mask_t.data<bool>()[i] = mask[i];
  TFM_ASSERT_OK_AND_ASSIGN(auto model,
                           Model::LoadGraph(BidirectionalSimpleRnnGraph(time, in, units, fw, bw)));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"x:0", Tensor::FromVector(x, {batch, time, in})}, {"mask:0", mask_t}},
                           {"y:0", "fwd:3", "bwd:3"}));
  ASSERT_EQ(out[0].shape(), (TensorShape{batch, time, 2 * units}));
  for (int64_t b = 0; b < batch; ++b) {
    auto [fy, fh] = ReferenceSimpleRnn(fw, x, mask, b, time, in, units, false);
    auto [by, bh] = ReferenceSimpleRnn(bw, x, mask, b, time, in, units, true);
    for (int64_t t = 0; t < time; ++t) {
      for (int64_t u = 0; u < units; ++u) {
        const float* row = out[0].data<float>() + (b * time + t) * 2 * units;
        EXPECT_NEAR(row[u], fy[t * units + u], 1e-5) << b << " fwd t" << t << " u" << u;
        EXPECT_NEAR(row[units + u], by[t * units + u], 1e-5) << b << " bwd t" << t << " u" << u;
      }
    }
    for (int64_t u = 0; u < units; ++u) {
      EXPECT_NEAR(out[1].data<float>()[b * units + u], fh[u], 1e-5) << b << " fwd state";
      EXPECT_NEAR(out[2].data<float>()[b * units + u], bh[u], 1e-5) << b << " bwd state";
    }
  }
  // Masked steps give zero outputs in both halves: row 1 steps 3, 4 and row 2 steps 0, 2.
  for (auto [b, t] : {std::pair<int64_t, int64_t>{1, 3}, {1, 4}, {2, 0}, {2, 2}}) {
    for (int64_t u = 0; u < 2 * units; ++u) {
      EXPECT_EQ(out[0].data<float>()[(b * time + t) * 2 * units + u], 0.f) << b << " t" << t;
    }
  }
}

// A list passed into an If branch that sets an item: the caller's list is unchanged, the
// branch's result carries the update, and the untaken branch leaves it as it was.
TEST(ListRnn, ListsFlowThroughIf) {
  GraphBuilder gb;
  std::string l =
      gb.Op("l", "TensorListReserve",
            {gb.Const("es", I32s({2})), gb.Const("n", Tensor::Scalar<int32_t>(2))}, Elem());
  std::string p = gb.Placeholder("p", DType::kBool, PartialShape{});
  std::string v = gb.Const("v", Tensor::FromVector<float>({3, 4}));
  gb.Op("if", "If", {p, l, v},
        {{"Tcond", AttrType(DType::kBool)},
         {"Tin", AttrTypeList({DType::kVariant, DType::kFloat})},
         {"Tout", AttrTypeList({DType::kVariant})},
         {"then_branch", AttrFunc("set_one")},
         {"else_branch", AttrFunc("keep")}});
  AttrMap stack = {{"element_dtype", AttrType(DType::kFloat)}};
  gb.Op("after", "TensorListStack", {"if:0", gb.Const("es2", I32s({2}))}, stack);
  gb.Op("before", "TensorListStack", {l, gb.Const("es3", I32s({2}))}, stack);
  tensorflow::GraphDef g = gb.graph();
  {
    FnBuilder f(&g, "set_one");
    std::string list = f.Arg("list", DType::kVariant), val = f.Arg("val", DType::kFloat);
    std::string idx = f.Const("idx", Tensor::Scalar<int32_t>(1));
    f.Ret("out", DType::kVariant,
          f.Op("set", "TensorListSetItem", {list, idx, val}, Elem(), "output_handle"));
  }
  {
    FnBuilder f(&g, "keep");
    std::string list = f.Arg("list", DType::kVariant);
    f.Arg("val", DType::kFloat);
    f.Ret("out", DType::kVariant, f.Op("id", "Identity", {list}, T(DType::kVariant)));
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(g));
  TFM_ASSERT_OK_AND_ASSIGN(
      auto yes, model->Run({{"p:0", Tensor::Scalar<bool>(true)}}, {"after:0", "before:0"}));
  ExpectTensorEq(yes[0], Tensor::FromVector<float>({0, 0, 3, 4}, {2, 2}));
  ExpectTensorEq(yes[1], Tensor::FromVector<float>({0, 0, 0, 0}, {2, 2}));
  TFM_ASSERT_OK_AND_ASSIGN(auto no,
                           model->Run({{"p:0", Tensor::Scalar<bool>(false)}}, {"after:0"}));
  ExpectTensorEq(no[0], Tensor::FromVector<float>({0, 0, 0, 0}, {2, 2}));
}

// Keras saves LSTM/GRU layers as a pair of functions implementing one API: a CudnnRNN one
// preferring the GPU and a While-loop one preferring the CPU. Calls run the CPU one, as
// TensorFlow's implementation selector arranges on a CPU.
void AddImplementation(tensorflow::GraphDef* g, const std::string& name, const std::string& device,
                       const std::string& op) {
  FnBuilder f(g, name);
  std::string x = f.Arg("x", DType::kFloat);
  std::string y = op == "Neg" ? f.Op("y", "Neg", {x}, T(), "y")
                              : f.Op("y", op, {x}, {{"T", AttrType(DType::kFloat)}}, "output");
  f.Ret("y", DType::kFloat, y);
  (*f.fdef()->mutable_attr())["api_implements"] = AttrS("lstm_abc");
  (*f.fdef()->mutable_attr())["api_preferred_device"] = AttrS(device);
}

TEST(ListRnn, CallsOfAGpuImplementationRunItsCpuTwin) {
  GraphBuilder gb;
  std::string x = gb.Placeholder("x", DType::kFloat, PartialShape{-1});
  gb.Op("call", "StatefulPartitionedCall", {x},
        {{"Tin", AttrTypeList({DType::kFloat})},
         {"Tout", AttrTypeList({DType::kFloat})},
         {"f", AttrFunc("lstm_gpu")}});
  tensorflow::GraphDef g = gb.graph();
  AddImplementation(&g, "lstm_gpu", "GPU", "CudnnRNNV3");
  AddImplementation(&g, "lstm_cpu", "CPU", "Neg");
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(g));
  TFM_ASSERT_OK_AND_ASSIGN(auto out,
                           model->Run({{"x:0", Tensor::FromVector<float>({1, -2})}}, {"call:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<float>({-1, 2}));
}

// An If branch needing a GPU-only op loads; it fails, clearly, only when taken.
TEST(ListRnn, GpuOnlyBranchesFailOnlyWhenTaken) {
  GraphBuilder gb;
  std::string p = gb.Placeholder("p", DType::kBool, PartialShape{});
  std::string x = gb.Placeholder("x", DType::kFloat, PartialShape{-1});
  gb.Op("if", "StatelessIf", {p, x},
        {{"Tcond", AttrType(DType::kBool)},
         {"Tin", AttrTypeList({DType::kFloat})},
         {"Tout", AttrTypeList({DType::kFloat})},
         {"then_branch", AttrFunc("cudnn")},
         {"else_branch", AttrFunc("standard")}});
  tensorflow::GraphDef g = gb.graph();
  AddImplementation(&g, "cudnn", "", "CudnnRNNV3");
  AddImplementation(&g, "standard", "", "Neg");
  for (auto& f : *g.mutable_library()->mutable_function()) f.clear_attr();
  TFM_ASSERT_OK_AND_ASSIGN(auto model, Model::LoadGraph(g));
  Tensor in = Tensor::FromVector<float>({5});
  TFM_ASSERT_OK_AND_ASSIGN(
      auto out, model->Run({{"p:0", Tensor::Scalar<bool>(false)}, {"x:0", in}}, {"if:0"}));
  ExpectTensorEq(out[0], Tensor::FromVector<float>({-5}));
  auto gpu = model->Run({{"p:0", Tensor::Scalar<bool>(true)}, {"x:0", in}}, {"if:0"});
  ASSERT_FALSE(gpu.ok());
  EXPECT_THAT(gpu.status().message(),
              HasSubstr("then_branch 'cudnn' cannot run on a CPU: it needs the GPU-only op(s) "
                        "CudnnRNNV3"));
  // Any other missing op is still reported when the plan is compiled, whichever branch runs.
  for (auto& f : *g.mutable_library()->mutable_function()) {
    if (f.signature().name() == "cudnn") f.mutable_node_def(0)->set_op("NotAnOp");
  }
  TFM_ASSERT_OK_AND_ASSIGN(auto bad_model, Model::LoadGraph(g));
  auto bad = bad_model->Run({{"p:0", Tensor::Scalar<bool>(false)}, {"x:0", in}}, {"if:0"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unsupported ops: NotAnOp"));
}

}  // namespace
}  // namespace tfmodel::runtime
