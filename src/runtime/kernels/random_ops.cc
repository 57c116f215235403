// Stateful random kernels: RandomUniform, RandomStandardNormal, TruncatedNormal,
// RandomUniformInt.
//
// Seeding follows TF's GuardedPhiloxRandom: the kernel owns a Philox4x32-10 generator
// keyed by (seed, seed2) from the node attrs; when both are 0 it draws a nondeterministic
// 64-bit pair instead. Each Compute reserves num_elements*256 Philox outputs (TF's
// ReserveRandomOutputs(n, 256)), so successive calls of one kernel give new numbers and a
// fresh kernel with a fixed seed repeats its sequence. Values are derived from the Philox
// words the way TF's random_distributions.h does:
//   * float uniform: 23 random mantissa bits under exponent 127, minus 1.0, so the value
//     lies in [0, 1) and 1 + u < 2 always holds (double: 52 bits; half: 10; bfloat16: 7);
//   * normal: Box-Muller on pairs of uniforms (u1 clamped to >= 1e-7);
//   * truncated normal: normal samples with |x| >= 2 rejected; each group of outputs
//     starts at its own reserved block of 256 Philox outputs per value;
//   * uniform int: minval + (bits mod (maxval - minval)).
// With the same (seed, seed2), the same op and shape, the first call is designed to give
// TF's values; this has been checked here against Philox's published test vector and by
// construction, not against TensorFlow output.
#include <array>
#include <cmath>
#include <mutex>
#include <random>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::ShapeStr;

class Philox {
 public:
  using Block = std::array<uint32_t, 4>;
  Philox(uint64_t seed_lo, uint64_t seed_hi) {
    key_[0] = static_cast<uint32_t>(seed_lo);
    key_[1] = static_cast<uint32_t>(seed_lo >> 32);
    counter_ = {0, 0, static_cast<uint32_t>(seed_hi), static_cast<uint32_t>(seed_hi >> 32)};
  }
  Philox(const Block& counter, uint32_t k0, uint32_t k1) : counter_(counter), key_{k0, k1} {}

  Block Next() {
    Block c = counter_;
    uint32_t k0 = key_[0], k1 = key_[1];
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = uint64_t{0xD2511F53u} * c[0];
      const uint64_t p1 = uint64_t{0xCD9E8D57u} * c[2];
      const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    SkipOne();
    return c;
  }

  void Skip(uint64_t count) {
    const uint32_t lo = static_cast<uint32_t>(count);
    uint32_t hi = static_cast<uint32_t>(count >> 32);
    counter_[0] += lo;
    if (counter_[0] < lo) ++hi;
    counter_[1] += hi;
    if (counter_[1] < hi) {
      if (++counter_[2] == 0) ++counter_[3];
    }
  }

 private:
  void SkipOne() {
    if (++counter_[0] == 0 && ++counter_[1] == 0 && ++counter_[2] == 0) ++counter_[3];
  }
  Block counter_;
  uint32_t key_[2];
};

// Hands out one 32-bit word at a time from successive Philox blocks.
class SingleSampler {
 public:
  explicit SingleSampler(Philox* gen) : gen_(gen) {}
  uint32_t operator()() {
    if (used_ == 4) {
      block_ = gen_->Next();
      used_ = 0;
    }
    return block_[used_++];
  }

 private:
  Philox* gen_;
  Philox::Block block_{};
  int used_ = 4;
};

float Uint32ToFloat(uint32_t x) {
  const uint32_t bits = (127u << 23) | (x & 0x7fffffu);
  float f;
  std::memcpy(&f, &bits, 4);
  return f - 1.0f;
}

