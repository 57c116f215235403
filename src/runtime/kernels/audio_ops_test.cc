// Tests for DecodeWav / EncodeWav / AudioSpectrogram / Mfcc: WAV bytes written here by
// hand, spectrogram values computed by hand or by a direct O(n^2) DFT, and TF's published
// Mfcc golden values (tensorflow/core/kernels/mfcc_test.cc).
#include <cmath>
#include <complex>
#include <cstring>
#include <string>
#include <vector>

#include "format/wav.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernel_test_util.h"
#include "runtime/kernels/mfcc.h"
#include "runtime/kernels/spectrogram.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrI;
using testing::ExpectTensorEq;
using testing::ExpectTensorNear;
using ::testing::HasSubstr;
using testing::RunKernel;

void Put(std::string* s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A WAV file with explicit header fields so tests can break each one.
struct WavSpec {
  uint32_t fmt_size = 16;
  uint16_t format = 1;
  uint16_t channels = 1;
  uint32_t rate = 16000;
  int bits = 16;
  int block_align = -1;    // default channels * 2
  int byte_rate = -1;      // default block_align * rate
  std::string before_fmt;  // raw chunks between WAVE and fmt
  std::string after_fmt;   // raw chunks between fmt and data
  int data_size = -1;      // default 2 * samples
  bool data = true;
};

std::string MakeWav(const std::vector<int16_t>& samples, const WavSpec& w = {}) {
  const int align = w.block_align < 0 ? w.channels * 2 : w.block_align;
  const uint32_t byte_rate = w.byte_rate < 0 ? align * w.rate : w.byte_rate;
  std::string body = "WAVE" + w.before_fmt + "fmt ";
  Put(&body, w.fmt_size, 4);
  Put(&body, w.format, 2);
  Put(&body, w.channels, 2);
  Put(&body, w.rate, 4);
  Put(&body, byte_rate, 4);
  Put(&body, align, 2);
  Put(&body, w.bits, 2);
  if (w.fmt_size == 18) Put(&body, 0, 2);
  body += w.after_fmt;
  if (w.data) {
    body += "data";
    Put(&body, w.data_size < 0 ? 2 * samples.size() : w.data_size, 4);
    for (int16_t s : samples) Put(&body, static_cast<uint16_t>(s), 2);
  }
  std::string out = "RIFF";
  Put(&out, body.size(), 4);
  return out + body;
}

absl::StatusOr<std::vector<Tensor>> Decode(const std::string& wav, int channels = -1,
                                           int samples = -1) {
  return RunKernel("DecodeWav", {Tensor::StringScalar(wav)},
                   {{"desired_channels", AttrI(channels)}, {"desired_samples", AttrI(samples)}});
}

TEST(DecodeWavTest, MonoSamplesScaleBy32768) {
  auto out = Decode(MakeWav({0, 16384, -32768, 32767}));
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<float>({0.0f, 0.5f, -1.0f, 32767.0f / 32768.0f},
                                                      TensorShape{4, 1}));
  ExpectTensorEq((*out)[1], Tensor::Scalar<int32_t>(16000));
}

TEST(DecodeWavTest, DesiredSamplesPadsWithZerosAndTruncates) {
  const std::string wav = MakeWav({8192, -8192, 16384});
  auto padded = Decode(wav, -1, 5);
  ASSERT_TRUE(padded.ok()) << padded.status();
  ExpectTensorEq((*padded)[0],
                 Tensor::FromVector<float>({0.25f, -0.25f, 0.5f, 0, 0}, TensorShape{5, 1}));
  auto cut = Decode(wav, -1, 2);
  ASSERT_TRUE(cut.ok()) << cut.status();
  ExpectTensorEq((*cut)[0], Tensor::FromVector<float>({0.25f, -0.25f}, TensorShape{2, 1}));
  auto none = Decode(wav, -1, 0);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)[0].shape(), (TensorShape{0, 1}));
}

