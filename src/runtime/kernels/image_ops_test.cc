// Tests for the image decoding kernels. Images are encoded here with libjpeg / libpng, then
// decoded by the kernels and compared exactly with a direct libjpeg decode using the same
// settings (or with the known pixels for lossless formats).
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image_test_util.h"
#include "kernel_test_util.h"
#include "test_util.h"

namespace tfmodel::runtime {
namespace {

using testing::AttrB;
using testing::AttrF;
using testing::AttrI;
using testing::Attrs;
using testing::AttrS;
using testing::AttrType;
using testing::ExpectTensorEq;
using ::testing::HasSubstr;
using testing::RunKernel;

// A deterministic test picture: h x w x c bytes.
std::vector<uint8_t> Picture(int h, int w, int c) {
  std::vector<uint8_t> p(static_cast<size_t>(h) * w * c);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int k = 0; k < c; ++k) {
        p[(static_cast<size_t>(y) * w + x) * c + k] =
            static_cast<uint8_t>((x * 37 + y * 23 + k * 71 + (x * y) % 17 * 5) & 0xff);
      }
    }
  }
  return p;
}

using testing::EncodeJpeg;

// Direct libjpeg decode with explicit settings (valid input only).
Tensor ReferenceJpeg(const std::string& data, J_COLOR_SPACE space, J_DCT_METHOD dct, bool fancy,
                     int ratio) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = space;
  cinfo.dct_method = dct;
  cinfo.do_fancy_upsampling = fancy ? TRUE : FALSE;
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned int>(ratio);
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(cinfo.output_height);
  const int c = cinfo.output_components;
  Tensor t(DType::kUInt8, TensorShape{h, w, c});
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = t.data<uint8_t>() + static_cast<size_t>(cinfo.output_scanline) * w * c;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return t;
}

// TensorFlow's DecodeAndCropJpeg path with libjpeg-turbo: jpeg_crop_scanline widens the
// window left to an iMCU boundary, jpeg_skip_scanlines skips the rows above it.
Tensor ReferenceCrop(const std::string& data, int y, int x, int h, int w) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);
  JDIMENSION cx = static_cast<JDIMENSION>(x), cw = static_cast<JDIMENSION>(w);
  jpeg_crop_scanline(&cinfo, &cx, &cw);
  EXPECT_EQ(jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(y)), static_cast<JDIMENSION>(y));
  std::vector<unsigned char> row(static_cast<size_t>(cinfo.output_width) * 3);
  Tensor t(DType::kUInt8, TensorShape{h, w, 3});
  const int left = static_cast<int>(cinfo.output_width) - w;
  for (int r = 0; r < h; ++r) {
    JSAMPROW p = row.data();
    EXPECT_EQ(jpeg_read_scanlines(&cinfo, &p, 1), 1u);
    std::memcpy(t.data<uint8_t>() + static_cast<size_t>(r) * w * 3, row.data() + left * 3,
                static_cast<size_t>(w) * 3);
  }
  jpeg_skip_scanlines(&cinfo, cinfo.output_height - cinfo.output_scanline);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return t;
}

std::string EncodePng(const std::vector<uint8_t>& bytes, int h, int w, int color_type,
                      int bit_depth) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      [](png_structp) {});
  png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), bit_depth,
               color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = bytes.size() / static_cast<size_t>(h);
  for (int y = 0; y < h; ++y) {
    png_write_row(png, const_cast<png_bytep>(&bytes[static_cast<size_t>(y) * row_bytes]));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Tensor U8(const std::vector<uint8_t>& v, int h, int w, int c) {
  Tensor t(DType::kUInt8, TensorShape{h, w, c});
  std::memcpy(t.data<uint8_t>(), v.data(), v.size());
  return t;
}

Attrs JpegAttrs(int channels = 3, int ratio = 1, bool fancy = true, const std::string& dct = "") {
  return {{"channels", AttrI(channels)},        {"ratio", AttrI(ratio)},
          {"fancy_upscaling", AttrB(fancy)},    {"try_recover_truncated", AttrB(false)},
          {"acceptable_fraction", AttrF(1.0f)}, {"dct_method", AttrS(dct)}};
}

std::vector<Tensor> RunOk(const std::string& op, const std::vector<Tensor>& in,
                          const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<Tensor>(2);
}

std::string Err(const std::string& op, const std::vector<Tensor>& in, const Attrs& a = {}) {
  auto r = RunKernel(op, in, a);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : std::string(r.status().message());
}

class JpegTest : public ::testing::Test {
 protected:
  // 4:2:0 subsampled colour JPEG (odd size so upsampling edges matter).
  std::string rgb_ = EncodeJpeg(Picture(21, 30, 3), 21, 30, 3);
  std::string gray_ = EncodeJpeg(Picture(9, 13, 1), 9, 13, 1);
};

TEST_F(JpegTest, DefaultsMatchLibjpegIfastFancy) {
  auto out = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs());
  ExpectTensorEq(out[0], ReferenceJpeg(rgb_, JCS_RGB, JDCT_IFAST, true, 1));
  EXPECT_EQ(out[0].shape(), (TensorShape{21, 30, 3}));
  // "" and INTEGER_FAST are the same method.
  auto fast =
      RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 1, true, "INTEGER_FAST"));
  ExpectTensorEq(fast[0], out[0]);
}

