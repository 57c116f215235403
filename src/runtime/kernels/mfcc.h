// TF's Mfcc op arithmetic (tensorflow/core/kernels/mfcc.cc, mfcc_mel_filterbank.cc,
// mfcc_dct.cc), in double like TF:
//  - mel(f) = 1127 ln(1 + f / 700); channel_count + 1 centre frequencies spaced evenly in
//    mel from mel(lower) (exclusive) to mel(upper) (inclusive);
//  - spectrogram bin i has frequency i * (sample_rate / 2) / (input_length - 1); bins from
//    int(1.5 + lower / hz_per_bin) to int(upper / hz_per_bin) are used (DC never is);
//  - each used bin's magnitude sqrt(power) is split between the channel whose centre lies
//    just below it (weight = distance to the next centre / centre spacing) and the next
//    channel (1 - weight): overlapping triangles;
//  - log(max(energy, 1e-12)), then the DCT-II with scale sqrt(2 / channel_count):
//    c_i = sqrt(2/N) sum_j x_j cos(pi i (j + 0.5) / N), i < dct_coefficient_count.
#ifndef TFMODEL_RUNTIME_KERNELS_MFCC_H_
#define TFMODEL_RUNTIME_KERNELS_MFCC_H_

#include <vector>

#include "absl/status/statusor.h"

namespace tfmodel::runtime::audio {

struct MfccOptions {
  double upper_frequency_limit = 4000;
  double lower_frequency_limit = 20;
  int filterbank_channel_count = 40;
  int dct_coefficient_count = 13;
};

class MfccPlan {
 public:
  // `input_length` is the number of spectrogram bins per frame. Fails with TF's conditions
  // (channel count < 1, sample rate <= 0, input_length < 2, lower < 0, upper <= lower,
  // dct count < 1 or > channel count).
  static absl::StatusOr<MfccPlan> Create(int input_length, double sample_rate,
                                         const MfccOptions& options);

  int coefficient_count() const { return static_cast<int>(cosines_.size()); }

  // One frame: `spectrum` has input_length squared magnitudes; writes
  // coefficient_count() values. When the used bins reach past the frame (upper limit above
  // the Nyquist frequency) TF's filterbank gives up and its DCT sees no input, so every
  // coefficient is 0; this does the same.
  void Compute(const float* spectrum, float* out) const;

 private:
  MfccPlan() = default;
  int input_length_ = 0;
  int channels_ = 0;
  int start_ = 0, end_ = 0;
  std::vector<int> band_;       // per bin: channel on the falling side, -1 or -2 (unused)
  std::vector<double> weight_;  // per bin: weight for band_[i]; 1 - weight for band_[i]+1
  std::vector<std::vector<double>> cosines_;  // coefficient x channel
};

}  // namespace tfmodel::runtime::audio

#endif  // TFMODEL_RUNTIME_KERNELS_MFCC_H_
