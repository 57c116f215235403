#include "runtime/kernels/register_all.h"

#include "runtime/kernel.h"

namespace tfmodel::runtime {

// One Register function per kernel family, defined in kernels/<family>.cc.
void RegisterBasicKernels(KernelRegistry& r);           // basic.cc
void RegisterStateKernels(KernelRegistry& r);           // state.cc
void RegisterControlFlowKernels(KernelRegistry& r);     // executor.cc (built into the executor)
void RegisterFunctionKernels(KernelRegistry& r);        // function.cc
void RegisterFunctionalKernels(KernelRegistry& r);      // functional_ops.cc (If, Case, While)
void RegisterSaveRestoreKernels(KernelRegistry& r);     // save_restore.cc
void RegisterMatMulKernels(KernelRegistry& r);          // matmul.cc
void RegisterActivationKernels(KernelRegistry& r);      // activations.cc
void RegisterConvKernels(KernelRegistry& r);            // conv.cc
void RegisterPoolingKernels(KernelRegistry& r);         // pooling.cc
void RegisterBatchNormKernels(KernelRegistry& r);       // batch_norm.cc
void RegisterResizeKernels(KernelRegistry& r);          // resize.cc
void RegisterShapeKernels(KernelRegistry& r);           // shape_ops.cc
void RegisterArrayKernels(KernelRegistry& r);           // array_ops.cc
void RegisterGatherKernels(KernelRegistry& r);          // gather_ops.cc
void RegisterPadKernels(KernelRegistry& r);             // pad_ops.cc
void RegisterSequenceKernels(KernelRegistry& r);        // sequence_ops.cc
void RegisterRandomKernels(KernelRegistry& r);          // random_ops.cc
void RegisterCwiseBinaryKernels(KernelRegistry& r);     // cwise_binary.cc
void RegisterCwiseUnaryKernels(KernelRegistry& r);      // cwise_unary.cc
void RegisterReductionKernels(KernelRegistry& r);       // reduction.cc
void RegisterParseExampleKernels(KernelRegistry& r);    // parse_example.cc
void RegisterStringKernels(KernelRegistry& r);          // string_ops.cc
void RegisterImageKernels(KernelRegistry& r);           // image_ops.cc
void RegisterTensorArrayKernels(KernelRegistry& r);     // tensor_array_ops.cc
void RegisterSparseKernels(KernelRegistry& r);          // sparse_ops.cc
void RegisterLookupKernels(KernelRegistry& r);          // lookup_ops.cc
void RegisterCountUpToKernels(KernelRegistry& r);       // count_up_to.cc
void RegisterAssertKernels(KernelRegistry& r);          // assert_ops.cc
void RegisterBitwiseKernels(KernelRegistry& r);         // bitwise_ops.cc
void RegisterSpecialMathKernels(KernelRegistry& r);     // special_math.cc
void RegisterScanKernels(KernelRegistry& r);            // scan_ops.cc
void RegisterLinalgKernels(KernelRegistry& r);          // linalg_ops.cc
void RegisterLinalgDecompKernels(KernelRegistry& r);    // linalg_decomp.cc
void RegisterEinsumKernels(KernelRegistry& r);          // einsum.cc
void RegisterSegmentKernels(KernelRegistry& r);         // segment_ops.cc
void RegisterScatterKernels(KernelRegistry& r);         // scatter_ops.cc
void RegisterSetKernels(KernelRegistry& r);             // set_ops.cc
void RegisterSortKernels(KernelRegistry& r);            // sort_ops.cc
void RegisterDataFormatKernels(KernelRegistry& r);      // data_format_ops.cc
void RegisterMatrixDiagKernels(KernelRegistry& r);      // matrix_diag_ops.cc
void RegisterRollReverseKernels(KernelRegistry& r);     // roll_reverse_ops.cc
void RegisterFingerprintKernels(KernelRegistry& r);     // fingerprint_op.cc
void RegisterGradShapeKernels(KernelRegistry& r);       // grad_shape_ops.cc
void RegisterFakeQuantKernels(KernelRegistry& r);       // fake_quant.cc
void RegisterFusedKernels(KernelRegistry& r);           // fused_ops.cc
void RegisterConv3DKernels(KernelRegistry& r);          // conv3d.cc
void RegisterPool3DKernels(KernelRegistry& r);          // pooling3d.cc
void RegisterNnMiscKernels(KernelRegistry& r);          // nn_misc_ops.cc
void RegisterStitchKernels(KernelRegistry& r);          // stitch_ops.cc
void RegisterAudioKernels(KernelRegistry& r);           // audio_ops.cc
void RegisterNmsKernels(KernelRegistry& r);             // nms_ops.cc, combined_nms.cc
void RegisterCropAndResizeKernels(KernelRegistry& r);   // crop_and_resize.cc
void RegisterImageTransformKernels(KernelRegistry& r);  // image_transform.cc
void RegisterColorKernels(KernelRegistry& r);           // color_ops.cc
void RegisterImageEncodeKernels(KernelRegistry& r);     // image_encode.cc
void RegisterResourceVariableKernels(KernelRegistry& r);
void RegisterTensorListKernels(KernelRegistry& r);
void RegisterTensorListBulkKernels(KernelRegistry& r);
void RegisterRaggedKernels(KernelRegistry& r);       // ragged_ops.cc
void RegisterRaggedDenseKernels(KernelRegistry& r);  // ragged_to_dense.cc
void RegisterBincountKernels(KernelRegistry& r);     // bincount_ops.cc
void RegisterTextKernels(KernelRegistry& r);         // text_ops.cc
void RegisterUnicodeKernels(KernelRegistry& r);      // unicode_ops.cc
void RegisterSearchKernels(KernelRegistry& r);       // search_ops.cc
void RegisterCwiseNoNanKernels(KernelRegistry& r);   // cwise_nonan.cc

void RegisterAllKernels(KernelRegistry& r) {
  RegisterBasicKernels(r);
  RegisterStateKernels(r);
  RegisterControlFlowKernels(r);
  RegisterFunctionKernels(r);
  RegisterFunctionalKernels(r);
  RegisterSaveRestoreKernels(r);
  RegisterMatMulKernels(r);
  RegisterActivationKernels(r);
  RegisterConvKernels(r);
  RegisterPoolingKernels(r);
  RegisterBatchNormKernels(r);
  RegisterResizeKernels(r);
  RegisterShapeKernels(r);
  RegisterArrayKernels(r);
  RegisterGatherKernels(r);
  RegisterPadKernels(r);
  RegisterSequenceKernels(r);
  RegisterRandomKernels(r);
  RegisterCwiseBinaryKernels(r);
  RegisterCwiseUnaryKernels(r);
  RegisterReductionKernels(r);
  RegisterParseExampleKernels(r);
  RegisterStringKernels(r);
  RegisterImageKernels(r);
  RegisterTensorArrayKernels(r);
  RegisterSparseKernels(r);
  RegisterLookupKernels(r);
  RegisterCountUpToKernels(r);
  RegisterAssertKernels(r);
  RegisterBitwiseKernels(r);
  RegisterSpecialMathKernels(r);
  RegisterScanKernels(r);
  RegisterLinalgKernels(r);
  RegisterLinalgDecompKernels(r);
  RegisterEinsumKernels(r);
  RegisterSegmentKernels(r);
  RegisterScatterKernels(r);
  RegisterSetKernels(r);
  RegisterSortKernels(r);
  RegisterDataFormatKernels(r);
  RegisterMatrixDiagKernels(r);
  RegisterRollReverseKernels(r);
  RegisterFingerprintKernels(r);
  RegisterGradShapeKernels(r);
  RegisterFakeQuantKernels(r);
  RegisterFusedKernels(r);
  RegisterConv3DKernels(r);
  RegisterPool3DKernels(r);
  RegisterNnMiscKernels(r);
  RegisterStitchKernels(r);
  RegisterAudioKernels(r);
  RegisterNmsKernels(r);
  RegisterCropAndResizeKernels(r);
  RegisterImageTransformKernels(r);
  RegisterColorKernels(r);
  RegisterImageEncodeKernels(r);
  RegisterResourceVariableKernels(r);
  RegisterTensorListKernels(r);
  RegisterTensorListBulkKernels(r);
  RegisterRaggedKernels(r);
  RegisterRaggedDenseKernels(r);
  RegisterBincountKernels(r);
  RegisterTextKernels(r);
  RegisterUnicodeKernels(r);
  RegisterSearchKernels(r);
  RegisterCwiseNoNanKernels(r);
}

}  // namespace tfmodel::runtime
