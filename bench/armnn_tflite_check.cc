// Independent-reader check (not a test): loads a .tflite file with Arm NN's TfLiteParser,
// runs it on the CpuRef backend and compares the outputs with tfmodel's own TFLite
// interpreter on the same input.
//
//   armnn_tflite_check model.tflite input.npy [more inputs.npy...]
//
// Inputs are given in the order of the model's subgraph inputs. Prints, per output, the
// max |ArmNN - tfmodel| / max |tfmodel|. Exit code 0 when every output agrees to 1e-5.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "armnn/ArmNN.hpp"
#include "armnnTfLiteParser/ITfLiteParser.hpp"
#include "format/npy.h"
#include "format/tflite.h"
#include "tflite/model.h"

#ifndef TFMODEL_ARMNN_BACKENDS
#define TFMODEL_ARMNN_BACKENDS "/usr/lib/x86_64-linux-gnu/armnn22"
#endif

int main(int argc, char** argv) {
  using namespace tfmodel;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s model.tflite input.npy [input2.npy ...]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  std::vector<Tensor> inputs;
  for (int i = 2; i < argc; ++i) {
    auto t = ReadNpy(argv[i]);
    if (!t.ok()) {
      std::fprintf(stderr, "%s\n", std::string(t.status().message()).c_str());
      return 1;
    }
    inputs.push_back(*t);
  }
  // tfmodel's answer, by tensor names of the subgraph inputs / outputs.
  auto file = TfLiteFile::Read(path);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", std::string(file.status().message()).c_str());
    return 1;
  }
  const auto& sg = *(*file)->model().subgraphs()->Get(0);
  std::vector<std::string> in_names, out_names;
  for (int32_t t : *sg.inputs()) in_names.push_back(sg.tensors()->Get(t)->name()->str());
  for (int32_t t : *sg.outputs()) out_names.push_back(sg.tensors()->Get(t)->name()->str());
  if (in_names.size() != inputs.size()) {
    std::fprintf(stderr, "the model has %zu inputs, %zu .npy files given\n", in_names.size(),
                 inputs.size());
    return 2;
  }
  auto model = tflite::LoadTfLiteModel(std::move(*file));
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) feeds.emplace_back(in_names[i], inputs[i]);
  auto ours = (*model)->Run(feeds, out_names);
  if (!ours.ok()) {
    std::fprintf(stderr, "tfmodel: %s\n", std::string(ours.status().message()).c_str());
    return 1;
  }

  // Arm NN.
  try {
    auto parser = armnnTfLiteParser::ITfLiteParser::Create();
    armnn::INetworkPtr net = parser->CreateNetworkFromBinaryFile(path.c_str());
    armnn::IRuntime::CreationOptions ro;
    ro.m_DynamicBackendsPath = TFMODEL_ARMNN_BACKENDS;
    armnn::IRuntimePtr rt = armnn::IRuntime::Create(ro);
    armnn::IOptimizedNetworkPtr opt =
        armnn::Optimize(*net, {armnn::BackendId("CpuRef")}, rt->GetDeviceSpec());
    armnn::NetworkId id;
    if (rt->LoadNetwork(id, std::move(opt)) != armnn::Status::Success) {
      std::fprintf(stderr, "ArmNN: LoadNetwork failed\n");
      return 1;
    }
    armnn::InputTensors in;
    const auto arm_in = parser->GetSubgraphInputTensorNames(0);
    const auto arm_out = parser->GetSubgraphOutputTensorNames(0);
    for (size_t i = 0; i < arm_in.size(); ++i) {
      auto b = parser->GetNetworkInputBindingInfo(0, arm_in[i]);
      if (b.second.GetNumElements() != static_cast<unsigned>(inputs[i].NumElements())) {
        std::fprintf(stderr, "ArmNN input %s wants %u elements, input has %lld\n",
                     arm_in[i].c_str(), b.second.GetNumElements(),
                     static_cast<long long>(inputs[i].NumElements()));
        return 1;
      }
      in.emplace_back(b.first, armnn::ConstTensor(b.second, inputs[i].raw_data()));
    }
    std::vector<std::vector<float>> out_data(arm_out.size());
    armnn::OutputTensors out;
    for (size_t i = 0; i < arm_out.size(); ++i) {
      auto b = parser->GetNetworkOutputBindingInfo(0, arm_out[i]);
      out_data[i].resize(b.second.GetNumElements());
      out.emplace_back(b.first, armnn::Tensor(b.second, out_data[i].data()));
    }
    if (rt->EnqueueWorkload(id, in, out) != armnn::Status::Success) {
      std::fprintf(stderr, "ArmNN: EnqueueWorkload failed\n");
      return 1;
    }
    bool ok = true;
    for (size_t i = 0; i < arm_out.size() && i < ours->size(); ++i) {
      const Tensor& t = (*ours)[i];
      double max_ref = 0, max_err = 0;
      for (int64_t k = 0; k < t.NumElements() && k < static_cast<int64_t>(out_data[i].size());
           ++k) {
        max_ref = std::max(max_ref, std::abs(double(t.data<float>()[k])));
        max_err = std::max(max_err, std::abs(double(t.data<float>()[k]) - out_data[i][k]));
      }
      const double rel = max_ref > 0 ? max_err / max_ref : max_err;
      std::printf("%s: output %s: %zu values, max |armnn - tfmodel| / max |tfmodel| = %.3g\n",
                  path.c_str(), arm_out[i].c_str(), out_data[i].size(), rel);
      ok = ok && rel <= 1e-5 && static_cast<int64_t>(out_data[i].size()) == t.NumElements();
    }
    return ok ? 0 : 1;
  } catch (const armnn::Exception& e) {
    std::fprintf(stderr, "ArmNN: %s\n", e.what());
    return 1;
  }
}