TEST(DecodeWavTest, ChannelsReplicateLastOrDrop) {
  WavSpec stereo;
  stereo.channels = 2;
  stereo.rate = 8000;
  // Two frames: (L, R) = (0.25, -0.5), (0.5, 0.75).
  const std::string wav = MakeWav({8192, -16384, 16384, 24576}, stereo);
  auto both = Decode(wav);
  ASSERT_TRUE(both.ok()) << both.status();
  ExpectTensorEq((*both)[0],
                 Tensor::FromVector<float>({0.25f, -0.5f, 0.5f, 0.75f}, TensorShape{2, 2}));
  ExpectTensorEq((*both)[1], Tensor::Scalar<int32_t>(8000));
  auto mono = Decode(wav, 1);
  ASSERT_TRUE(mono.ok()) << mono.status();
  ExpectTensorEq((*mono)[0], Tensor::FromVector<float>({0.25f, 0.5f}, TensorShape{2, 1}));
  auto four = Decode(wav, 4, 3);
  ASSERT_TRUE(four.ok()) << four.status();
  ExpectTensorEq((*four)[0], Tensor::FromVector<float>({0.25f, -0.5f, -0.5f, -0.5f,  //
                                                        0.5f, 0.75f, 0.75f, 0.75f,   //
                                                        0, 0, 0, 0},
                                                       TensorShape{3, 4}));
}

TEST(DecodeWavTest, SkipsPaddingAndUnknownChunks) {
  WavSpec w;
  w.fmt_size = 18;
  w.before_fmt = std::string("JUNK") + std::string("\x04\0\0\0", 4) + "abcd";
  w.after_fmt = std::string("LIST") + std::string("\x02\0\0\0", 4) + "xy";
  auto out = Decode(MakeWav({16384}, w));
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0], Tensor::FromVector<float>({0.5f}, TensorShape{1, 1}));
}

TEST(DecodeWavTest, MalformedFilesAreInvalidArgument) {
  auto expect_error = [](const std::string& wav, const std::string& text) {
    auto out = Decode(wav);
    ASSERT_FALSE(out.ok()) << text;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(out.status().message(), HasSubstr(text));
    EXPECT_THAT(out.status().message(), HasSubstr("DecodeWav"));
  };
  const std::string good = MakeWav({1, 2, 3});
  expect_error("", "'RIFF'");
  expect_error("RIFX" + good.substr(4), "expected 'RIFF' but found 'RIFX'");
  expect_error(good.substr(0, 8) + "AVI " + good.substr(12), "expected 'WAVE'");
  // Every truncation of a valid file is rejected, never read past the end.
  for (size_t n = 0; n < good.size(); ++n) {
    auto out = Decode(good.substr(0, n));
    EXPECT_FALSE(out.ok()) << "truncated to " << n;
  }
  WavSpec w;
  w.format = 3;
  expect_error(MakeWav({1}, w), "expected 1 (PCM), got 3");
  w = {};
  w.bits = 8;
  expect_error(MakeWav({1}, w), "16-bit");
  w = {};
  w.fmt_size = 40;
  expect_error(MakeWav({1}, w), "format chunk size");
  w = {};
  w.channels = 0;
  w.block_align = 2;
  expect_error(MakeWav({1}, w), "number of channels");
  w = {};
  w.block_align = 4;
  expect_error(MakeWav({1}, w), "block align");
  w = {};
  w.byte_rate = 12345;
  expect_error(MakeWav({1}, w), "bytes per second");
  w = {};
  w.data = false;
  expect_error(MakeWav({}, w), "no data chunk");
  w = {};
  w.data_size = 2000000;  // claims far more samples than present
  expect_error(MakeWav({1, 2}, w), "too short");
  w = {};
  w.before_fmt = "LIST";
  expect_error(MakeWav({1}, w), "unexpected chunk 'LIST'");
  w = {};
  w.after_fmt = std::string("data") + std::string("\x02\0\0\0", 4) + "zz";
  expect_error(MakeWav({1}, w), "more than one data chunk");
}

TEST(DecodeWavTest, BadAttrsAndInputs) {
  auto r = RunKernel("DecodeWav", {Tensor::StringScalar(MakeWav({1}))},
                     {{"desired_channels", AttrI(-2)}});
  EXPECT_FALSE(r.ok());
  r = RunKernel("DecodeWav", {Tensor::FromVector<std::string>({"a", "b"})});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("scalar"));
}

