// EncodeJpeg, EncodeJpegVariableQuality and EncodePng with libjpeg-turbo / libpng, using
// the settings TF's encoders pass (tensorflow/core/lib/jpeg/jpeg_mem.cc, lib/png):
// JPEG quality via jpeg_set_quality(q, force_baseline), optional progressive / optimized
// Huffman tables, JFIF density, chroma subsampling switch and an XMP APP1 marker; PNG 8- or
// 16-bit (big-endian samples) grey / grey+alpha / RGB / RGBA at a zlib level.
//
// Both libraries report errors by longjmp from a callback: the setjmp functions below keep
// only trivially destructible locals, and every C++ object lives in the caller's frame.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include <csetjmp>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

struct JpegOptions {
  int quality = 95;
  bool progressive = false;
  bool optimize_size = false;
  bool chroma_downsampling = true;
  int density_unit = 1;  // 1 = dots per inch, 2 = per cm
  int x_density = 300, y_density = 300;
  std::string xmp;
};

struct JpegError {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

struct JpegJob {
  const uint8_t* pixels = nullptr;
  int height = 0, width = 0, components = 0;
  const JpegOptions* options = nullptr;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;  // NOLINT(runtime/int): libjpeg's type
  JpegError err{};
};

// Returns true on success; on failure job->err.message says why.
bool JpegCompressLow(JpegJob* job) {
  jpeg_compress_struct cinfo;
  cinfo.err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegErrorExit;
  job->err.message[0] = '\0';
  if (setjmp(job->err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &job->buffer, &job->size);
  cinfo.image_width = static_cast<JDIMENSION>(job->width);
  cinfo.image_height = static_cast<JDIMENSION>(job->height);
  cinfo.input_components = job->components;
  cinfo.in_color_space = job->components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  const JpegOptions& o = *job->options;
  if (o.optimize_size) cinfo.optimize_coding = TRUE;
  cinfo.density_unit = static_cast<UINT8>(o.density_unit);
  cinfo.X_density = static_cast<UINT16>(o.x_density);
  cinfo.Y_density = static_cast<UINT16>(o.y_density);
  jpeg_set_quality(&cinfo, o.quality, TRUE);
  if (o.progressive) jpeg_simple_progression(&cinfo);
  if (!o.chroma_downsampling) {
    for (int i = 0; i < cinfo.num_components; ++i) {
      cinfo.comp_info[i].h_samp_factor = 1;
      cinfo.comp_info[i].v_samp_factor = 1;
    }
  }
  jpeg_start_compress(&cinfo, TRUE);
  if (!o.xmp.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(o.xmp.data()),
                      static_cast<unsigned int>(o.xmp.size()));
  }
  const size_t row_bytes = static_cast<size_t>(job->width) * job->components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(job->pixels + cinfo.next_scanline * row_bytes);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

absl::Status CheckImage(KernelContext* ctx, const Tensor& image, int max_channels) {
  if (image.rank() != 3) {
    return ctx->Error(absl::StrCat("image must be 3-dimensional, got ", ShapeStr(image)));
  }
  if (image.NumElements() >= (int64_t{1} << 31)) {
    return ctx->Error(absl::StrCat("image too large to encode: ", ShapeStr(image)));
  }
  if (image.dim(0) >= (int64_t{1} << 16) || image.dim(1) >= (int64_t{1} << 16)) {
    return ctx->Error(absl::StrCat("image dimensions must be below 65536: ", ShapeStr(image)));
  }
  const int64_t c = image.dim(2);
  if (c < 1 || c > max_channels) {
    return ctx->Error(
        absl::StrCat("image must have 1 to ", max_channels, " channels, got ", ShapeStr(image)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeEncodeJpeg(const KernelInit& init) {
  JpegOptions o;
  std::string format, density_unit = "in";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("format", &format));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("quality", &o.quality));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("progressive", &o.progressive));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("optimize_size", &o.optimize_size));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("chroma_downsampling", &o.chroma_downsampling));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("density_unit", &density_unit));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("x_density", &o.x_density));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("y_density", &o.y_density));
  std::string xmp;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("xmp_metadata", &xmp));
  if (format != "" && format != "grayscale" && format != "rgb") {
    return init.Error(absl::StrCat("format must be '', 'grayscale' or 'rgb', got '", format, "'"));
  }
  if (density_unit != "in" && density_unit != "cm") {
    return init.Error(absl::StrCat("density_unit must be 'in' or 'cm', got '", density_unit, "'"));
  }
  o.density_unit = density_unit == "in" ? 1 : 2;
  if (o.x_density < 0 || o.x_density > 65535 || o.y_density < 0 || o.y_density > 65535) {
    return init.Error("x_density and y_density must be in [0, 65535]");
  }
  if (!xmp.empty()) o.xmp = std::string("http://ns.adobe.com/xap/1.0/") + '\0' + xmp;
  const bool variable_quality = init.op() == "EncodeJpegVariableQuality";
  if (!variable_quality && (o.quality < 0 || o.quality > 100)) {
    return init.Error(absl::StrCat("quality must be in [0,100], got ", o.quality));
  }
  return MakeKernel([o, format, variable_quality](KernelContext* ctx) -> absl::Status {
    const Tensor& image = ctx->input(0);
    if (image.dtype() != DType::kUInt8) {
      return ctx->Error(absl::StrCat("image must be uint8, got ", DTypeName(image.dtype())));
    }
    TFM_RETURN_IF_ERROR(CheckImage(ctx, image, 3));
    const int64_t channels = image.dim(2);
    if (channels == 2 || (format == "grayscale" && channels != 1) ||
        (format == "rgb" && channels != 3)) {
      return ctx->Error(absl::StrCat("image must have ",
                                     format == "grayscale" ? "1 channel"
                                     : format == "rgb"     ? "3 channels"
                                                           : "1 or 3 channels",
                                     ", got ", ShapeStr(image)));
    }
    JpegOptions opts = o;
    if (variable_quality) {
      const Tensor& q = ctx->input(1);
      if (q.dtype() != DType::kInt32 || q.rank() != 0) {
        return ctx->Error(absl::StrCat("quality must be an int32 scalar, got ",
                                       DTypeName(q.dtype()), " ", ShapeStr(q)));
      }
      opts.quality = q.scalar<int32_t>();
      if (opts.quality < 0 || opts.quality > 100) {
        return ctx->Error(absl::StrCat("quality must be in [0,100], got ", opts.quality));
      }
    }
    JpegJob job;
    job.pixels = image.data<uint8_t>();
    job.height = static_cast<int>(image.dim(0));
    job.width = static_cast<int>(image.dim(1));
    job.components = static_cast<int>(channels);
    job.options = &opts;
    const bool ok = job.height > 0 && job.width > 0 && JpegCompressLow(&job);
    std::string bytes = ok ? std::string(reinterpret_cast<char*>(job.buffer), job.size) : "";
    std::free(job.buffer);
    if (!ok) {
      return ctx->Error(
          absl::StrCat("JPEG encoding failed for image ", ShapeStr(image), ": ",
                       job.height > 0 && job.width > 0 ? job.err.message : "empty image"));
    }
    ctx->set_output(0, Tensor::StringScalar(std::move(bytes)));
    return absl::OkStatus();
  });
}

