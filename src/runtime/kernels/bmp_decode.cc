// BMP decoding for DecodeBmp / DecodeImage (image_decode.h), following TensorFlow's
// decode_bmp_op.cc: uncompressed images, bottom-up or top-down rows.
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/kernels/image_decode.h"

namespace tfmodel::runtime::image_decode {
namespace {

uint32_t ReadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

absl::StatusOr<Tensor> DecodeBmpBytes(KernelContext* ctx, absl::string_view data, int channels) {
  if (channels == 1) {
    return ctx->Error(absl::StrCat("`channels` must be 0, 3 or 4 for BMP, but got ", channels));
  }
  if (data.size() < 32) {
    return ctx->Error(absl::StrCat(
        "Incomplete bmp content, requires at least 32 bytes to find the header size, width, "
        "height, and bpp, got ",
        data.size(), " bytes"));
  }
  const uint8_t* b = reinterpret_cast<const uint8_t*>(data.data());
  const int32_t header_size = static_cast<int32_t>(ReadLe32(b + 10));
  const int32_t width = static_cast<int32_t>(ReadLe32(b + 18));
  const int32_t height = static_cast<int32_t>(ReadLe32(b + 22));
  const int bpp = static_cast<int>(b[28]) | (static_cast<int>(b[29]) << 8);
  const int img_channels = bpp / 8;
  if (img_channels != 1 && img_channels != 3 && img_channels != 4) {
    return ctx->Error(absl::StrCat(
        "Number of channels inherent in the image must be 1, 3 or 4, was ", img_channels));
  }
  if (width <= 0) return ctx->Error("Width must be positive");
  if (height == 0 || height == std::numeric_limits<int32_t>::min()) {
    return ctx->Error("Height must be nonzero");
  }
  if (header_size < 0) return ctx->Error("header size must be nonnegative");
  const int64_t abs_height = height < 0 ? -static_cast<int64_t>(height) : height;
  if (static_cast<int64_t>(width) * abs_height >= std::numeric_limits<int32_t>::max() / 8) {
    return ctx->Error("Total possible pixel bytes must be less than 2^30");
  }
  const int64_t row_size = (static_cast<int64_t>(img_channels) * width + 3) / 4 * 4;
  const int64_t diff = static_cast<int64_t>(data.size()) - header_size - row_size * abs_height;
  if (diff != 0) {
    return ctx->Error(absl::StrCat(
        "Input size should match (header_size + row_size * abs_height) but they differ by ", diff));
  }
  const int out_c = channels == 0 ? img_channels : channels;
  Tensor out = Tensor::Empty(DType::kUInt8, TensorShape{abs_height, width, out_c});
  uint8_t* o = out.data<uint8_t>();
  const uint8_t* pix = b + header_size;
  const bool top_down = height < 0;
  for (int64_t y = 0; y < abs_height; ++y) {
    const uint8_t* src = pix + (top_down ? y : abs_height - 1 - y) * row_size;
    for (int64_t x = 0; x < width; ++x) {
      const uint8_t* s = src + x * img_channels;
      uint8_t* d = o + (y * width + x) * out_c;
      // BMP stores BGR(A); gray replicates.
      uint8_t r, g, bl, a = 255;
      if (img_channels == 1) {
        r = g = bl = s[0];
      } else {
        bl = s[0];
        g = s[1];
        r = s[2];
        if (img_channels == 4) a = s[3];
      }
      d[0] = r;
      if (out_c >= 3) {
        d[1] = g;
        d[2] = bl;
      }
      if (out_c == 4) d[3] = a;
    }
  }
  return out;
}

}  // namespace tfmodel::runtime::image_decode
