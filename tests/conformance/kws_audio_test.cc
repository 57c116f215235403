// The ARM ML-KWS-for-MCU keyword spotters (TF1 frozen graphs: DecodeWav -> AudioSpectrogram
// -> Mfcc -> DS-CNN / CRNN / GRU / LSTM -> labels_softmax) run on a WAV file written here.
// Besides a valid softmax, the front end is checked against an independent computation:
// the same samples through a direct double-precision DFT with the periodic Hann window,
// the mel triangles and the DCT-II written from their definitions, compared with the
// graph's own Mfcc node output.
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "format/saved_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/model.h"
#include "test_util.h"

namespace tfmodel {
namespace {

constexpr int kRate = 16000;

// One second: a 440 Hz + 1.7 kHz tone mix with deterministic noise, as int16.
std::vector<int16_t> Signal(int n) {
  std::vector<int16_t> s(n);
  uint32_t state = 2024;
  const double pi = std::acos(-1.0);
  for (int i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const double noise = static_cast<double>(state >> 8) / (1u << 24) - 0.5;
    const double t = static_cast<double>(i) / kRate;
    const double v =
        0.3 * std::sin(2 * pi * 440 * t) + 0.15 * std::sin(2 * pi * 1700 * t) + 0.05 * noise;
    s[i] = static_cast<int16_t>(std::lround(v * 32767));
  }
  return s;
}

std::string WavBytes(const std::vector<int16_t>& s) {
  std::string out;
  auto put = [&out](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  out += "RIFF";
  put(36 + 2 * s.size(), 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(kRate, 4);
  put(kRate * 2, 4);  // byte rate
  put(2, 2);          // block align
  put(16, 2);         // bits
  out += "data";
  put(2 * s.size(), 4);
  for (int16_t v : s) put(static_cast<uint16_t>(v), 2);
  return out;
}

const tensorflow::NodeDef* FindOp(const tensorflow::GraphDef& g, const std::string& op) {
  for (const auto& n : g.node()) {
    if (n.op() == op) return &n;
  }
  return nullptr;
}

int64_t IntAttr(const tensorflow::NodeDef& n, const std::string& name, int64_t dflt) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? dflt : it->second.i();
}
double FloatAttr(const tensorflow::NodeDef& n, const std::string& name, double dflt) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? dflt : it->second.f();
}

// MFCCs of `x` from the definitions (no code shared with the kernels).
std::vector<std::vector<double>> ReferenceMfcc(const std::vector<double>& x, int window, int stride,
                                               const tensorflow::NodeDef& mfcc) {
  const double pi = std::acos(-1.0);
  int fft = 1;
  while (fft < window) fft *= 2;
  const int bins = fft / 2 + 1;
  const double lower = FloatAttr(mfcc, "lower_frequency_limit", 20);
  const double upper = FloatAttr(mfcc, "upper_frequency_limit", 4000);
  const int channels = static_cast<int>(IntAttr(mfcc, "filterbank_channel_count", 40));
  const int coeffs = static_cast<int>(IntAttr(mfcc, "dct_coefficient_count", 13));
  auto mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  const double lo = mel(lower), hi = mel(upper), step = (hi - lo) / (channels + 1);
  const double hz = 0.5 * kRate / (bins - 1);
  const int first = static_cast<int>(1.5 + lower / hz), last = static_cast<int>(upper / hz);
  std::vector<std::vector<double>> out;
  const int frames =
      static_cast<int>(x.size()) < window ? 0 : 1 + (static_cast<int>(x.size()) - window) / stride;
  for (int f = 0; f < frames; ++f) {
    std::vector<double> magnitude(bins);
    for (int k = 0; k < bins; ++k) {
      std::complex<double> acc = 0;
      for (int j = 0; j < window; ++j) {
        const double w = 0.5 - 0.5 * std::cos(2 * pi * j / window);
        acc += x[f * stride + j] * w * std::polar(1.0, -2 * pi * j * k / fft);
      }
      // The op outputs the power in float; the filterbank takes its square root.
      magnitude[k] = std::sqrt(static_cast<double>(static_cast<float>(std::norm(acc))));
    }
    std::vector<double> energy(channels, 0.0);
    for (int c = 0; c < channels; ++c) {
      const double left = lo + step * c, centre = lo + step * (c + 1), right = lo + step * (c + 2);
      for (int i = first; i <= last; ++i) {
        const double m = mel(i * hz);
        if (m > left && m <= centre) energy[c] += magnitude[i] * (m - left) / (centre - left);
        if (m > centre && m < right) energy[c] += magnitude[i] * (right - m) / (right - centre);
      }
    }
    std::vector<double> cep(coeffs);
    for (int k = 0; k < coeffs; ++k) {
      double sum = 0;
      for (int c = 0; c < channels; ++c) {
        sum += std::sqrt(2.0 / channels) * std::cos(pi * k * (c + 0.5) / channels) *
               std::log(std::max(energy[c], 1e-12));
      }
      cep[k] = sum;
    }
    out.push_back(cep);
  }
  return out;
}

// The .pb file inside a wild/ model folder.
std::string ModelFile(const std::string& dir) {
  for (const char* name : {"DS_CNN_S.pb", "CRNN_S.pb", "GRU_S.pb", "LSTM_S.pb"}) {
    if (FileExists(JoinPath(dir, name))) return JoinPath(dir, name);
  }
  return "";
}

class KwsModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KwsModelTest, RunsAndFrontEndMatchesReference) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = testing::Testdata("wild/" + GetParam());
  const std::string pb = ModelFile(dir);
  ASSERT_FALSE(pb.empty()) << "no model file in " << dir;
  auto graph = ReadGraphDef(pb);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const tensorflow::NodeDef* decode = FindOp(*graph, "DecodeWav");
  const tensorflow::NodeDef* spec = FindOp(*graph, "AudioSpectrogram");
  const tensorflow::NodeDef* mfcc = FindOp(*graph, "Mfcc");
  ASSERT_TRUE(decode && spec && mfcc);
  const tensorflow::NodeDef mfcc_node = *mfcc;
  const int desired = static_cast<int>(IntAttr(*decode, "desired_samples", -1));
  const int window = static_cast<int>(IntAttr(*spec, "window_size", 0));
  const int stride = static_cast<int>(IntAttr(*spec, "stride", 0));
  ASSERT_EQ(desired, kRate);
  auto squared = spec->attr().find("magnitude_squared");
  ASSERT_TRUE(squared != spec->attr().end() && squared->second.b())
      << "the reference below assumes magnitude_squared=true";

