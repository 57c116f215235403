/* tfmodel C API: load TensorFlow models (SavedModel, frozen GraphDef, MetaGraphDef, .tflite)
 * and run them, from C or any language with a C FFI. A stable ABI in the style of
 * TensorFlow's and ONNX Runtime's C APIs.
 *
 *   TFM_Status* st = TFM_NewStatus();
 *   TFM_Model* m = TFM_LoadModel("/models/half_plus_two/1", NULL, st);
 *   if (TFM_GetCode(st) != TFM_OK) { fprintf(stderr, "%s\n", TFM_Message(st)); ... }
 *   int64_t dims[1] = {3};
 *   float x[3] = {1, 2, 5};
 *   TFM_Tensor* in = TFM_NewTensor(TFM_FLOAT, dims, 1, x, sizeof x, st);
 *   const char* in_names[] = {"x"};
 *   const char* out_names[] = {"y"};
 *   TFM_Tensor* out = NULL;
 *   TFM_RunSignature(m, "serving_default", in_names, (const TFM_Tensor* const*)&in, 1,
 *                    out_names, 1, &out, st);
 *   const float* y = (const float*)TFM_TensorData(out);   // 2.5 3 4.5
 *   TFM_DeleteTensor(out); TFM_DeleteTensor(in); TFM_DeleteModel(m); TFM_DeleteStatus(st);
 *
 * Conventions, for every function below:
 * - Handles are opaque. An object returned by a TFM_New* / TFM_Load* function or through
 *   an output array is owned by the caller and freed with the matching TFM_Delete*
 *   function (which accepts NULL). Pointers returned by accessors (names, signatures,
 *   specs, data) are borrowed: they stay valid as long as the object they came from and
 *   must not be freed.
 * - Functions that can fail take a TFM_Status* as their last argument (never NULL). They
 *   set it to TFM_OK on success, or to an error code and a message naming what is wrong
 *   (the path, signature, input, dtype or shape involved); on failure their result is
 *   NULL / 0 and no output is left allocated. No C++ exception ever crosses this API.
 * - Strings passed in are NUL-terminated UTF-8 and copied if kept. Tensor data is copied
 *   in (TFM_NewTensor) and owned by the tensor.
 * - TFM_Model is safe to run from several threads at once; TFM_Status and TFM_Tensor
 *   objects must not be shared between threads while one of them modifies them.
 * - Accessors given a NULL handle or an index out of range return NULL / 0 / -1 as
 *   documented; they never crash.
 */
#ifndef TFMODEL_C_API_H_
#define TFMODEL_C_API_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define TFM_CAPI_EXPORT __declspec(dllexport)
#else
#define TFM_CAPI_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ---------------------------------------------------------------------- */

/* The library's version, "MAJOR.MINOR.PATCH" (static storage; never NULL). The ABI of a
 * given MAJOR version (the shared library's SOVERSION) only grows. */
TFM_CAPI_EXPORT const char* TFM_Version(void);

/* ---- Status ----------------------------------------------------------------------- */

/* Error codes: the same numbers as TensorFlow's TF_Code and absl::StatusCode. */
typedef enum TFM_Code {
  TFM_OK = 0,
  TFM_CANCELLED = 1,
  TFM_UNKNOWN = 2,
  TFM_INVALID_ARGUMENT = 3,
  TFM_DEADLINE_EXCEEDED = 4,
  TFM_NOT_FOUND = 5,
  TFM_ALREADY_EXISTS = 6,
  TFM_PERMISSION_DENIED = 7,
  TFM_RESOURCE_EXHAUSTED = 8,
  TFM_FAILED_PRECONDITION = 9,
  TFM_ABORTED = 10,
  TFM_OUT_OF_RANGE = 11,
  TFM_UNIMPLEMENTED = 12,
  TFM_INTERNAL = 13,
  TFM_UNAVAILABLE = 14,
  TFM_DATA_LOSS = 15,
  TFM_UNAUTHENTICATED = 16,
  /* Not a code: makes the enum int-sized (see TFM_DATATYPE_FORCE_INT). */
  TFM_CODE_FORCE_INT = 0x7FFFFFFF
} TFM_Code;

/* The outcome of a call: a code and, for errors, a message. */
typedef struct TFM_Status TFM_Status;

