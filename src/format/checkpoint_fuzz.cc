// libFuzzer target for the checkpoint readers. Not part of the library (the _fuzz.cc suffix
// keeps it out) and not run in CI: build and run with scripts/fuzz.sh.
//
// The first input byte picks what the rest becomes:
//   0: the .index of a V2 bundle whose data shard is a valid one written at start-up
//   1: the data shard under a valid index (so decoding, bounds and checksums are exercised)
//   2: both: a 2-byte little-endian index length, the index, then the data shard
//   3: a V1 SavedTensorSlices file
// then every tensor is read whole and as a slice. (TensorProto decoding has its own target,
// tensor_proto_fuzz.cc.)
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/file_util.h"
#include "core/fuzz_util.h"
#include "format/checkpoint.h"

namespace {

using tfmodel::CheckpointReader;
using tfmodel::CheckpointWriter;
using tfmodel::DType;
using tfmodel::Tensor;
using tfmodel::TensorShape;

void WriteRaw(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

struct Fixture {
  std::string dir;
  std::string index;  // a valid index and data shard, for the modes that fuzz only one
  std::string data;
  Fixture() {
    char tmpl[] = "/tmp/tfm_ckpt_fuzz_XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    dir = tmpl;
    const std::string prefix = dir + "/seed";
    CheckpointWriter w(prefix);
    Tensor s(DType::kString, TensorShape{3});
    s.data<std::string>()[0] = "a";
    s.data<std::string>()[2] = std::string(130, 'z');
    (void)w.Add("f", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3}));
    (void)w.Add("s", s);
    (void)w.Add("i", Tensor::Scalar<int64_t>(7));
    (void)w.AddSlice("p", "4 2 0,2:-", Tensor::FromVector<double>({1, 2, 3, 4}, {2, 2}));
    (void)w.AddSlice("p", "4 2 2,2:-", Tensor::FromVector<double>({5, 6, 7, 8}, {2, 2}));
    if (!w.Finish().ok()) std::abort();
    index = *tfmodel::ReadFileToString(prefix + ".index");
    data = *tfmodel::ReadFileToString(prefix + ".data-00000-of-00001");
  }
};

void ReadEverything(const std::string& path) {
  auto r = CheckpointReader::Open(path);
  if (!r.ok()) return;
  for (const auto& e : (*r)->entries()) {
    auto t = (*r)->Read(e.name);
    if (t.ok() && t->valid() && t->NumElements() > 0 && DTypeIsPod(t->dtype())) {
      // Touch the bytes so ASan sees any out-of-bounds view.
      volatile uint8_t sink = static_cast<const uint8_t*>(t->raw_data())[t->TotalBytes() - 1];
      (void)sink;
    }
    if (e.shape.rank() > 0 && e.shape.dim(0) > 1) {
      std::string spec;
      for (int d = 0; d < e.shape.rank(); ++d) spec += std::to_string(e.shape.dim(d)) + " ";
      spec += "1," + std::to_string(e.shape.dim(0) - 1);
      for (int d = 1; d < e.shape.rank(); ++d) spec += ":-";
      (void)(*r)->ReadSlice(e.name, spec);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  static Fixture* fx = new Fixture();
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 4;
  ++data;
  --size;
  const std::string prefix = fx->dir + "/ckpt";
  const std::string index_path = prefix + ".index";
  const std::string data_path = prefix + ".data-00000-of-00001";
  switch (mode) {
    case 0:
      WriteRaw(index_path, data, size);
      WriteRaw(data_path, reinterpret_cast<const uint8_t*>(fx->data.data()), fx->data.size());
      break;
    case 1:
      WriteRaw(index_path, reinterpret_cast<const uint8_t*>(fx->index.data()), fx->index.size());
      WriteRaw(data_path, data, size);
      break;
    case 2: {
      if (size < 2) return 0;
      size_t n = std::min<size_t>(data[0] | (data[1] << 8), size - 2);
      WriteRaw(index_path, data + 2, n);
      WriteRaw(data_path, data + 2 + n, size - 2 - n);
      break;
    }
    default: {
      const std::string v1 = fx->dir + "/v1";
      WriteRaw(v1, data, size);
      ReadEverything(v1);
      return 0;
    }
  }
  ReadEverything(prefix);
  return 0;
}
