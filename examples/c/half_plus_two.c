/* Loads TF Serving's half_plus_two SavedModel through tfmodel's C API, lists its
 * signatures and runs serving_default (y = 0.5 * x + 2) on x = [[1], [2], [5]].
 *
 *   cc -std=c11 half_plus_two.c -I<tfmodel>/include -L<build> -ltfmodel -o half_plus_two
 *   ./half_plus_two path/to/saved_model_half_plus_two_cpu/00000123
 *
 * Exits 0 and prints "y = [2.5, 3, 4.5]" on success; prints the error and exits 1
 * otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "tfmodel/c_api.h"

static void print_spec(const char* kind, const TFM_TensorSpec* spec) {
  int rank = TFM_TensorSpecRank(spec);
  printf("    %s %s (%s): %s ", kind, TFM_TensorSpecName(spec), TFM_TensorSpecTensorName(spec),
         TFM_DataTypeName(TFM_TensorSpecType(spec)));
  if (rank < 0) {
    printf("shape unknown\n");
    return;
  }
  printf("[");
  for (int d = 0; d < rank; ++d) {
    long long size = (long long)TFM_TensorSpecDim(spec, d);
    if (size < 0) {
      printf("%s?", d ? "," : "");
    } else {
      printf("%s%lld", d ? "," : "", size);
    }
  }
  printf("]\n");
}

static int fail(const char* what, TFM_Status* status) {
  fprintf(stderr, "%s failed: %s\n", what, TFM_Message(status));
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SAVED_MODEL_DIR\n", argv[0]);
    return 2;
  }
  printf("tfmodel %s\n", TFM_Version());
  TFM_Status* status = TFM_NewStatus();
  TFM_Model* model = TFM_LoadModel(argv[1], NULL, status);
  if (TFM_GetCode(status) != TFM_OK) {
    int rc = fail("TFM_LoadModel", status);
    TFM_DeleteStatus(status);
    return rc;
  }

  int count = TFM_ModelSignatureCount(model);
  printf("%d signatures:\n", count);
  for (int i = 0; i < count; ++i) {
    const TFM_Signature* sig = TFM_ModelSignature(model, i);
    printf("  %s (%s)\n", TFM_SignatureKey(sig), TFM_SignatureMethodName(sig));
    for (int k = 0; k < TFM_SignatureInputCount(sig); ++k) {
      print_spec("input ", TFM_SignatureInput(sig, k));
    }
    for (int k = 0; k < TFM_SignatureOutputCount(sig); ++k) {
      print_spec("output", TFM_SignatureOutput(sig, k));
    }
  }

  const int64_t dims[2] = {3, 1};
  const float x[3] = {1.0f, 2.0f, 5.0f};
  TFM_Tensor* input = TFM_NewTensor(TFM_FLOAT, dims, 2, x, sizeof x, status);
  int rc = 0;
  if (TFM_GetCode(status) != TFM_OK) {
    rc = fail("TFM_NewTensor", status);
  } else {
    const char* input_names[1] = {"x"};
    const TFM_Tensor* inputs[1] = {input};
    const char* output_names[1] = {"y"};
    TFM_Tensor* outputs[1] = {NULL};
    TFM_RunSignature(model, "serving_default", input_names, inputs, 1, output_names, 1, outputs,
                     status);
    if (TFM_GetCode(status) != TFM_OK) {
      rc = fail("TFM_RunSignature", status);
    } else {
      const float* y = (const float*)TFM_TensorData(outputs[0]);
      int64_t n = TFM_TensorElementCount(outputs[0]);
      printf("y = [");
      for (int64_t i = 0; i < n; ++i) printf("%s%g", i ? ", " : "", y[i]);
      printf("]\n");
    }
    TFM_DeleteTensor(outputs[0]);
  }

  /* Errors are values: a misspelled input name says which names exist. */
  const char* bad_names[1] = {"X"};
  const TFM_Tensor* bad_inputs[1] = {input};
  const char* output_names[1] = {"y"};
  TFM_Tensor* unused[1] = {NULL};
  TFM_RunSignature(model, "serving_default", bad_names, bad_inputs, 1, output_names, 1, unused,
                   status);
  printf("misspelled input: code %d: %s\n", (int)TFM_GetCode(status), TFM_Message(status));

  TFM_DeleteTensor(input);
  TFM_DeleteModel(model);
  TFM_DeleteStatus(status);
  return rc;
}