/* A new status, TFM_OK with an empty message. NULL only when out of memory. */
TFM_CAPI_EXPORT TFM_Status* TFM_NewStatus(void);
/* Frees `status` (NULL is ignored). */
TFM_CAPI_EXPORT void TFM_DeleteStatus(TFM_Status* status);
/* The code of the last call that was given `status` (TFM_OK for a new one; TFM_INVALID_ARGUMENT
 * for NULL). */
TFM_CAPI_EXPORT TFM_Code TFM_GetCode(const TFM_Status* status);
/* The error message ("" when TFM_OK). Borrowed: valid until `status` is passed to another
 * call or deleted. Never NULL. */
TFM_CAPI_EXPORT const char* TFM_Message(const TFM_Status* status);

/* ---- Data types ------------------------------------------------------------------- */

/* Element types: the same numbers as TensorFlow's DataType / TF_DataType. Tensors of the
 * fixed-size types hold their elements contiguously in row-major (C) order, in the host's
 * byte order: TFM_BOOL is one byte (0 or 1), TFM_HALF and TFM_BFLOAT16 are the raw 16 bits,
 * TFM_COMPLEX64 is two floats (real, imaginary). TFM_STRING elements are byte strings
 * accessed with TFM_TensorGetString / TFM_TensorSetString. */
typedef enum TFM_DataType {
  TFM_INVALID_DTYPE = 0,
  TFM_FLOAT = 1,
  TFM_DOUBLE = 2,
  TFM_INT32 = 3,
  TFM_UINT8 = 4,
  TFM_INT16 = 5,
  TFM_INT8 = 6,
  TFM_STRING = 7,
  TFM_COMPLEX64 = 8,
  TFM_INT64 = 9,
  TFM_BOOL = 10,
  TFM_QINT8 = 11,
  TFM_QUINT8 = 12,
  TFM_QINT32 = 13,
  TFM_BFLOAT16 = 14,
  TFM_QINT16 = 15,
  TFM_QUINT16 = 16,
  TFM_UINT16 = 17,
  TFM_COMPLEX128 = 18,
  TFM_HALF = 19,
  TFM_RESOURCE = 20,
  TFM_VARIANT = 21,
  TFM_UINT32 = 22,
  TFM_UINT64 = 23,
  /* Not a data type: makes the enum int-sized, so any int a caller passes is a valid value
     of this type (and is rejected with a status, not undefined behaviour). */
  TFM_DATATYPE_FORCE_INT = 0x7FFFFFFF
} TFM_DataType;

/* TensorFlow's name for `dtype` ("float", "int64", "string", ...; "invalid" for a value
 * that is no data type). Static storage; never NULL. */
TFM_CAPI_EXPORT const char* TFM_DataTypeName(TFM_DataType dtype);
/* Bytes per element of a fixed-size type; 0 for TFM_STRING, TFM_RESOURCE, TFM_VARIANT and
 * invalid values. */
TFM_CAPI_EXPORT size_t TFM_DataTypeSize(TFM_DataType dtype);

/* ---- Tensors ---------------------------------------------------------------------- */

/* A dense tensor: a data type, a shape and the elements, owned by the tensor. */
typedef struct TFM_Tensor TFM_Tensor;

/* A new tensor of `dtype` and shape `dims[0..num_dims)` (num_dims 0 = a scalar; dims may
 * be NULL then). Every dim must be >= 0 and the element count at most 2^40.
 * Fixed-size types: `data` (`len` bytes, exactly element count * TFM_DataTypeSize(dtype))
 * is copied into the tensor; `data` NULL with `len` 0 gives zeros.
 * TFM_STRING: `data` must be NULL and `len` 0; every element starts empty (set them with
 * TFM_TensorSetString).
 * Errors (returns NULL): TFM_INVALID_ARGUMENT for a dtype that cannot be created
 * (resource, variant, invalid), a negative num_dims or dim, a too large shape, or `len`
 * not matching the shape. */
TFM_CAPI_EXPORT TFM_Tensor* TFM_NewTensor(TFM_DataType dtype, const int64_t* dims, int num_dims,
                                          const void* data, size_t len, TFM_Status* status);
/* Frees `tensor` (NULL is ignored). */
TFM_CAPI_EXPORT void TFM_DeleteTensor(TFM_Tensor* tensor);