TEST_F(JpegTest, AccurateDctNoFancyRatioAndGray) {
  auto acc =
      RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 1, true, "INTEGER_ACCURATE"));
  ExpectTensorEq(acc[0], ReferenceJpeg(rgb_, JCS_RGB, JDCT_ISLOW, true, 1));
  auto plain = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 1, false));
  ExpectTensorEq(plain[0], ReferenceJpeg(rgb_, JCS_RGB, JDCT_IFAST, false, 1));
  for (int ratio : {2, 4, 8}) {
    auto r = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, ratio));
    ExpectTensorEq(r[0], ReferenceJpeg(rgb_, JCS_RGB, JDCT_IFAST, true, ratio));
  }
  auto r2 = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 2));
  EXPECT_EQ(r2[0].shape(), (TensorShape{11, 15, 3}));  // ceil(21/2), ceil(30/2)
  // Colour image to 1 channel.
  auto g = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(1));
  ExpectTensorEq(g[0], ReferenceJpeg(rgb_, JCS_GRAYSCALE, JDCT_IFAST, true, 1));
  // channels=0 keeps the file's channel count; a gray file to 3 channels replicates.
  auto g0 = RunOk("DecodeJpeg", {Tensor::StringScalar(gray_)}, JpegAttrs(0));
  EXPECT_EQ(g0[0].shape(), (TensorShape{9, 13, 1}));
  ExpectTensorEq(g0[0], ReferenceJpeg(gray_, JCS_GRAYSCALE, JDCT_IFAST, true, 1));
  auto g3 = RunOk("DecodeJpeg", {Tensor::StringScalar(gray_)}, JpegAttrs(3));
  ExpectTensorEq(g3[0], ReferenceJpeg(gray_, JCS_RGB, JDCT_IFAST, true, 1));
  for (int64_t i = 0; i < 9 * 13; ++i) {
    EXPECT_EQ(g3[0].data<uint8_t>()[3 * i], g0[0].data<uint8_t>()[i]);
    EXPECT_EQ(g3[0].data<uint8_t>()[3 * i + 2], g0[0].data<uint8_t>()[i]);
  }
}

TEST_F(JpegTest, BadInput) {
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar("hello, not an image")}, JpegAttrs()),
              HasSubstr("Unknown image file format"));
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar("")}, JpegAttrs()),
              HasSubstr("Input is empty."));
  // JPEG signature followed by garbage.
  std::string junk = std::string("\xff\xd8\xff\xe0", 4) + std::string(40, '\x07');
  std::string e = Err("DecodeJpeg", {Tensor::StringScalar(junk)}, JpegAttrs());
  EXPECT_THAT(e, HasSubstr("node 'k' (DecodeJpeg): Invalid JPEG data, size 44"));
  // Truncated: fails by default...
  std::string half = rgb_.substr(0, rgb_.size() / 2);
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar(half)}, JpegAttrs()),
              HasSubstr("Invalid JPEG data"));
  // ...and decodes to the full size with try_recover_truncated.
  Attrs rec = JpegAttrs();
  rec["try_recover_truncated"] = AttrB(true);
  rec["acceptable_fraction"] = AttrF(0.0f);
  auto r = RunOk("DecodeJpeg", {Tensor::StringScalar(half)}, rec);
  EXPECT_EQ(r[0].shape(), (TensorShape{21, 30, 3}));
  // Not a scalar.
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::FromVector<std::string>({rgb_})}, JpegAttrs()),
              HasSubstr("contents must be a string scalar"));
  // Attr checks at kernel build.
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 3)),
              HasSubstr("ratio must be 1, 2, 4, or 8, got 3"));
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(3, 1, true, "FLOAT")),
              HasSubstr("dct_method must be one of"));
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(2)),
              HasSubstr("`channels` must be 0, 1, 3 or 4"));
  EXPECT_THAT(Err("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs(4)),
              HasSubstr("JPEG does not support 4 channels"));
}