  auto model = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(model.ok()) << model.status();
  // 0.9 s of signal: DecodeWav pads the last 0.1 s with zeros.
  const std::vector<int16_t> samples = Signal(kRate * 9 / 10);
  auto out = (*model)->Run({{"wav_data:0", Tensor::StringScalar(WavBytes(samples))}},
                           {"labels_softmax:0", mfcc_node.name() + ":0"});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& probs = (*out)[0];
  ASSERT_EQ(probs.dtype(), DType::kFloat);
  ASSERT_EQ(probs.rank(), 2);
  EXPECT_EQ(probs.dim(0), 1);
  EXPECT_EQ(probs.dim(1), 12);  // silence, unknown + 10 keywords
  double sum = 0;
  for (float p : probs.flat<float>()) {
    EXPECT_GE(p, 0.0f);
    sum += p;
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);

  std::vector<double> x(desired, 0.0);
  for (size_t i = 0; i < samples.size(); ++i) x[i] = samples[i] / 32768.0;
  const auto want = ReferenceMfcc(x, window, stride, mfcc_node);
  const Tensor& got = (*out)[1];
  ASSERT_EQ(got.rank(), 3);
  ASSERT_EQ(got.dim(0), 1);
  ASSERT_EQ(got.dim(1), static_cast<int64_t>(want.size()));
  ASSERT_EQ(got.dim(2), static_cast<int64_t>(want[0].size()));
  double worst = 0;
  for (size_t f = 0; f < want.size(); ++f) {
    for (size_t k = 0; k < want[f].size(); ++k) {
      const double g = got.data<float>()[f * want[f].size() + k];
      worst = std::max(worst, std::abs(g - want[f][k]) / (1 + std::abs(want[f][k])));
    }
  }
  EXPECT_LT(worst, 2e-5) << "largest relative MFCC difference";

  // The same bytes twice give the same answer (no state kept between runs).
  auto again = (*model)->Run({{"wav_data:0", Tensor::StringScalar(WavBytes(samples))}},
                             {"labels_softmax:0"});
  ASSERT_TRUE(again.ok()) << again.status();
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ((*again)[0].data<float>()[i], probs.data<float>()[i]);
  }
}

TEST_P(KwsModelTest, BadWavIsAClearError) {
  TFM_REQUIRE_TESTDATA();
  const std::string dir = testing::Testdata("wild/" + GetParam());
  const std::string pb = ModelFile(dir);
  ASSERT_FALSE(pb.empty()) << "no model file in " << dir;
  auto graph = ReadGraphDef(pb);
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto model = runtime::Model::LoadGraph(std::move(*graph));
  ASSERT_TRUE(model.ok()) << model.status();
  auto out = (*model)->Run({{"wav_data:0", Tensor::StringScalar("RIFF-not-really-a-wav")}},
                           {"labels_softmax:0"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("DecodeWav"));
  EXPECT_THAT(std::string(out.status().message()), ::testing::HasSubstr("WAVE"));
}

// `tfmodel run` feeds a WAV file's bytes with '@path', and --synthetic_inputs makes a
// valid WAV for a string placeholder that feeds DecodeWav.
TEST(KwsCliTest, RunFeedsWavFileBytesAndSynthesizesWav) {
  TFM_REQUIRE_TESTDATA();
  const std::string pb = ModelFile(testing::Testdata("wild/kws-dscnn-s-frozen"));
  ASSERT_FALSE(pb.empty());
  const std::string wav = JoinPath(testing::TempDir(), "tone.wav");
  ASSERT_TRUE(WriteStringToFile(wav, WavBytes(Signal(kRate))).ok());
  const std::string bin = testing::Quote(testing::TfmodelBinary());
  auto r = testing::RunCommand(bin + " run " + testing::Quote(pb) + " --feed " +
                               testing::Quote("wav_data:0=@" + wav) + " --fetch labels_softmax:0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("labels_softmax:0"));
  r = testing::RunCommand(bin + " run " + testing::Quote(pb) +
                          " --synthetic_inputs --fetch labels_softmax:0");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("[1,12]"));
  // Without '@' the path is read as a literal; the error says how to feed the bytes.
  r = testing::RunCommand(bin + " run " + testing::Quote(pb) + " --feed " +
                          testing::Quote("wav_data:0=" + wav) + " --fetch labels_softmax:0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, ::testing::HasSubstr("write '@" + wav + "'"));
  r = testing::RunCommand(bin + " run " + testing::Quote(pb) + " --feed " +
                          testing::Quote("wav_data:0=@" + wav + ".missing") +
                          " --fetch labels_softmax:0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, ::testing::HasSubstr("wav_data:0"));
}

INSTANTIATE_TEST_SUITE_P(Wild, KwsModelTest,
                         ::testing::Values("kws-dscnn-s-frozen", "kws-crnn-s-frozen",
                                           "kws-gru-s-frozen", "kws-lstm-s-frozen"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) {
                             if (c == '-') c = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace tfmodel