/* The tensor's data type (TFM_INVALID_DTYPE for NULL). */
TFM_CAPI_EXPORT TFM_DataType TFM_TensorType(const TFM_Tensor* tensor);
/* Number of dimensions (0 for a scalar; -1 for NULL). */
TFM_CAPI_EXPORT int TFM_TensorRank(const TFM_Tensor* tensor);
/* Size of dimension `index` (-1 when `index` is out of [0, rank) or `tensor` is NULL). */
TFM_CAPI_EXPORT int64_t TFM_TensorDim(const TFM_Tensor* tensor, int index);
/* Number of elements, the product of the dims (1 for a scalar; 0 for NULL). */
TFM_CAPI_EXPORT int64_t TFM_TensorElementCount(const TFM_Tensor* tensor);
/* Bytes of element data: element count * TFM_DataTypeSize(dtype); 0 for TFM_STRING
 * tensors (whose elements are not contiguous bytes) and NULL. */
TFM_CAPI_EXPORT size_t TFM_TensorByteSize(const TFM_Tensor* tensor);
/* The element data, TFM_TensorByteSize bytes, aligned to at least 16 bytes, readable and
 * writable. Borrowed from `tensor`. NULL for TFM_STRING tensors, empty tensors and NULL. */
TFM_CAPI_EXPORT void* TFM_TensorData(TFM_Tensor* tensor);

/* String element `index` (row-major flat index) of a TFM_STRING tensor: returns its bytes
 * (borrowed; valid until the element is set again or the tensor deleted; not
 * NUL-terminated in general, may contain NUL bytes) and stores their count in `*len`.
 * Errors (returns NULL, *len = 0): TFM_INVALID_ARGUMENT when the tensor is not TFM_STRING,
 * TFM_OUT_OF_RANGE when `index` is outside [0, element count). */
TFM_CAPI_EXPORT const char* TFM_TensorGetString(const TFM_Tensor* tensor, int64_t index,
                                                size_t* len, TFM_Status* status);
/* Sets string element `index` to a copy of `data[0..len)` (`data` may be NULL when `len`
 * is 0). Errors as TFM_TensorGetString. */
TFM_CAPI_EXPORT void TFM_TensorSetString(TFM_Tensor* tensor, int64_t index, const char* data,
                                         size_t len, TFM_Status* status);

/* ---- Models ----------------------------------------------------------------------- */

/* A loaded model, parsed and compiled once, ready to run. */
typedef struct TFM_Model TFM_Model;
/* Options for TFM_LoadModel. */
typedef struct TFM_LoadOptions TFM_LoadOptions;
/* One signature of a model (borrowed from it). */
typedef struct TFM_Signature TFM_Signature;
/* One input or output of a signature (borrowed from it). */
typedef struct TFM_TensorSpec TFM_TensorSpec;

/* New default options: tag set chosen automatically, no checkpoint, threads = cores. */
TFM_CAPI_EXPORT TFM_LoadOptions* TFM_NewLoadOptions(void);
/* Frees `options` (NULL is ignored). */
TFM_CAPI_EXPORT void TFM_DeleteLoadOptions(TFM_LoadOptions* options);
/* SavedModel tag set, comma separated ("serve" or "serve,gpu"). NULL or "" = {serve} when
 * the SavedModel has it, else the tags of its only MetaGraphDef. Ignored for other
 * formats. */
TFM_CAPI_EXPORT void TFM_LoadOptionsSetTags(TFM_LoadOptions* options, const char* tags);
/* For a MetaGraphDef file: the checkpoint to restore its variables from (a prefix such as
 * "model.ckpt-100", its .index file, or a folder with a `checkpoint` state file). NULL or
 * "" = none. Ignored for other formats. */
TFM_CAPI_EXPORT void TFM_LoadOptionsSetCheckpoint(TFM_LoadOptions* options, const char* path);
/* Threads used inside one op and across independent ops; 0 (the default) = the number of
 * cores. Negative values are treated as 0. */
TFM_CAPI_EXPORT void TFM_LoadOptionsSetThreads(TFM_LoadOptions* options, int intra_op,
                                               int inter_op);