TEST_F(JpegTest, CropShapeAndDecodeImage) {
  auto full = RunOk("DecodeJpeg", {Tensor::StringScalar(rgb_)}, JpegAttrs());
  auto crop =
      RunOk("DecodeAndCropJpeg",
            {Tensor::StringScalar(rgb_), Tensor::FromVector<int32_t>({2, 5, 7, 11})}, JpegAttrs());
  ASSERT_EQ(crop[0].shape(), (TensorShape{7, 11, 3}));
  ExpectTensorEq(crop[0], ReferenceCrop(rgb_, 2, 5, 7, 11));
  // libjpeg-turbo's partial decode is close to, not always equal to, cropping a full decode
  // (upsampling at the widened window's edge); TensorFlow returns the partial decode.
  int max_diff = 0;
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 11; ++x) {
      for (int k = 0; k < 3; ++k) {
        const int a = crop[0].data<uint8_t>()[(y * 11 + x) * 3 + k];
        const int b = full[0].data<uint8_t>()[((y + 2) * 30 + x + 5) * 3 + k];
        max_diff = std::max(max_diff, std::abs(a - b));
      }
    }
  }
  EXPECT_LE(max_diff, 64) << "the crop is not the same region as the full decode";
  // An iMCU-aligned window at the origin.
  auto origin =
      RunOk("DecodeAndCropJpeg",
            {Tensor::StringScalar(rgb_), Tensor::FromVector<int32_t>({0, 0, 21, 16})}, JpegAttrs());
  ExpectTensorEq(origin[0], ReferenceCrop(rgb_, 0, 0, 21, 16));
  EXPECT_THAT(
      Err("DecodeAndCropJpeg",
          {Tensor::StringScalar(rgb_), Tensor::FromVector<int32_t>({20, 0, 5, 5})}, JpegAttrs()),
      HasSubstr("crop window"));

  auto shape = RunOk("ExtractJpegShape", {Tensor::StringScalar(rgb_)},
                     {{"output_type", AttrType(DType::kInt64)}});
  ExpectTensorEq(shape[0], Tensor::FromVector<int64_t>({21, 30, 3}));
  auto gshape = RunOk("ExtractJpegShape", {Tensor::StringScalar(gray_)},
                      {{"output_type", AttrType(DType::kInt32)}});
  ExpectTensorEq(gshape[0], Tensor::FromVector<int32_t>({9, 13, 1}));
  EXPECT_THAT(Err("ExtractJpegShape", {Tensor::StringScalar("xyz")},
                  {{"output_type", AttrType(DType::kInt32)}}),
              HasSubstr("Invalid JPEG data, size 3"));

  // DecodeImage uses TF's default JPEG settings; float output is u8 / 255.
  auto f = RunOk("DecodeImage", {Tensor::StringScalar(rgb_)},
                 {{"channels", AttrI(3)},
                  {"dtype", AttrType(DType::kFloat)},
                  {"expand_animations", AttrB(true)}});
  ASSERT_EQ(f[0].shape(), full[0].shape());
  for (int64_t i = 0; i < f[0].NumElements(); ++i) {
    ASSERT_FLOAT_EQ(f[0].data<float>()[i], full[0].data<uint8_t>()[i] * (1.0f / 255.0f));
  }
  // DecodeBmp refuses JPEG data.
  EXPECT_THAT(Err("DecodeBmp", {Tensor::StringScalar(rgb_)}, {{"channels", AttrI(0)}}),
              HasSubstr("Trying to decode JPEG format using DecodeBmp op"));
}

