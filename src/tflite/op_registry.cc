#include "tflite/op_registry.h"

#include <cstring>

#include "tflite/elementwise.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {
namespace {

using B = tflite_fb::BuiltinOperator;
constexpr OpTypes kAny = OpTypes::kAny;
constexpr OpTypes kQuantized = OpTypes::kQuantized;

// clang-format off
constexpr OpRegistration kOps[] = {
    // code                     types       custom name        prepare                          eval
    {B::ADD,                    kAny,       nullptr,           PrepareBinaryArithmetic,         EvalTfSteps},
    {B::ADD,                    kQuantized, nullptr,           PrepareQuantizedAdd,             EvalQuantizedAdd},
    {B::SUB,                    kAny,       nullptr,           PrepareBinaryArithmetic,         EvalTfSteps},
    {B::SUB,                    kQuantized, nullptr,           PrepareQuantizedAdd,             EvalQuantizedAdd},
    {B::MUL,                    kAny,       nullptr,           PrepareBinaryArithmetic,         EvalTfSteps},
    {B::MUL,                    kQuantized, nullptr,           PrepareQuantizedAdd,             EvalQuantizedAdd},
    {B::DIV,                    kAny,       nullptr,           PrepareBinaryArithmetic,         EvalTfSteps},
    {B::RELU_N1_TO_1,           kAny,       nullptr,           PrepareReluN1To1,                EvalTfSteps},
    {B::LEAKY_RELU,             kAny,       nullptr,           PrepareLeakyRelu,                EvalTfSteps},
    {B::SOFTMAX,                kAny,       nullptr,           PrepareSoftmax,                  EvalTfSteps},
    {B::SOFTMAX,                kQuantized, nullptr,           PrepareQuantizedSoftmax,         EvalQuantizedSoftmax},
    {B::LOGISTIC,               kQuantized, nullptr,           PrepareQuantizedLookupTable,     EvalQuantizedLookupTable},
    {B::TANH,                   kQuantized, nullptr,           PrepareQuantizedLookupTable,     EvalQuantizedLookupTable},
    {B::FULLY_CONNECTED,        kAny,       nullptr,           PrepareFullyConnected,           EvalTfSteps},
    {B::FULLY_CONNECTED,        kQuantized, nullptr,           PrepareQuantizedFullyConnected,  EvalQuantizedFullyConnected},
    {B::CONV_2D,                kAny,       nullptr,           PrepareConv2D,                   EvalTfSteps},
    {B::CONV_2D,                kQuantized, nullptr,           PrepareQuantizedConv2D,          EvalQuantizedConv2D},
    {B::DEPTHWISE_CONV_2D,      kAny,       nullptr,           PrepareConv2D,                   EvalTfSteps},
    {B::DEPTHWISE_CONV_2D,      kQuantized, nullptr,           PrepareQuantizedConv2D,          EvalQuantizedConv2D},
    {B::BATCH_MATMUL,           kAny,       nullptr,           PrepareBatchMatMul,              EvalTfSteps},
    {B::MAX_POOL_2D,            kAny,       nullptr,           PreparePool2D,                   EvalTfSteps},
    {B::MAX_POOL_2D,            kQuantized, nullptr,           PrepareQuantizedPool2D,          EvalQuantizedPool2D},
    {B::AVERAGE_POOL_2D,        kAny,       nullptr,           PreparePool2D,                   EvalTfSteps},
    {B::AVERAGE_POOL_2D,        kQuantized, nullptr,           PrepareQuantizedPool2D,          EvalQuantizedPool2D},
    {B::RESIZE_BILINEAR,        kAny,       nullptr,           PrepareResize,                   EvalResize},
    {B::RESIZE_NEAREST_NEIGHBOR, kAny,      nullptr,           PrepareResize,                   EvalResize},
    {B::RESHAPE,                kAny,       nullptr,           PrepareReshape,                  EvalTfSteps},
    {B::SQUEEZE,                kAny,       nullptr,           PrepareSqueeze,                  EvalTfSteps},
    {B::EXPAND_DIMS,            kAny,       nullptr,           PrepareExpandDims,               EvalTfSteps},
    {B::SHAPE,                  kAny,       nullptr,           PrepareShape,                    EvalTfSteps},
    {B::TRANSPOSE,              kAny,       nullptr,           PrepareTranspose,                EvalTfSteps},
    {B::CAST,                   kAny,       nullptr,           PrepareCast,                     EvalTfSteps},
    {B::CONCATENATION,          kAny,       nullptr,           PrepareConcatenation,            EvalTfSteps},
    {B::CONCATENATION,          kQuantized, nullptr,           PrepareQuantizedConcatenation,   EvalQuantizedConcatenation},
    {B::PACK,                   kAny,       nullptr,           PreparePack,                     EvalTfSteps},
    {B::UNPACK,                 kAny,       nullptr,           PrepareUnpack,                   EvalTfSteps},
    {B::SPLIT,                  kAny,       nullptr,           PrepareSplit,                    EvalTfSteps},
    {B::SPLIT_V,                kAny,       nullptr,           PrepareSplitV,                   EvalTfSteps},
    {B::SLICE,                  kAny,       nullptr,           PrepareSlice,                    EvalTfSteps},
    {B::STRIDED_SLICE,          kAny,       nullptr,           PrepareStridedSlice,             EvalTfSteps},
    {B::GATHER,                 kAny,       nullptr,           PrepareGather,                   EvalTfSteps},
    {B::GATHER_ND,              kAny,       nullptr,           PrepareGatherNd,                 EvalTfSteps},
    {B::PAD,                    kAny,       nullptr,           PreparePad,                      EvalTfSteps},
    {B::PADV2,                  kAny,       nullptr,           PreparePad,                      EvalTfSteps},
    {B::TILE,                   kAny,       nullptr,           PrepareTile,                     EvalTfSteps},
    {B::FILL,                   kAny,       nullptr,           PrepareFill,                     EvalTfSteps},
    {B::SELECT,                 kAny,       nullptr,           PrepareSelect,                   EvalTfSteps},
    {B::SELECT_V2,              kAny,       nullptr,           PrepareSelect,                   EvalTfSteps},
    {B::MEAN,                   kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::MEAN,                   kQuantized, nullptr,           PrepareQuantizedMeanOrSum,       EvalQuantizedMeanOrSum},
    {B::SUM,                    kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::SUM,                    kQuantized, nullptr,           PrepareQuantizedMeanOrSum,       EvalQuantizedMeanOrSum},
    {B::REDUCE_MAX,             kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::REDUCE_MIN,             kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::REDUCE_PROD,            kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::REDUCE_ANY,             kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::REDUCE_ALL,             kAny,       nullptr,           PrepareReduce,                   EvalTfSteps},
    {B::ARG_MAX,                kAny,       nullptr,           PrepareArgMinMax,                EvalTfSteps},
    {B::ARG_MIN,                kAny,       nullptr,           PrepareArgMinMax,                EvalTfSteps},
    {B::RANDOM_UNIFORM,         kAny,       nullptr,           PrepareRandom,                   EvalTfSteps},
    {B::RANDOM_STANDARD_NORMAL, kAny,       nullptr,           PrepareRandom,                   EvalTfSteps},
    {B::QUANTIZE,               kAny,       nullptr,           PrepareQuantize,                 EvalQuantize},
    {B::DEQUANTIZE,             kAny,       nullptr,           PrepareDequantize,               EvalDequantize},
    {B::LSTM,                   kAny,       nullptr,           PrepareUnidirectionalLstm,       EvalUnidirectionalLstm},
    {B::UNIDIRECTIONAL_SEQUENCE_LSTM, kAny, nullptr,           PrepareUnidirectionalLstm,       EvalUnidirectionalLstm},
    {B::BIDIRECTIONAL_SEQUENCE_LSTM, kAny, nullptr,            PrepareBidirectionalLstm,        EvalBidirectionalLstm},
    {B::RNN,                    kAny,       nullptr,           PrepareRnn,                      EvalRnn},
    {B::UNIDIRECTIONAL_SEQUENCE_RNN, kAny,  nullptr,           PrepareRnn,                      EvalRnn},
    {B::SVDF,                   kAny,       nullptr,           PrepareSvdf,                     EvalSvdf},
    {B::DENSIFY,                kAny,       nullptr,           PrepareDensify,                  EvalDensify},
    {B::WHILE,                  kAny,       nullptr,           PrepareWhile,                    EvalWhile},
    {B::IF,                     kAny,       nullptr,           PrepareIf,                       EvalIf},
    {B::CALL_ONCE,              kAny,       nullptr,           PrepareCallOnce,                 EvalCallOnce},
    {B::HASHTABLE,              kAny,       nullptr,           PrepareHashtable,                EvalHandle},
    {B::HASHTABLE_IMPORT,       kAny,       nullptr,           PrepareHashtableImport,          EvalHashtableImport},
    {B::HASHTABLE_FIND,         kAny,       nullptr,           PrepareHashtableFind,            EvalHashtableFind},
    {B::HASHTABLE_SIZE,         kAny,       nullptr,           PrepareHashtableSize,            EvalHashtableSize},
    {B::VAR_HANDLE,             kAny,       nullptr,           PrepareVarHandle,                EvalHandle},
    {B::ASSIGN_VARIABLE,        kAny,       nullptr,           PrepareAssignVariable,           EvalAssignVariable},
    {B::READ_VARIABLE,          kAny,       nullptr,           PrepareReadVariable,             EvalReadVariable},
    {B::CUSTOM,                 kAny,       "ParseExample",    PrepareParseExample,             EvalTfSteps},
    {B::CUSTOM,                 kAny,       "ParseExampleV2",  PrepareParseExampleV2,           EvalTfSteps},
    {B::CUSTOM,                 kAny,       "TFLite_Detection_PostProcess", PrepareDetectionPostProcess, EvalDetectionPostProcess},
    {B::CUSTOM,                 kAny,       "edgetpu-custom-op", PrepareEdgeTpuOp,              EvalTfSteps},
    {B::CUSTOM,                 kAny,       nullptr,           PrepareFlexOp,                   EvalTfSteps},
};
// clang-format on

// Builtins of the shared element-wise table (tflite/elementwise.h).
constexpr OpRegistration kElementwise = {B::CUSTOM, kAny, nullptr, PrepareElementwise, EvalTfSteps};

bool NameMatches(const char* want, const std::string& name) {
  return want == nullptr || name == want;
}

}  // namespace

const OpRegistration* FindOpRegistration(const OpBuilder& b) {
  // int8/uint8 without quantization parameters are plain integers (type-generic kernels).
  const bool quantized = IsQuantizedType(b.input_type(0)) && IsQuantizedType(b.output_type(0)) &&
                         b.OutputQuant(0).present();
  const std::string custom = b.code() == B::CUSTOM ? b.custom_name() : "";
  // Preference: quantized over any types; a named custom op over the generic flex entry.
  const OpRegistration* best = nullptr;
  int best_score = -1;
  for (const OpRegistration& r : kOps) {
    if (r.code != b.code() || !NameMatches(r.custom_name, custom)) continue;
    if (r.types == kQuantized && !quantized) continue;
    const int score = (r.types == kQuantized ? 2 : 0) + (r.custom_name ? 1 : 0);
    if (score > best_score) {
      best = &r;
      best_score = score;
    }
  }
  if (best) return best;
  if (FindTfLiteElementwise(b.code())) return &kElementwise;
  return nullptr;
}

}  // namespace tfmodel::tflite