double Uint64ToDouble(uint32_t x0, uint32_t x1) {
  const uint64_t man = (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  const uint64_t bits = (uint64_t{1023} << 52) | man;
  double d;
  std::memcpy(&d, &bits, 8);
  return d - 1.0;
}

void BoxMullerFloat(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  const float kEpsilon = 1.0e-7f;
  float u1 = Uint32ToFloat(x0);
  if (u1 < kEpsilon) u1 = kEpsilon;
  // As TF: 2.0f * M_PI promotes to double; the product is rounded to float once.
  const float v1 = static_cast<float>(2.0f * M_PI * Uint32ToFloat(x1));
  const float u2 = std::sqrt(-2.0f * std::log(u1));
  *f0 = std::sin(v1) * u2;
  *f1 = std::cos(v1) * u2;
}

void BoxMullerDouble(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0, double* d1) {
  const double kEpsilon = 1.0e-7;
  double u1 = Uint64ToDouble(x0, x1);
  if (u1 < kEpsilon) u1 = kEpsilon;
  const double v1 = 2 * M_PI * Uint64ToDouble(x2, x3);
  const double u2 = std::sqrt(-2.0 * std::log(u1));
  *d0 = std::sin(v1) * u2;
  *d1 = std::cos(v1) * u2;
}

enum class Dist { kUniform, kNormal, kTruncated };

// Per-kernel generator state (TF's GuardedPhiloxRandom).
class GuardedPhilox {
 public:
  GuardedPhilox(int64_t seed, int64_t seed2) : gen_(0, 0) {
    uint64_t s = static_cast<uint64_t>(seed), s2 = static_cast<uint64_t>(seed2);
    if (s == 0 && s2 == 0) {
      std::random_device rd;
      auto r64 = [&rd] { return (static_cast<uint64_t>(rd()) << 32) | rd(); };
      s = r64();
      s2 = r64();
    }
    gen_ = Philox(s, s2);
  }
  // A generator for `n` outputs; advances the shared one past them.
  Philox Reserve(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    Philox local = gen_;
    gen_.Skip(static_cast<uint64_t>(n) * 256);
    return local;
  }

 private:
  std::mutex mu_;
  Philox gen_;
};

// Writes n floats of distribution d (float arithmetic), converting with `store`.
template <typename Store>
void FillFloat(Philox gen, Dist d, int64_t n, Store store) {
  if (d == Dist::kTruncated) {
    const Philox base = gen;
    for (int64_t g = 0; g * 4 < n; ++g) {
      Philox local = base;
      local.Skip(static_cast<uint64_t>(g) * 256);  // 4 outputs * 256 / 4 words per block
      SingleSampler single(&local);
      float res[4];
      int idx = 0;
      while (idx < 4) {
        const uint32_t x0 = single(), x1 = single();
        float f[2];
        BoxMullerFloat(x0, x1, &f[0], &f[1]);
        for (int i = 0; i < 2 && idx < 4; ++i) {
          if (std::fabs(f[i]) < 2.0f) res[idx++] = f[i];
        }
      }
      for (int i = 0; i < 4 && g * 4 + i < n; ++i) store(g * 4 + i, res[i]);
    }
    return;
  }
  for (int64_t g = 0; g * 4 < n; ++g) {
    Philox::Block b = gen.Next();
    float res[4];
    if (d == Dist::kUniform) {
      for (int i = 0; i < 4; ++i) res[i] = Uint32ToFloat(b[i]);
    } else {
      BoxMullerFloat(b[0], b[1], &res[0], &res[1]);
      BoxMullerFloat(b[2], b[3], &res[2], &res[3]);
    }
    for (int i = 0; i < 4 && g * 4 + i < n; ++i) store(g * 4 + i, res[i]);
  }
}

void FillDouble(Philox gen, Dist d, int64_t n, double* out) {
  if (d == Dist::kTruncated) {
    const Philox base = gen;
    for (int64_t g = 0; g * 2 < n; ++g) {
      Philox local = base;
      local.Skip(static_cast<uint64_t>(g) * 128);  // 2 outputs * 256 / 4
      SingleSampler single(&local);
      double res[2];
      int idx = 0;
      while (idx < 2) {
        const uint32_t x0 = single(), x1 = single(), x2 = single(), x3 = single();
        double v[2];
        BoxMullerDouble(x0, x1, x2, x3, &v[0], &v[1]);
        for (int i = 0; i < 2 && idx < 2; ++i) {
          if (std::fabs(v[i]) < 2.0) res[idx++] = v[i];
        }
      }
      for (int i = 0; i < 2 && g * 2 + i < n; ++i) out[g * 2 + i] = res[i];
    }
    return;
  }
  for (int64_t g = 0; g * 2 < n; ++g) {
    Philox::Block b = gen.Next();
    double res[2];
    if (d == Dist::kUniform) {
      res[0] = Uint64ToDouble(b[0], b[1]);
      res[1] = Uint64ToDouble(b[2], b[3]);
    } else {
      BoxMullerDouble(b[0], b[1], b[2], b[3], &res[0], &res[1]);
    }
    for (int i = 0; i < 2 && g * 2 + i < n; ++i) out[g * 2 + i] = res[i];
  }
}

absl::StatusOr<TensorShape> ShapeFromInput(const KernelContext* ctx, const Tensor& t) {
  if (t.rank() != 1 || !array_util::IsIndexDType(t.dtype())) {
    return ctx->Error(absl::StrCat("shape must be a vector of {int32,int64}, got shape ",
                                   ShapeStr(t.shape()), " of ", DTypeName(t.dtype())));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> dims, array_util::ReadInts(ctx, t, "shape"));
  TensorShape s(dims);
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, s));
  return s;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeRandomFloat(const KernelInit& init, Dist dist) {
  DType dtype;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtype", &dtype));
  if (dtype != DType::kFloat && dtype != DType::kDouble && dtype != DType::kHalf &&
      dtype != DType::kBFloat16) {
    return init.Error(absl::StrCat("dtype must be a floating type, got ", DTypeName(dtype)));
  }
  int64_t seed = 0, seed2 = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("seed", &seed));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("seed2", &seed2));
  auto state = std::make_shared<GuardedPhilox>(seed, seed2);
  return MakeKernel([dtype, dist, state](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 1) return ctx->Error("expected 1 input");
    TFM_ASSIGN_OR_RETURN(TensorShape shape, ShapeFromInput(ctx, ctx->input(0)));
    Tensor out = Tensor::Empty(dtype, shape);
    const int64_t n = out.NumElements();
    Philox gen = state->Reserve(n);
    unsigned char* raw = static_cast<unsigned char*>(out.raw_data());
    switch (dtype) {
      case DType::kFloat:
        FillFloat(gen, dist, n, [&](int64_t i, float v) { std::memcpy(raw + 4 * i, &v, 4); });
        break;
      case DType::kDouble:
        FillDouble(gen, dist, n, out.data<double>());
        break;
      case DType::kHalf:
        if (dist == Dist::kUniform) {
          // 10 random mantissa bits: value man/1024 in [0, 1), exact in half.
          for (int64_t g = 0; g * 4 < n; ++g) {
            Philox::Block b = gen.Next();
            for (int i = 0; i < 4 && g * 4 + i < n; ++i) {
              Half h = Half::FromFloat(static_cast<float>(b[i] & 0x3ffu) / 1024.0f);
              std::memcpy(raw + 2 * (g * 4 + i), &h, 2);
            }
          }
        } else {
          FillFloat(gen, dist, n, [&](int64_t i, float v) {
            Half h = Half::FromFloat(v);
            std::memcpy(raw + 2 * i, &h, 2);
          });
        }
        break;
      default:  // bfloat16
        if (dist == Dist::kUniform) {
          for (int64_t g = 0; g * 4 < n; ++g) {
            Philox::Block b = gen.Next();
            for (int i = 0; i < 4 && g * 4 + i < n; ++i) {
              BFloat16 h = BFloat16::FromFloat(static_cast<float>(b[i] & 0x7fu) / 128.0f);
              std::memcpy(raw + 2 * (g * 4 + i), &h, 2);
            }
          }
        } else {
          FillFloat(gen, dist, n, [&](int64_t i, float v) {
            BFloat16 h = BFloat16::FromFloat(v);
            std::memcpy(raw + 2 * i, &h, 2);
          });
        }
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeRandomUniformInt(const KernelInit& init) {
  int64_t seed = 0, seed2 = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("seed", &seed));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("seed2", &seed2));
  auto state = std::make_shared<GuardedPhilox>(seed, seed2);
  return MakeKernel([state](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() < 3) return ctx->Error("expected 3 inputs");
    TFM_ASSIGN_OR_RETURN(TensorShape shape, ShapeFromInput(ctx, ctx->input(0)));
    const Tensor& lo_t = ctx->input(1);
    const Tensor& hi_t = ctx->input(2);
    if (lo_t.rank() != 0) {
      return ctx->Error(absl::StrCat("minval must be 0-D, got shape ", ShapeStr(lo_t.shape())));
    }
    if (hi_t.rank() != 0) {
      return ctx->Error(absl::StrCat("maxval must be 0-D, got shape ", ShapeStr(hi_t.shape())));
    }
    const DType dtype = lo_t.dtype();
    if (!array_util::IsIndexDType(dtype) || hi_t.dtype() != dtype) {
      return ctx->Error("minval and maxval must both be int32 or both int64");
    }
    Tensor out = Tensor::Empty(dtype, shape);
    const int64_t n = out.NumElements();
    if (n == 0) {
      ctx->set_output(0, std::move(out));
      return absl::OkStatus();
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> lo, array_util::ReadInts(ctx, lo_t, "minval"));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> hi, array_util::ReadInts(ctx, hi_t, "maxval"));
    if (!(lo[0] < hi[0])) {
      return ctx->Error(absl::StrCat("Need minval < maxval: ", lo[0], " >= ", hi[0]));
    }
    Philox gen = state->Reserve(n);
    if (dtype == DType::kInt32) {
      const uint32_t range = static_cast<uint32_t>(hi[0]) - static_cast<uint32_t>(lo[0]);
      int32_t* o = out.data<int32_t>();
      for (int64_t g = 0; g * 4 < n; ++g) {
        Philox::Block b = gen.Next();
        for (int i = 0; i < 4 && g * 4 + i < n; ++i) {
          o[g * 4 + i] = static_cast<int32_t>(static_cast<uint32_t>(lo[0]) + b[i] % range);
        }
      }
    } else {
      const uint64_t range = static_cast<uint64_t>(hi[0]) - static_cast<uint64_t>(lo[0]);
      int64_t* o = out.data<int64_t>();
      for (int64_t g = 0; g * 2 < n; ++g) {
        Philox::Block b = gen.Next();
        for (int i = 0; i < 2 && g * 2 + i < n; ++i) {
          const uint64_t bits = b[2 * i] | (static_cast<uint64_t>(b[2 * i + 1]) << 32);
          o[g * 2 + i] = static_cast<int64_t>(static_cast<uint64_t>(lo[0]) + bits % range);
        }
      }
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

// Exposed for the unit test of the generator (Philox4x32-10 known-answer vector).
std::array<uint32_t, 4> PhiloxBlockForTest(std::array<uint32_t, 4> counter, uint32_t k0,
                                           uint32_t k1) {
  Philox p(counter, k0, k1);
  return p.Next();
}

void RegisterRandomKernels(KernelRegistry& r) {
  r.Register("RandomUniform",
             [](const KernelInit& init) { return MakeRandomFloat(init, Dist::kUniform); });
  r.Register("RandomStandardNormal",
             [](const KernelInit& init) { return MakeRandomFloat(init, Dist::kNormal); });
  r.Register("TruncatedNormal",
             [](const KernelInit& init) { return MakeRandomFloat(init, Dist::kTruncated); });
  r.Register("RandomUniformInt", MakeRandomUniformInt);
}

}  // namespace tfmodel::runtime