TEST(EncodeWavTest, RoundTripsThroughDecodeWav) {
  Tensor audio = Tensor::FromVector<float>({0.5f, -0.25f, 1.5f, -2.0f}, TensorShape{2, 2});
  auto enc = RunKernel("EncodeWav", {audio, Tensor::Scalar<int32_t>(44100)});
  ASSERT_TRUE(enc.ok()) << enc.status();
  const std::string& bytes = (*enc)[0].scalar<std::string>();
  EXPECT_EQ(bytes.size(), 44u + 8u);
  auto dec = Decode(bytes);
  ASSERT_TRUE(dec.ok()) << dec.status();
  // Out-of-range samples clamp to the int16 range.
  ExpectTensorEq((*dec)[0], Tensor::FromVector<float>({0.5f, -0.25f, 32767.0f / 32768.0f, -1.0f},
                                                      TensorShape{2, 2}));
  ExpectTensorEq((*dec)[1], Tensor::Scalar<int32_t>(44100));
  EXPECT_FALSE(RunKernel("EncodeWav", {audio, Tensor::Scalar<int32_t>(0)}).ok());
}

// --- AudioSpectrogram ---

absl::StatusOr<std::vector<Tensor>> Spectrogram(const Tensor& in, int window, int stride,
                                                bool squared) {
  return RunKernel("AudioSpectrogram", {in},
                   {{"window_size", AttrI(window)},
                    {"stride", AttrI(stride)},
                    {"magnitude_squared", AttrB(squared)}});
}

TEST(AudioSpectrogramTest, HandComputedFrame) {
  // Periodic Hann of length 4 is [0, .5, 1, .5]; x = [1..5] -> one frame [0, 1, 3, 2].
  // Its 4-point DFT: X0 = 6, X1 = -3 + i, X2 = 0.
  Tensor in = Tensor::FromVector<float>({1, 2, 3, 4, 5}, TensorShape{5, 1});
  auto sq = Spectrogram(in, 4, 2, true);
  ASSERT_TRUE(sq.ok()) << sq.status();
  ExpectTensorNear((*sq)[0], Tensor::FromVector<float>({36, 10, 0}, TensorShape{1, 1, 3}), 1e-5);
  auto mag = Spectrogram(in, 4, 2, false);
  ASSERT_TRUE(mag.ok()) << mag.status();
  ExpectTensorNear((*mag)[0],
                   Tensor::FromVector<float>({6, std::sqrt(10.0f), 0}, TensorShape{1, 1, 3}), 1e-5);
}

// Direct DFT of one frame, for comparison with the FFT path.
std::vector<double> DirectPower(const std::vector<float>& x, int start, int window, int fft) {
  const double pi = std::acos(-1.0);
  std::vector<double> out(fft / 2 + 1);
  for (int k = 0; k <= fft / 2; ++k) {
    std::complex<double> acc = 0;
    for (int j = 0; j < window; ++j) {
      const double w = 0.5 - 0.5 * std::cos(2 * pi * j / window);
      acc += x[start + j] * w * std::polar(1.0, -2 * pi * j * k / fft);
    }
    out[k] = std::norm(acc);
  }
  return out;
}

TEST(AudioSpectrogramTest, MatchesDirectDftWithPaddingAndChannels) {
  // Window 5 pads to an 8-point FFT; 2 channels; 23 samples, stride 3 -> 1 + 18/3 = 7 frames.
  const int n = 23, window = 5, stride = 3;
  std::vector<float> interleaved(2 * n), ch0(n), ch1(n);
  for (int i = 0; i < n; ++i) {
    ch0[i] = std::sin(0.7f * i) + 0.1f * i;
    ch1[i] = std::cos(1.3f * i) * (i % 3 == 0 ? 1.0f : -0.5f);
    interleaved[2 * i] = ch0[i];
    interleaved[2 * i + 1] = ch1[i];
  }
  auto out =
      Spectrogram(Tensor::FromVector<float>(interleaved, TensorShape{n, 2}), window, stride, true);
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& t = (*out)[0];
  ASSERT_EQ(t.shape(), (TensorShape{2, 7, 5}));
  for (int c = 0; c < 2; ++c) {
    for (int f = 0; f < 7; ++f) {
      auto ref = DirectPower(c == 0 ? ch0 : ch1, f * stride, window, 8);
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(t.data<float>()[(c * 7 + f) * 5 + k], ref[k], 1e-5 * (1 + ref[k]))
            << c << " " << f << " " << k;
      }
    }
  }
}

