// In-process cost of one REST predict without sockets: the handler alone (route, JSON in,
// run, JSON out) on half_plus_two, and the model run alone, with the number of C++ heap
// allocations (operator new) each makes. Splits the serving benchmark's per-request CPU
// into HTTP/IO and handler. Not a test.
//   rest_handler_bench [testdata_dir] [iterations]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "runtime/model.h"
#include "serving/manager.h"
#include "serving/metrics.h"
#include "serving/rest_api.h"

// Counts every C++ heap allocation of the process (the replaceable global operator new).
std::atomic<int64_t> g_allocations{0};

void* CountedAlloc(std::size_t n, std::size_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = align > alignof(std::max_align_t)
                ? std::aligned_alloc(align, (n + align - 1) / align * align)
                : std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* operator new(std::size_t n) { return CountedAlloc(n, 0); }
void* operator new[](std::size_t n) { return CountedAlloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return CountedAlloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return CountedAlloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

// Allocations per call of fn, over 1000 calls.
template <typename Fn>
double AllocationsPerCall(Fn&& fn) {
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) fn();
  return static_cast<double>(g_allocations.load() - before) / 1000;
}

template <typename Fn>
double MedianNs(int iters, Fn&& fn) {
  std::vector<double> per_batch;
  const int batch = 1000;
  for (int b = 0; b < std::max(1, iters / batch); ++b) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch; ++i) fn();
    auto t1 = std::chrono::steady_clock::now();
    per_batch.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / batch);
  }
  std::sort(per_batch.begin(), per_batch.end());
  return per_batch[per_batch.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tfmodel;
  std::string testdata = argc > 1 ? argv[1] : "../shared/testdata";
  int iters = argc > 2 ? std::atoi(argv[2]) : 50000;
  std::string base = testdata + "/tf_serving/saved_model_half_plus_two_cpu";
  serving::Metrics metrics;
  serving::ManagerOptions mo;
  mo.file_system_poll_wait_seconds = 0;
  mo.log = [](const std::string&) {};
  mo.metrics = &metrics;
  serving::ServableManager manager(mo);
  tensorflow::serving::ModelServerConfig config;
  google::protobuf::TextFormat::ParseFromString(
      "model_config_list { config { name: 'hp' base_path: '" + base + "' } }", &config);
  if (auto s = manager.ReloadConfig(config); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  serving::RestApiHandler handler(&manager, &metrics, serving::RestOptions{});
  serving::HttpRequest req;
  req.method = "POST";
  req.target = "/v1/models/hp:predict";
  req.headers = {{"Host", "localhost"}, {"Content-Type", "application/json"}};
  req.body = R"({"instances": [1.0, 2.0, 5.0]})";
  serving::HttpResponse r = handler.Handle(req);
  std::printf("answer %d: %s\n", r.status, r.body.c_str());
  auto handle = [&] { (void)handler.Handle(req); };
  const double handler_allocs = AllocationsPerCall(handle);
  double handler_ns = MedianNs(iters, handle);

  auto model = runtime::Model::LoadSavedModel(base + "/00000123");
  if (!model.ok()) return 1;
  Tensor x = Tensor::FromVector<float>({1, 2, 5});
  const std::map<std::string, Tensor> feeds = {{"x", x}};
  auto run = [&] { (void)(*model)->RunSignature("serving_default", feeds); };
  const double run_allocs = AllocationsPerCall(run);
  double run_ns = MedianNs(iters, run);
  std::printf(
      "handler (route + JSON + run + JSON): %.2f us, %.1f allocations\n"
      "model run alone: %.2f us, %.1f allocations\n",
      handler_ns / 1000, handler_allocs, run_ns / 1000, run_allocs);
  return 0;
}