/* Loads the model at `path`, whose kind is recognized by content, not name: a SavedModel
 * folder (or its saved_model.pb / .pbtxt), a TF Serving session bundle, a .tflite file
 * (or a version folder holding only model.tflite), a frozen or plain GraphDef (.pb binary
 * or text), or a MetaGraphDef (.meta, see TFM_LoadOptionsSetCheckpoint). `options` may
 * be NULL for the defaults. Everything is parsed, checked and compiled here; unsupported
 * ops are all reported at once.
 * Errors (returns NULL): TFM_NOT_FOUND when `path` does not exist; TFM_INVALID_ARGUMENT
 * when it holds no runnable model (the message names the path and what it holds) or for
 * an unknown tag set (the message lists the available ones); TFM_UNIMPLEMENTED for ops
 * tfmodel has no kernel for (all listed, with their nodes); others from reading the files
 * (e.g. TFM_DATA_LOSS for corrupt ones). The message always contains `path`. */
TFM_CAPI_EXPORT TFM_Model* TFM_LoadModel(const char* path, const TFM_LoadOptions* options,
                                         TFM_Status* status);
/* Frees `model` and everything borrowed from it (NULL is ignored). */
TFM_CAPI_EXPORT void TFM_DeleteModel(TFM_Model* model);

/* Number of signatures (0 for plain graphs, which run by tensor names with TFM_Run, and
 * for NULL). SavedModel's internal __saved_model_init_op is not counted. */
TFM_CAPI_EXPORT int TFM_ModelSignatureCount(const TFM_Model* model);
/* Signature `index` in [0, count), in the order of their keys' bytes; NULL when out of
 * range. Borrowed from `model`. */
TFM_CAPI_EXPORT const TFM_Signature* TFM_ModelSignature(const TFM_Model* model, int index);
/* The signature with key `key` ("serving_default", ...); NULL when there is none. */
TFM_CAPI_EXPORT const TFM_Signature* TFM_ModelFindSignature(const TFM_Model* model,
                                                            const char* key);

/* The signature's key ("serving_default"). Borrowed; never NULL for a valid signature. */
TFM_CAPI_EXPORT const char* TFM_SignatureKey(const TFM_Signature* signature);
/* Its method name ("tensorflow/serving/predict", ...; may be ""). Borrowed. */
TFM_CAPI_EXPORT const char* TFM_SignatureMethodName(const TFM_Signature* signature);
/* Number of inputs / outputs (0 for NULL). */
TFM_CAPI_EXPORT int TFM_SignatureInputCount(const TFM_Signature* signature);
TFM_CAPI_EXPORT int TFM_SignatureOutputCount(const TFM_Signature* signature);
/* Input / output `index` in [0, count), in the order of their names' bytes; NULL when out
 * of range. Borrowed from the model. */
TFM_CAPI_EXPORT const TFM_TensorSpec* TFM_SignatureInput(const TFM_Signature* signature, int index);
TFM_CAPI_EXPORT const TFM_TensorSpec* TFM_SignatureOutput(const TFM_Signature* signature,
                                                          int index);

/* The name (alias) callers use for this input or output in TFM_RunSignature ("x").
 * Borrowed; never NULL for a valid spec. */
TFM_CAPI_EXPORT const char* TFM_TensorSpecName(const TFM_TensorSpec* spec);
/* The graph tensor behind it ("x:0"), usable with TFM_Run. Borrowed. */
TFM_CAPI_EXPORT const char* TFM_TensorSpecTensorName(const TFM_TensorSpec* spec);
/* Its element type (for a sparse input: of its values). */
TFM_CAPI_EXPORT TFM_DataType TFM_TensorSpecType(const TFM_TensorSpec* spec);
/* Its rank; -1 when the rank is unknown (any rank is accepted) or `spec` is NULL. */
TFM_CAPI_EXPORT int TFM_TensorSpecRank(const TFM_TensorSpec* spec);
/* Size of dimension `index`; -1 when that size is unknown (any size is accepted), or
 * `index` is out of [0, rank). */
TFM_CAPI_EXPORT int64_t TFM_TensorSpecDim(const TFM_TensorSpec* spec, int index);

/* ---- Running ---------------------------------------------------------------------- */

