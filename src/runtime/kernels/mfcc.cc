#include "runtime/kernels/mfcc.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime::audio {
namespace {

constexpr double kFilterbankFloor = 1e-12;

double FreqToMel(double freq) { return 1127.0 * std::log1p(freq / 700.0); }

// static_cast<int> that saturates instead of overflowing (NaN -> 0).
int SaturatingInt(double v) {
  if (!(v == v)) return 0;
  if (v >= static_cast<double>(std::numeric_limits<int>::max())) {
    return std::numeric_limits<int>::max();
  }
  if (v <= static_cast<double>(std::numeric_limits<int>::min())) {
    return std::numeric_limits<int>::min();
  }
  return static_cast<int>(v);
}

absl::Status Fail(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("Mfcc: ", why));
}

}  // namespace

absl::StatusOr<MfccPlan> MfccPlan::Create(int input_length, double sample_rate,
                                          const MfccOptions& o) {
  const int channels = o.filterbank_channel_count;
  if (channels < 1) {
    return Fail(absl::StrCat("filterbank_channel_count must be positive, got ", channels));
  }
  if (!(sample_rate > 0))
    return Fail(absl::StrCat("sample rate must be positive, got ", sample_rate));
  if (input_length < 2) {
    return Fail(
        absl::StrCat("the spectrogram must have more than 1 frequency bin, got ", input_length));
  }
  if (!(o.lower_frequency_limit >= 0)) {
    return Fail(
        absl::StrCat("lower_frequency_limit must be nonnegative, got ", o.lower_frequency_limit));
  }
  if (!(o.upper_frequency_limit > o.lower_frequency_limit)) {
    return Fail(absl::StrCat("upper_frequency_limit (", o.upper_frequency_limit,
                             ") must be greater than lower_frequency_limit (",
                             o.lower_frequency_limit, ")"));
  }
  if (o.dct_coefficient_count < 1) {
    return Fail(
        absl::StrCat("dct_coefficient_count must be positive, got ", o.dct_coefficient_count));
  }
  if (o.dct_coefficient_count > channels) {
    return Fail(absl::StrCat("dct_coefficient_count (", o.dct_coefficient_count,
                             ") must be <= filterbank_channel_count (", channels, ")"));
  }
  if (channels > (1 << 20)) {
    return Fail(absl::StrCat("filterbank_channel_count ", channels, " is too large"));
  }

  MfccPlan p;
  p.input_length_ = input_length;
  p.channels_ = channels;
  std::vector<double> centers(channels + 1);
  const double mel_low = FreqToMel(o.lower_frequency_limit);
  const double mel_high = FreqToMel(o.upper_frequency_limit);
  const double spacing = (mel_high - mel_low) / static_cast<double>(channels + 1);
  for (int i = 0; i <= channels; ++i) centers[i] = mel_low + spacing * (i + 1);

  const double hz_per_bin = 0.5 * sample_rate / static_cast<double>(input_length - 1);
  p.start_ = SaturatingInt(1.5 + o.lower_frequency_limit / hz_per_bin);
  p.end_ = SaturatingInt(o.upper_frequency_limit / hz_per_bin);

  p.band_.assign(input_length, -2);
  p.weight_.assign(input_length, 0.0);
  int channel = 0;
  for (int i = 0; i < input_length; ++i) {
    if (i < p.start_ || i > p.end_) continue;
    const double mel = FreqToMel(i * hz_per_bin);
    while (channel < channels && centers[channel] < mel) ++channel;
    const int band = channel - 1;
    p.band_[i] = band;
    p.weight_[i] = band >= 0 ? (centers[band + 1] - mel) / (centers[band + 1] - centers[band])
                             : (centers[0] - mel) / (centers[0] - mel_low);
  }

  const double scale = std::sqrt(2.0 / channels);
  const double arg = std::atan(1.0) * 4.0 / channels;
  p.cosines_.resize(o.dct_coefficient_count);
  for (int i = 0; i < o.dct_coefficient_count; ++i) {
    p.cosines_[i].resize(channels);
    for (int j = 0; j < channels; ++j) p.cosines_[i][j] = scale * std::cos(i * arg * (j + 0.5));
  }
  return p;
}

void MfccPlan::Compute(const float* spectrum, float* out) const {
  const int coefficients = coefficient_count();
  if (end_ >= input_length_) {
    for (int i = 0; i < coefficients; ++i) out[i] = 0.0f;
    return;
  }
  std::vector<double> energy(channels_, 0.0);
  for (int i = start_; i <= end_; ++i) {
    const double magnitude = std::sqrt(static_cast<double>(spectrum[i]));
    const double weighted = magnitude * weight_[i];
    const int band = band_[i];
    if (band >= 0) energy[band] += weighted;
    if (band + 1 < channels_) energy[band + 1] += magnitude - weighted;
  }
  for (double& e : energy) e = std::log(e < kFilterbankFloor ? kFilterbankFloor : e);
  for (int i = 0; i < coefficients; ++i) {
    double sum = 0.0;
    for (int j = 0; j < channels_; ++j) sum += cosines_[i][j] * energy[j];
    out[i] = static_cast<float>(sum);
  }
}

}  // namespace tfmodel::runtime::audio
