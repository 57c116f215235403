// Tests for the synthetic WAV inputs: a string placeholder feeding DecodeWav (directly or
// through Identity) gets a valid WAV with the node's desired samples and channels.
#include "graph/synthetic_inputs.h"

#include <algorithm>
#include <cmath>

#include "format/wav.h"
#include "graph/graph_builder.h"
#include "gtest/gtest.h"

namespace tfmodel {
namespace {

TEST(SyntheticWavTest, FollowsIdentityToDecodeWavAndUsesItsAttrs) {
  GraphBuilder b;
  b.Placeholder("wav_data", DType::kString, PartialShape{});
  b.Op("copy", "Identity", {"wav_data"}, {{"T", AttrType(DType::kString)}});
  b.Op("decode", "DecodeWav", {"copy"},
       {{"desired_samples", AttrI(100)}, {"desired_channels", AttrI(2)}});
  b.Placeholder("other", DType::kString, PartialShape{});
  auto wav = SyntheticWav(b.graph(), "wav_data:0");
  ASSERT_TRUE(wav.ok()) << wav.status();
  auto audio = DecodeWav16(*wav);
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_EQ(audio->frames, 100u);
  EXPECT_EQ(audio->channels, 2);
  EXPECT_EQ(audio->sample_rate, 16000u);
  float peak = 0;
  for (float v : audio->samples) peak = std::max(peak, std::abs(v));
  EXPECT_GT(peak, 0.1f);
  EXPECT_LT(peak, 1.0f);
  EXPECT_EQ(SyntheticWav(b.graph(), "other:0").status().code(), absl::StatusCode::kNotFound);
}

TEST(SyntheticWavTest, DefaultsToOneSecondMono) {
  GraphBuilder b;
  b.Placeholder("wav_data", DType::kString, PartialShape{});
  b.Op("decode", "DecodeWav", {"wav_data"}, {{"desired_samples", AttrI(-1)}});
  auto wav = SyntheticWav(b.graph(), "wav_data");
  ASSERT_TRUE(wav.ok()) << wav.status();
  auto audio = DecodeWav16(*wav);
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_EQ(audio->frames, 16000u);
  EXPECT_EQ(audio->channels, 1);
}

}  // namespace
}  // namespace tfmodel