/* Runs signature `key` of `model`. Inputs are given by name (TFM_TensorSpecName):
 * `input_names[i]` is fed `inputs[i]`, for i in [0, num_inputs); every input of the
 * signature must be given, once. A SparseTensor input may instead be given as its three
 * components "<name>.indices", "<name>.values", "<name>.dense_shape", a RaggedTensor input
 * as "<name>.flat_values" and "<name>.row_splits_<k>". Input dtypes must match the
 * signature; shapes are not checked against it (as in TF Serving; ops check what they
 * need). The input tensors are not modified or kept. The outputs named
 * `output_names[0..num_outputs)` are computed (only what they need runs) and stored as new
 * tensors, owned by the caller, in `outputs[0..num_outputs)`.
 * Errors (every outputs[i] set to NULL): TFM_NOT_FOUND when the model has no signature
 * `key` (the message lists the available ones); TFM_INVALID_ARGUMENT when an input or
 * output name is not in the signature (the message lists the valid ones), an input is
 * missing, given twice or NULL, or an input's dtype differs from the signature's (the
 * message names the input and both dtypes); errors from running the graph (e.g.
 * TFM_INVALID_ARGUMENT from an op whose input shapes do not fit, naming the node). */
TFM_CAPI_EXPORT void TFM_RunSignature(TFM_Model* model, const char* key,
                                      const char* const* input_names,
                                      const TFM_Tensor* const* inputs, int num_inputs,
                                      const char* const* output_names, int num_outputs,
                                      TFM_Tensor** outputs, TFM_Status* status);

/* Runs `model`'s graph by tensor names, like TensorFlow's Session::Run: feeds
 * `feed_names[i]` ("x:0", or "x" for output 0) with `feeds[i]`, computes the tensors
 * `fetch_names[0..num_fetches)` into new caller-owned tensors `fetches[0..num_fetches)`,
 * and also runs the nodes `target_names[0..num_targets)` for their effects (NULL / 0 for
 * none; .tflite models have no targets). Works for every model kind, with or without
 * signatures. Errors (every fetches[i] set to NULL): TFM_INVALID_ARGUMENT or TFM_NOT_FOUND
 * for a name that is not in the graph, a placeholder needed but not fed, a fed tensor of
 * the wrong dtype; errors from running the graph. */
TFM_CAPI_EXPORT void TFM_Run(TFM_Model* model, const char* const* feed_names,
                             const TFM_Tensor* const* feeds, int num_feeds,
                             const char* const* fetch_names, int num_fetches, TFM_Tensor** fetches,
                             const char* const* target_names, int num_targets, TFM_Status* status);

/* ---- Freezing, exporting, converting ------------------------------------------------- */

/* What `tfmodel freeze`, `tfmodel export` and `tfmodel convert` do (docs/cli.md), with the
 * same flags: `names[i]` is a flag name without the leading "--" and `values[i]` its value,
 * for i in [0, count). Booleans are "true"/"false" (also 1/0, yes/no). List flags (node
 * names, tags, arrays) take comma-separated values; a list flag given again appends, and so
 * does a repeatable one (export's "signature" and "assets").
 * Errors: TFM_INVALID_ARGUMENT for an unknown flag (the message lists the known ones), a bad
 * value, a missing required flag or conflicting sources; TFM_NOT_FOUND for a missing file,
 * checkpoint or signature; otherwise the error of the step that failed, naming the file,
 * node or op. Nothing is written when an error is returned, except that a failed write may
 * leave a partial output file (exports are published atomically and never partial). */

/* Checkpoint + graph (input_graph or input_meta_graph, with input_checkpoint) or a
 * SavedModel (input_saved_model_dir) -> one frozen GraphDef at output_graph (required).
 * Flags: input_graph, input_meta_graph, input_checkpoint, input_saved_model_dir,
 * saved_model_tags, signature_def, output_node_names, output_graph, as_text,
 * variable_names_allowlist (whitelist), variable_names_denylist (blacklist),
 * clear_devices; freeze_graph's initializer_nodes, restore_op_name, filename_tensor_name,
 * input_saver, input_binary and checkpoint_version are accepted and ignored. */
TFM_CAPI_EXPORT void TFM_Freeze(const char* const* names, const char* const* values, int count,
                                TFM_Status* status);

/* A graph + checkpoint, a frozen graph or a SavedModel -> a SavedModel folder with
 * signatures, at export_dir or at <export_base>/<version> (next integer by default).
 * Flags: input_graph, input_meta_graph, input_checkpoint, input_saved_model_dir,
 * saved_model_tags, signature (repeatable: "KEY: inputs a=x:0; outputs y=z:0; method
 * predict"), signatures (a JSON or text SignatureDefMap file), tags, export_base,
 * export_dir, version, overwrite, clear_devices, main_op, legacy_init_op, assets, as_text,
 * unfreeze_min_bytes, keep_unused_variables.
 * The folder written is stored in `written_dir` (NUL-terminated, truncated to
 * `written_dir_size` bytes; NULL / 0 for none). Returns the length of that path (without
 * the NUL), so a caller can retry with a bigger buffer; 0 on error. */