TEST(AudioSpectrogramTest, LargeFftMatchesDirectDft) {
  // The keyword-spotting setting: 640-sample windows (FFT 1024).
  std::vector<float> x(1000);
  uint32_t state = 12345;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<float>(static_cast<int32_t>(state >> 16) % 2001 - 1000) / 1000.0f;
  }
  auto out = Spectrogram(Tensor::FromVector<float>(x, TensorShape{1000, 1}), 640, 320, true);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ((*out)[0].shape(), (TensorShape{1, 2, 513}));
  for (int f = 0; f < 2; ++f) {
    auto ref = DirectPower(x, f * 320, 640, 1024);
    for (int k = 0; k <= 512; ++k) {
      EXPECT_NEAR((*out)[0].data<float>()[f * 513 + k], ref[k], 1e-5 * (1 + ref[k]));
    }
  }
}

TEST(AudioSpectrogramTest, ShortInputGivesNoFramesAndBadAttrsFail) {
  auto out = Spectrogram(Tensor::FromVector<float>({1, 2, 3}, TensorShape{3, 1}), 4, 1, true);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (TensorShape{1, 0, 3}));
  EXPECT_FALSE(Spectrogram(Tensor::FromVector<float>({1, 2}, TensorShape{2, 1}), 1, 1, true).ok());
  EXPECT_FALSE(Spectrogram(Tensor::FromVector<float>({1, 2}, TensorShape{2, 1}), 2, 0, true).ok());
  auto rank = Spectrogram(Tensor::FromVector<float>({1, 2}), 2, 1, true);
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("2-dimensional"));
}

// --- Mfcc ---

TEST(MfccTest, AgreesWithTensorFlowGoldenValues) {
  // tensorflow/core/kernels/mfcc_test.cc: spectrum 1..513 at 22050 Hz, default attrs.
  std::vector<float> spec(513);
  for (int i = 0; i < 513; ++i) spec[i] = static_cast<float>(i + 1);
  auto out = RunKernel("Mfcc", {Tensor::FromVector<float>(spec, TensorShape{1, 1, 513}),
                                Tensor::Scalar<int32_t>(22050)});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorNear((*out)[0],
                   Tensor::FromVector<float>(
                       {29.13970072f, -6.41568601f, -0.61903012f, -0.96778652f, -0.26819878f,
                        -0.40907028f, -0.15614748f, -0.23203119f, -0.10481487f, -0.1543029f,
                        -0.0769791f, -0.10806114f, -0.06047613f},
                       TensorShape{1, 1, 13}),
                   1e-4);
}

TEST(MfccTest, ZeroInputIsFloorNotNan) {
  auto out = RunKernel(
      "Mfcc", {Tensor::FromVector<float>(std::vector<float>(513, 0.0f), TensorShape{1, 1, 513}),
               Tensor::Scalar<int32_t>(22050)});
  ASSERT_TRUE(out.ok()) << out.status();
  // log(1e-12) in every channel: only c0 is non-zero, sqrt(2/40) * 40 * log(1e-12).
  const float c0 = static_cast<float>(std::sqrt(2.0 / 40) * 40 * std::log(1e-12));
  EXPECT_NEAR((*out)[0].data<float>()[0], c0, 1e-3);
  for (int i = 1; i < 13; ++i) EXPECT_NEAR((*out)[0].data<float>()[i], 0.0f, 1e-4);
}

