// gRPC load client for `tfmodel serve` (bench/serve/run.sh): N connections (one channel and
// one thread each, blocking Predict calls back to back) for a fixed time; prints
//   RESULT rps=<requests/s> p50_us=<..> p99_us=<..> errors=<n> requests=<n>
// Every answer is checked against half_plus_two (y = 0.5 x + 2); a wrong one is an error.
//   grpc_load --target=127.0.0.1:8500 --model=half_plus_two --connections=16 --seconds=10
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace {

bool Flag(const std::string& arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:8500", model = "half_plus_two", v;
  int connections = 1;
  double seconds = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (Flag(a, "target", &v)) {
      target = v;
    } else if (Flag(a, "model", &v)) {
      model = v;
    } else if (Flag(a, "connections", &v)) {
      connections = std::max(1, std::atoi(v.c_str()));
    } else if (Flag(a, "seconds", &v)) {
      seconds = std::atof(v.c_str());
    } else {
      std::fprintf(stderr, "grpc_load: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  tensorflow::serving::PredictRequest request;
  request.mutable_model_spec()->set_name(model);
  auto& x = (*request.mutable_inputs())["x"];
  x.set_dtype(tensorflow::DT_FLOAT);
  x.mutable_tensor_shape()->add_dim()->set_size(3);
  for (float f : {1.0f, 2.0f, 5.0f}) x.add_float_val(f);
  const float want[3] = {2.5f, 3.0f, 4.5f};

  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<int64_t>> latencies(connections);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt("tfmodel.bench.channel", c);  // a distinct channel = its own connection
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto stub = tensorflow::serving::PredictionService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
      tensorflow::serving::PredictResponse response;
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext ctx;
        const auto t0 = std::chrono::steady_clock::now();
        grpc::Status s = stub->Predict(&ctx, request, &response);
        const auto t1 = std::chrono::steady_clock::now();
        bool ok = s.ok() && response.outputs().count("y") &&
                  response.outputs().at("y").float_val_size() == 3;
        for (int i = 0; ok && i < 3; ++i) ok = response.outputs().at("y").float_val(i) == want[i];
        if (!ok) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "grpc_load: bad answer: %s %s\n", s.error_message().c_str(),
                         response.ShortDebugString().c_str());
          }
          continue;
        }
        latencies[c].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count());
      }
    });
  }
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& t : threads) t.join();
  std::vector<int64_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> int64_t {
    if (all.empty()) return 0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(all.size() - 1));
    return all[i];
  };
  std::printf("RESULT rps=%.0f p50_us=%lld p99_us=%lld errors=%lld requests=%zu\n",
              static_cast<double>(all.size()) / elapsed, static_cast<long long>(pct(50)),
              static_cast<long long>(pct(99)), static_cast<long long>(errors.load()), all.size());
  return errors.load() == 0 ? 0 : 1;
}