TFM_CAPI_EXPORT size_t TFM_Export(const char* const* names, const char* const* values, int count,
                                  char* written_dir, size_t written_dir_size, TFM_Status* status);

/* A frozen GraphDef (graph_def_file, with input_arrays and output_arrays) or a SavedModel
 * signature (saved_model_dir) -> a .tflite FlatBuffer at output_file (required).
 * Flags: graph_def_file (input_graph), saved_model_dir, saved_model_signature_key
 * (signature_def), saved_model_tag_set, input_arrays, output_arrays, input_shapes ("1,784"
 * per input, ':' between inputs), output_file, allow_custom_ops, quantize_weights
 * (post_training_quantize). */
TFM_CAPI_EXPORT void TFM_Convert(const char* const* names, const char* const* values, int count,
                                 TFM_Status* status);

/* ---- Checkpoints ----------------------------------------------------------------------- */

/* A TensorFlow checkpoint opened for reading. Thread-safe: several threads may read from one
 * handle at once. */
typedef struct TFM_Checkpoint TFM_Checkpoint;

/* Opens a checkpoint: a V2 prefix ("dir/model.ckpt-1000", with its .index and .data files),
 * a ".index" file, a V1 checkpoint file or sharded pattern, or a folder holding a
 * `checkpoint` state file (its latest checkpoint is opened). Every tensor read is checksum
 * verified. Errors: TFM_NOT_FOUND when nothing is at `path`; TFM_DATA_LOSS or
 * TFM_INVALID_ARGUMENT for a corrupt or unreadable file (the message names it). */
TFM_CAPI_EXPORT TFM_Checkpoint* TFM_OpenCheckpoint(const char* path, TFM_Status* status);
TFM_CAPI_EXPORT void TFM_DeleteCheckpoint(TFM_Checkpoint* checkpoint);
/* The prefix that was opened (after resolving a folder or .index file). */
TFM_CAPI_EXPORT const char* TFM_CheckpointPrefix(const TFM_Checkpoint* checkpoint);
/* The checkpoint's tensors, sorted by name (index in [0, count)); dtype and shape as
 * stored. Out-of-range indices give NULL, TFM_INVALID_DTYPE, -1. */
TFM_CAPI_EXPORT int TFM_CheckpointTensorCount(const TFM_Checkpoint* checkpoint);
TFM_CAPI_EXPORT const char* TFM_CheckpointTensorName(const TFM_Checkpoint* checkpoint, int index);
TFM_CAPI_EXPORT TFM_DataType TFM_CheckpointTensorType(const TFM_Checkpoint* checkpoint, int index);
TFM_CAPI_EXPORT int TFM_CheckpointTensorRank(const TFM_Checkpoint* checkpoint, int index);
TFM_CAPI_EXPORT int64_t TFM_CheckpointTensorDim(const TFM_Checkpoint* checkpoint, int index,
                                                int dim);
/* Reads the tensor `name` (sliced/partitioned variables are assembled) into a new
 * caller-owned tensor. Errors (NULL returned): TFM_NOT_FOUND for a name not in the checkpoint
 * (the message suggests close names); TFM_DATA_LOSS for a checksum mismatch. */
TFM_CAPI_EXPORT TFM_Tensor* TFM_CheckpointRead(const TFM_Checkpoint* checkpoint, const char* name,
                                               TFM_Status* status);

/* Writes `tensors[i]` under `names[i]`, i in [0, count), as a V2 tensor bundle at `prefix`
 * (prefix.index + prefix.data-00000-of-00001) that TensorFlow's tf.train.Checkpoint /
 * Saver restore reads. Numeric, bool and string tensors. Nothing is visible at `prefix`
 * unless the whole write succeeds. Errors: TFM_INVALID_ARGUMENT for a NULL or repeated
 * name, a NULL tensor or a dtype a bundle cannot hold; the write's error otherwise. */
TFM_CAPI_EXPORT void TFM_WriteCheckpoint(const char* prefix, const char* const* names,
                                         const TFM_Tensor* const* tensors, int count,
                                         TFM_Status* status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TFMODEL_C_API_H_ */