TEST(MfccTest, LowToneGivesLargestFirstCoefficient) {
  // TF's SimpleInputSaneResult: one hot bin at 10 of 129, 8 kHz, 40 channels / coefficients.
  std::vector<float> spec(129, 0.0f);
  spec[10] = 1.0f;
  auto out = RunKernel(
      "Mfcc",
      {Tensor::FromVector<float>(spec, TensorShape{1, 1, 129}), Tensor::Scalar<int32_t>(8000)},
      {{"lower_frequency_limit", AttrF(125)},
       {"upper_frequency_limit", AttrF(3800)},
       {"filterbank_channel_count", AttrI(40)},
       {"dct_coefficient_count", AttrI(40)}});
  ASSERT_TRUE(out.ok()) << out.status();
  const float* v = (*out)[0].data<float>();
  EXPECT_EQ(std::max_element(v, v + 40) - v, 1);
}

TEST(MfccTest, UpperLimitAboveNyquistGivesZerosLikeTf) {
  auto out =
      RunKernel("Mfcc",
                {Tensor::FromVector<float>(std::vector<float>(65, 1.0f), TensorShape{1, 1, 65}),
                 Tensor::Scalar<int32_t>(4000)},
                {{"upper_frequency_limit", AttrF(7000)}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectTensorEq((*out)[0],
                 Tensor::FromVector<float>(std::vector<float>(13, 0.0f), TensorShape{1, 1, 13}));
}

TEST(MfccTest, BadAttrsAndInputsFail) {
  const Tensor spec =
      Tensor::FromVector<float>(std::vector<float>(65, 1.0f), TensorShape{1, 1, 65});
  EXPECT_FALSE(RunKernel("Mfcc", {spec, Tensor::Scalar<int32_t>(16000)},
                         {{"dct_coefficient_count", AttrI(41)}})
                   .ok());
  EXPECT_FALSE(RunKernel("Mfcc", {spec, Tensor::Scalar<int32_t>(16000)},
                         {{"lower_frequency_limit", AttrF(5000)}})
                   .ok());
  auto r = RunKernel("Mfcc", {spec, Tensor::Scalar<int32_t>(0)});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("sample rate 0"));
  r = RunKernel("Mfcc", {Tensor::FromVector<float>({1, 2}), Tensor::Scalar<int32_t>(16000)});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("3-dimensional"));
}

// The plan objects directly: the mel filterbank against its definition.
TEST(MfccPlanTest, MatchesIndependentFilterbankAndDct) {
  const int bins = 257;
  const double rate = 16000;
  audio::MfccOptions o;
  o.lower_frequency_limit = 20;
  o.upper_frequency_limit = 4000;
  o.filterbank_channel_count = 40;
  o.dct_coefficient_count = 10;
  auto plan = audio::MfccPlan::Create(bins, rate, o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<float> spec(bins);
  for (int i = 0; i < bins; ++i) spec[i] = 0.01f + static_cast<float>((i * 7919) % 101);
  std::vector<float> got(10);
  plan->Compute(spec.data(), got.data());

  // Triangles over mel: channel c rises from centre c-1 to c and falls to c+1 (centre -1 is
  // mel(lower)); every bin in [start, end] contributes sqrt(power) * triangle height.
  auto mel = [](double f) { return 1127.0 * std::log1p(f / 700.0); };
  const double lo = mel(20), hi = mel(4000), step = (hi - lo) / 41;
  const double hz = 0.5 * rate / (bins - 1);
  const int start = static_cast<int>(1.5 + 20 / hz), end = static_cast<int>(4000 / hz);
  std::vector<double> energy(40, 0.0);
  for (int c = 0; c < 40; ++c) {
    const double left = lo + step * c, centre = lo + step * (c + 1), right = lo + step * (c + 2);
    for (int i = start; i <= end; ++i) {
      const double m = mel(i * hz);
      double h = 0;
      if (m > left && m <= centre) h = (m - left) / (centre - left);
      if (m > centre && m < right) h = (right - m) / (right - centre);
      energy[c] += h * std::sqrt(static_cast<double>(spec[i]));
    }
  }
  for (int k = 0; k < 10; ++k) {
    double sum = 0;
    for (int c = 0; c < 40; ++c) {
      sum += std::sqrt(2.0 / 40) * std::cos(M_PI * k * (c + 0.5) / 40) *
             std::log(std::max(energy[c], 1e-12));
    }
    EXPECT_NEAR(got[k], sum, 1e-4 * (1 + std::abs(sum))) << k;
  }
}

}  // namespace
}  // namespace tfmodel::runtime