struct PngJob {
  const uint8_t* pixels = nullptr;
  int height = 0, width = 0, channels = 0, bit_depth = 8, level = -1;
  std::string* out = nullptr;
  std::jmp_buf jump;
  char message[200] = {0};
};

void PngWrite(png_structp png, png_bytep data, png_size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  job->out->append(reinterpret_cast<const char*>(data), n);
}
void PngFlush(png_structp) {}
void PngError(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", msg);
  std::longjmp(job->jump, 1);
}
void PngWarning(png_structp, png_const_charp) {}

bool PngCompressLow(PngJob* job) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, PngError, PngWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(job->jump)) {
    png_destroy_write_struct(&png, info == nullptr ? nullptr : &info);
    return false;
  }
  png_set_write_fn(png, job, PngWrite, PngFlush);
  static const int kColorTypes[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                    PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, job->width, job->height, job->bit_depth, kColorTypes[job->channels - 1],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (job->level >= 0) png_set_compression_level(png, job->level);
  png_write_info(png, info);
  if (job->bit_depth == 16) png_set_swap(png);  // samples are little-endian in memory
  const size_t row = static_cast<size_t>(job->width) * job->channels * (job->bit_depth / 8);
  for (int y = 0; y < job->height; ++y) {
    png_write_row(png, const_cast<png_bytep>(job->pixels + y * row));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeEncodePng(const KernelInit& init) {
  int32_t level = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("compression", &level));
  if (level < -1 || level > 9) {
    return init.Error(absl::StrCat("compression should be in [-1,9], got ", level));
  }
  return MakeKernel([level](KernelContext* ctx) -> absl::Status {
    const Tensor& image = ctx->input(0);
    if (image.dtype() != DType::kUInt8 && image.dtype() != DType::kUInt16) {
      return ctx->Error(
          absl::StrCat("image must be uint8 or uint16, got ", DTypeName(image.dtype())));
    }
    TFM_RETURN_IF_ERROR(CheckImage(ctx, image, 4));
    std::string bytes;
    PngJob job;
    job.pixels = static_cast<const uint8_t*>(image.raw_data());
    job.height = static_cast<int>(image.dim(0));
    job.width = static_cast<int>(image.dim(1));
    job.channels = static_cast<int>(image.dim(2));
    job.bit_depth = image.dtype() == DType::kUInt16 ? 16 : 8;
    job.level = level;
    job.out = &bytes;
    if (job.height == 0 || job.width == 0) {
      return ctx->Error(absl::StrCat("PNG cannot hold an empty image: ", ShapeStr(image)));
    }
    if (!PngCompressLow(&job)) {
      return ctx->Error(absl::StrCat("PNG encoding failed: ", job.message));
    }
    ctx->set_output(0, Tensor::StringScalar(std::move(bytes)));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterImageEncodeKernels(KernelRegistry& r) {
  r.Register("EncodeJpeg", MakeEncodeJpeg);
  r.Register("EncodeJpegVariableQuality", MakeEncodeJpeg);
  r.Register("EncodePng", MakeEncodePng);
}

}  // namespace tfmodel::runtime