// 4-channel (CMYK, Adobe marker) JPEGs decode to RGB as TensorFlow converts them:
// r = k * c / 255 with the Adobe (inverted) convention.
TEST(JpegCmykTest, ConvertsToRgb) {
  const int h = 8, w = 10;
  // libjpeg's default quality (75).
  const std::string data = EncodeJpeg(Picture(h, w, 4), h, w, 4, 75);

  Tensor cmyk = ReferenceJpeg(data, JCS_CMYK, JDCT_IFAST, true, 1);
  ASSERT_EQ(cmyk.shape(), (TensorShape{h, w, 4}));
  Tensor want(DType::kUInt8, TensorShape{h, w, 3});
  for (int i = 0; i < h * w; ++i) {
    const int k = cmyk.data<uint8_t>()[4 * i + 3];
    for (int ch = 0; ch < 3; ++ch) {
      want.data<uint8_t>()[3 * i + ch] =
          static_cast<uint8_t>(k * cmyk.data<uint8_t>()[4 * i + ch] / 255);
    }
  }
  for (int channels : {0, 3}) {
    auto out = RunOk("DecodeJpeg", {Tensor::StringScalar(data)}, JpegAttrs(channels));
    ExpectTensorEq(out[0], want);
  }
}

Attrs PngAttrs(int channels, DType dtype = DType::kUInt8) {
  return {{"channels", AttrI(channels)}, {"dtype", AttrType(dtype)}};
}

TEST(PngTest, EightBitChannelsAndWidening) {
  const int h = 4, w = 5;
  std::vector<uint8_t> rgba = Picture(h, w, 4);
  std::string png = EncodePng(rgba, h, w, PNG_COLOR_TYPE_RGB_ALPHA, 8);
  auto out = RunOk("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(0));
  ExpectTensorEq(out[0], U8(rgba, h, w, 4));
  // 3 channels strips alpha.
  auto rgb = RunOk("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(3));
  ASSERT_EQ(rgb[0].shape(), (TensorShape{h, w, 3}));
  for (int i = 0; i < h * w; ++i) {
    for (int k = 0; k < 3; ++k) EXPECT_EQ(rgb[0].data<uint8_t>()[3 * i + k], rgba[4 * i + k]);
  }
  // uint16 widens 8-bit samples as v * 257.
  auto wide = RunOk("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(4, DType::kUInt16));
  for (int i = 0; i < h * w * 4; ++i) {
    EXPECT_EQ(wide[0].data<uint16_t>()[i], rgba[i] * 257);
  }
  // Gray PNG: channels 0 keeps 1 channel, 3 replicates, 4 adds opaque alpha.
  std::vector<uint8_t> gray = Picture(h, w, 1);
  std::string gpng = EncodePng(gray, h, w, PNG_COLOR_TYPE_GRAY, 8);
  ExpectTensorEq(RunOk("DecodePng", {Tensor::StringScalar(gpng)}, PngAttrs(0))[0],
                 U8(gray, h, w, 1));
  auto g4 = RunOk("DecodePng", {Tensor::StringScalar(gpng)}, PngAttrs(4));
  for (int i = 0; i < h * w; ++i) {
    EXPECT_EQ(g4[0].data<uint8_t>()[4 * i], gray[i]);
    EXPECT_EQ(g4[0].data<uint8_t>()[4 * i + 1], gray[i]);
    EXPECT_EQ(g4[0].data<uint8_t>()[4 * i + 3], 255);
  }
}

TEST(PngTest, PaletteWithTransparency) {
  // 2x2 palette image: entries 0..2, entry 1 half transparent.
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      [](png_structp) {});
  png_set_IHDR(png, info, 2, 2, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[3] = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}};
  png_set_PLTE(png, info, palette, 3);
  png_byte trans[2] = {255, 128};
  png_set_tRNS(png, info, trans, 2, nullptr);
  png_write_info(png, info);
  png_byte rows[2][2] = {{0, 1}, {2, 1}};
  png_write_row(png, rows[0]);
  png_write_row(png, rows[1]);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);

  auto rgba = RunOk("DecodePng", {Tensor::StringScalar(out)}, PngAttrs(0));
  ExpectTensorEq(rgba[0],
                 U8({10, 20, 30, 255, 40, 50, 60, 128, 70, 80, 90, 255, 40, 50, 60, 128}, 2, 2, 4));
  auto rgb = RunOk("DecodePng", {Tensor::StringScalar(out)}, PngAttrs(3));
  ExpectTensorEq(rgb[0], U8({10, 20, 30, 40, 50, 60, 70, 80, 90, 40, 50, 60}, 2, 2, 3));
}

TEST(PngTest, SixteenBitAndErrors) {
  const int h = 3, w = 2;
  // 16-bit gray, big-endian in the file.
  std::vector<uint16_t> vals = {0, 1, 255, 256, 40000, 65535};
  std::vector<uint8_t> be;
  for (uint16_t v : vals) {
    be.push_back(static_cast<uint8_t>(v >> 8));
    be.push_back(static_cast<uint8_t>(v & 0xff));
  }
  std::string png = EncodePng(be, h, w, PNG_COLOR_TYPE_GRAY, 16);
  auto wide = RunOk("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(1, DType::kUInt16));
  Tensor want(DType::kUInt16, TensorShape{h, w, 1});
  for (int i = 0; i < 6; ++i) want.data<uint16_t>()[i] = vals[i];
  ExpectTensorEq(wide[0], want);
  // To uint8: the low byte is stripped.
  auto narrow = RunOk("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(1));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(narrow[0].data<uint8_t>()[i], vals[i] >> 8);
  // DecodeImage float: v / 65535.
  auto f = RunOk("DecodeImage", {Tensor::StringScalar(png)},
                 {{"channels", AttrI(1)},
                  {"dtype", AttrType(DType::kFloat)},
                  {"expand_animations", AttrB(true)}});
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(f[0].data<float>()[i], vals[i] / 65535.0f);

  EXPECT_THAT(Err("DecodePng", {Tensor::StringScalar(png.substr(0, png.size() - 20))}, PngAttrs(1)),
              HasSubstr("node 'k' (DecodePng): Invalid PNG data"));
  EXPECT_THAT(Err("DecodePng", {Tensor::StringScalar(png.substr(0, 12))}, PngAttrs(1)),
              HasSubstr("Invalid PNG data, size 12"));
  EXPECT_THAT(Err("DecodePng", {Tensor::StringScalar(png)}, PngAttrs(1, DType::kFloat)),
              HasSubstr("`dtype` for `DecodePng` must be uint8 or uint16"));
  EXPECT_THAT(Err("DecodePng", {Tensor::StringScalar("GIF89a....")}, PngAttrs(0)),
              HasSubstr("GIF images are not supported"));
}

TEST(BmpTest, BottomUpBgr) {
  // 2x2 24-bit BMP, rows bottom-up, each row padded to 8 bytes.
  std::string bmp(54, '\0');
  bmp[0] = 'B';
  bmp[1] = 'M';
  bmp[10] = 54;  // pixel data offset
  bmp[14] = 40;  // info header size
  bmp[18] = 2;   // width
  bmp[22] = 2;   // height (positive: bottom-up)
  bmp[26] = 1;   // planes
  bmp[28] = 24;  // bpp
  // Bottom row (image row 1): (B,G,R) = (1,2,3), (4,5,6); top row: (7,8,9), (10,11,12).
  const char rows[] = {1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0};
  bmp.append(rows, sizeof(rows));
  auto out = RunOk("DecodeBmp", {Tensor::StringScalar(bmp)}, {{"channels", AttrI(0)}});
  Tensor want(DType::kUInt8, TensorShape{2, 2, 3});
  const uint8_t expect[] = {9, 8, 7, 12, 11, 10, 3, 2, 1, 6, 5, 4};
  std::memcpy(want.data<uint8_t>(), expect, sizeof(expect));
  ExpectTensorEq(out[0], want);
  EXPECT_THAT(Err("DecodeBmp", {Tensor::StringScalar(bmp.substr(0, bmp.size() - 1))},
                  {{"channels", AttrI(0)}}),
              HasSubstr("Input size should match (header_size + row_size * abs_height) but "
                        "they differ by -1"));
}

}  // namespace
}  // namespace tfmodel::runtime
