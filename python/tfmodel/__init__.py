"""tfmodel: run TensorFlow models (SavedModel, frozen GraphDef, MetaGraphDef + checkpoint,
.tflite) without TensorFlow, from Python, on numpy arrays.

    import numpy as np, tfmodel
    m = tfmodel.load("saved_model_half_plus_two_cpu/00000123")
    m.signatures["serving_default"](x=np.array([[1.0], [2.0]], dtype=np.float32))
    # -> {"y": array([[2.5], [3. ]], dtype=float32)}

A thin layer over tfmodel's C API (libtfmodel.so, include/tfmodel/c_api.h) through ctypes.
Every failure raises tfmodel.Error with the C API's status code and message. Outputs are
numpy arrays the caller owns (copied out of the library's tensors); string tensors are
numpy object arrays of bytes.
"""

import ctypes
import os
from collections import namedtuple

import numpy as np

from . import _capi
from ._capi import lib

__all__ = ["Error", "Model", "Signature", "TensorSpec", "convert", "export", "freeze", "load",
           "read_checkpoint", "write_checkpoint", "__version__"]

__version__ = lib.TFM_Version().decode()

_STRING = 7
_BFLOAT16 = 14
_INVALID_ARGUMENT = 3

# TF DataType number -> numpy dtype, for tensors numpy can hold as they are. The quantized
# types come out as their storage integers.
_TO_NUMPY = {
    1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8,
    8: np.complex64, 9: np.int64, 10: np.bool_, 11: np.int8, 12: np.uint8, 13: np.int32,
    15: np.int16, 16: np.uint16, 17: np.uint16, 18: np.complex128, 19: np.float16,
    22: np.uint32, 23: np.uint64,
}
_FROM_NUMPY = {
    np.dtype(np.float32): 1, np.dtype(np.float64): 2, np.dtype(np.int32): 3,
    np.dtype(np.uint8): 4, np.dtype(np.int16): 5, np.dtype(np.int8): 6,
    np.dtype(np.complex64): 8, np.dtype(np.int64): 9, np.dtype(np.bool_): 10,
    np.dtype(np.uint16): 17, np.dtype(np.complex128): 18, np.dtype(np.float16): 19,
    np.dtype(np.uint32): 22, np.dtype(np.uint64): 23,
}


class Error(Exception):
    """A failure reported by tfmodel: `code` is the C API's TFM_Code number (TensorFlow's
    error codes: 3 INVALID_ARGUMENT, 5 NOT_FOUND, ...), `code_name` its name, `message`
    the status message (which names the path, signature, input, dtype... involved)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.code_name = _capi.CODE_NAMES.get(code, str(code))
        self.message = message

    def __str__(self):
        return "%s: %s" % (self.code_name, self.message)


class _Status:
    """A TFM_Status for one call; check() raises Error when the call failed."""

    def __init__(self):
        self.ptr = lib.TFM_NewStatus()
        if not self.ptr:
            raise MemoryError("TFM_NewStatus")

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.TFM_DeleteStatus(self.ptr)
            self.ptr = None

    def check(self):
        code = lib.TFM_GetCode(self.ptr)
        if code != _capi.TFM_OK:
            raise Error(code, lib.TFM_Message(self.ptr).decode("utf-8", "replace"))


class _OwnedTensor:
    """A TFM_Tensor this process created, deleted with the object."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.TFM_DeleteTensor(self.ptr)
            self.ptr = None


def _dtype_name(code):
    return lib.TFM_DataTypeName(code).decode()


def _as_bytes(element, where):
    if isinstance(element, bytes):
        return element
    if isinstance(element, str):
        return element.encode("utf-8")
    if isinstance(element, (bytearray, memoryview, np.bytes_)):
        return bytes(element)
    raise Error(_INVALID_ARGUMENT,
                "%s: a string tensor's elements must be bytes or str, got %s"
                % (where, type(element).__name__))


def _to_c(value, where, want_dtype=None):
    """A new C tensor holding a copy of `value` (a numpy array, or anything np.asarray
    takes: then converted to `want_dtype`, the signature's type, when one is known)."""
    if isinstance(value, np.ndarray):
        arr = value
    elif want_dtype == _STRING:
        arr = np.asarray(value, dtype=object)
    else:
        arr = np.asarray(value, dtype=_TO_NUMPY.get(want_dtype))
    st = _Status()
    dims = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
    if arr.dtype.kind in "OSU":
        flat = arr.reshape(-1)
        t = _OwnedTensor(lib.TFM_NewTensor(_STRING, dims, arr.ndim, None, 0, st.ptr))
        st.check()
        for i, element in enumerate(flat):
            b = _as_bytes(element.item() if isinstance(element, np.generic) else element, where)
            lib.TFM_TensorSetString(t.ptr, i, b, len(b), st.ptr)
            st.check()
        return t
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    code = _FROM_NUMPY.get(arr.dtype)
    if code is None:
        raise Error(_INVALID_ARGUMENT,
                    "%s: numpy dtype %s has no TensorFlow equivalent" % (where, arr.dtype))
    # (ascontiguousarray makes a 0-d array 1-d: keep the scalar's shape.)
    arr = np.ascontiguousarray(arr).reshape(arr.shape)
    data = arr.ctypes.data if arr.nbytes else None
    t = _OwnedTensor(lib.TFM_NewTensor(code, dims, arr.ndim, data, arr.nbytes, st.ptr))
    st.check()
    return t


def _from_c(ptr):
    """A numpy copy of the C tensor `ptr` (not freed here)."""
    code = lib.TFM_TensorType(ptr)
    shape = tuple(lib.TFM_TensorDim(ptr, i) for i in range(lib.TFM_TensorRank(ptr)))
    if code == _STRING:
        st = _Status()
        n = lib.TFM_TensorElementCount(ptr)
        out = np.empty(n, dtype=object)
        size = ctypes.c_size_t()
        for i in range(n):
            p = lib.TFM_TensorGetString(ptr, i, ctypes.byref(size), st.ptr)
            st.check()
            out[i] = ctypes.string_at(p, size.value) if size.value else b""
        return out.reshape(shape)
    if code == _BFLOAT16:  # numpy has no bfloat16: widen to float32 (exact)
        raw = np.empty(shape, dtype=np.uint16)
        if raw.nbytes:
            ctypes.memmove(raw.ctypes.data, lib.TFM_TensorData(ptr), raw.nbytes)
        return (raw.astype(np.uint32) << 16).view(np.float32)
    np_dtype = _TO_NUMPY.get(code)
    if np_dtype is None:
        raise Error(12, "an output of dtype %s cannot be returned to Python" % _dtype_name(code))
    out = np.empty(shape, dtype=np_dtype)
    if out.nbytes:
        ctypes.memmove(out.ctypes.data, lib.TFM_TensorData(ptr), out.nbytes)
    return out


def _take_outputs(array, n):
    """numpy copies of the n caller-owned C tensors in `array`, which are then freed."""
    owned = [_OwnedTensor(array[i]) for i in range(n)]
    return [_from_c(t.ptr) for t in owned]


TensorSpec = namedtuple("TensorSpec", ["name", "tensor_name", "dtype", "shape"])
TensorSpec.__doc__ = """One input or output of a signature: `name` (what you call it),
`tensor_name` (the graph tensor, for Model.run), `dtype` (TensorFlow's name: "float",
"string", ...), `shape` (a tuple with None for unknown sizes, or None for unknown rank)."""


def _spec(ptr):
    rank = lib.TFM_TensorSpecRank(ptr)
    shape = None
    if rank >= 0:
        shape = tuple(None if d < 0 else d
                      for d in (lib.TFM_TensorSpecDim(ptr, i) for i in range(rank)))
    return TensorSpec(lib.TFM_TensorSpecName(ptr).decode(),
                      lib.TFM_TensorSpecTensorName(ptr).decode(),
                      _dtype_name(lib.TFM_TensorSpecType(ptr)), shape), \
        lib.TFM_TensorSpecType(ptr)


class Signature:
    """One signature of a Model. Call it with the inputs by name to get every output:
    sig(x=array) or sig({"x": array}) -> {output name: numpy array}. `inputs` and
    `outputs` map names to TensorSpec."""

    def __init__(self, handle, ptr):
        self._handle = handle  # keeps the C model (which owns `ptr`) alive
        self.key = lib.TFM_SignatureKey(ptr).decode()
        self.method_name = lib.TFM_SignatureMethodName(ptr).decode()
        self._dtypes = {}
        self.inputs = {}
        for i in range(lib.TFM_SignatureInputCount(ptr)):
            spec, code = _spec(lib.TFM_SignatureInput(ptr, i))
            self.inputs[spec.name] = spec
            self._dtypes[spec.name] = code
        self.outputs = {}
        for i in range(lib.TFM_SignatureOutputCount(ptr)):
            spec, _ = _spec(lib.TFM_SignatureOutput(ptr, i))
            self.outputs[spec.name] = spec

    def __call__(self, inputs=None, /, **kwargs):
        feeds = dict(inputs or {})
        feeds.update(kwargs)
        return self.run(feeds)

    def run(self, inputs, outputs=None):
        """Runs on `inputs` ({name: array-like}); returns {name: numpy array} for the
        outputs named in `outputs` (default: all)."""
        names = list(self.outputs) if outputs is None else list(outputs)
        in_names = list(inputs)
        tensors = []
        for n in in_names:
            tensors.append(_to_c(inputs[n], "input '%s'" % n, self._dtypes.get(n)))
        out = _capi.empty_tensors_array(len(names))
        st = _Status()
        lib.TFM_RunSignature(self._handle.ptr, self.key.encode(), _capi.names_array(in_names),
                             _capi.tensors_array([t.ptr for t in tensors]), len(in_names),
                             _capi.names_array(names), len(names), out, st.ptr)
        st.check()
        return dict(zip(names, _take_outputs(out, len(names))))

    def __repr__(self):
        return "<tfmodel.Signature %r inputs=%s outputs=%s>" % (
            self.key, list(self.inputs), list(self.outputs))


class _ModelHandle:
    """Owns a TFM_Model; shared by a Model and its Signatures (no reference cycle, so the
    C model is freed as soon as the last of them goes)."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.TFM_DeleteModel(self.ptr)
            self.ptr = None


class Model:
    """A loaded model. `signatures` maps keys to Signature (empty for plain graphs, which
    run by tensor names with run())."""

    def __init__(self, path, tags=None, checkpoint=None, intra_op_threads=0,
                 inter_op_threads=0):
        if isinstance(tags, (list, tuple)):
            tags = ",".join(tags)
        opts = lib.TFM_NewLoadOptions()
        try:
            if tags:
                lib.TFM_LoadOptionsSetTags(opts, tags.encode())
            if checkpoint:
                lib.TFM_LoadOptionsSetCheckpoint(opts, str(checkpoint).encode())
            lib.TFM_LoadOptionsSetThreads(opts, intra_op_threads, inter_op_threads)
            st = _Status()
            ptr = lib.TFM_LoadModel(str(path).encode(), opts, st.ptr)
            st.check()
        finally:
            lib.TFM_DeleteLoadOptions(opts)
        self._handle = _ModelHandle(ptr)
        self.path = str(path)
        self.signatures = {}
        for i in range(lib.TFM_ModelSignatureCount(ptr)):
            sig = Signature(self._handle, lib.TFM_ModelSignature(ptr, i))
            self.signatures[sig.key] = sig

    def run(self, feeds, fetches, targets=()):
        """Runs by tensor names, like TensorFlow's Session.run: `feeds` {"x:0": array},
        `fetches` a tensor name or a list of them, `targets` node names run for their
        effects. Returns one numpy array for a single name, else a list."""
        single = isinstance(fetches, str)
        fetch_names = [fetches] if single else list(fetches)
        targets = list(targets)
        feed_names = list(feeds)
        tensors = [_to_c(feeds[n], "feed '%s'" % n) for n in feed_names]
        out = _capi.empty_tensors_array(len(fetch_names))
        st = _Status()
        lib.TFM_Run(self._handle.ptr, _capi.names_array(feed_names),
                    _capi.tensors_array([t.ptr for t in tensors]), len(feed_names),
                    _capi.names_array(fetch_names), len(fetch_names), out,
                    _capi.names_array(targets), len(targets), st.ptr)
        st.check()
        results = _take_outputs(out, len(fetch_names))
        return results[0] if single else results

    def __repr__(self):
        return "<tfmodel.Model %r signatures=%s>" % (self.path, list(self.signatures))


def load(path, tags=None, checkpoint=None, intra_op_threads=0, inter_op_threads=0):
    """Loads the model at `path` (SavedModel folder, .tflite, frozen .pb, .meta with
    `checkpoint`); its kind is recognized by content. `tags`: SavedModel tag set ("serve",
    or a list); default {serve} or the only one. Raises Error (NOT_FOUND for a missing
    path; the message names the path)."""
    return Model(path, tags, checkpoint, intra_op_threads, inter_op_threads)


def _flag_pairs(flags):
    """keyword arguments -> (names, values) for the C API's flag functions: True/False become
    "true"/"false", numbers their decimal text, a list or tuple one pair per item (a
    repeatable flag such as export's `signature`, or list items appended); None is left
    out."""
    names, values = [], []
    for name, value in flags.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, os.PathLike):
                item = os.fspath(item)
            names.append(name)
            values.append(str(item))
    return _capi.names_array(names), _capi.names_array(values), len(names)


def freeze(**flags):
    """Freezes variables into constants like `tfmodel freeze` / freeze_graph, with its flags
    as keyword arguments, e.g. freeze(input_saved_model_dir="m/1", output_graph="f.pb") or
    freeze(input_graph="g.pbtxt", input_checkpoint="ckpt/model", output_node_names="out",
    output_graph="f.pb"). Returns the output_graph path. Raises Error."""
    names, values, n = _flag_pairs(flags)
    st = _Status()
    lib.TFM_Freeze(names, values, n, st.ptr)
    st.check()
    return flags.get("output_graph")


def export(**flags):
    """Writes a SavedModel like `tfmodel export` / SavedModelBuilder, with its flags as
    keyword arguments, e.g. export(input_graph="frozen.pb", export_base="models/m",
    signature="serving_default: inputs x=x:0; outputs y=y:0"). `signature` may be a list.
    Returns the folder written (<export_base>/<version> or export_dir). Raises Error."""
    names, values, n = _flag_pairs(flags)
    st = _Status()
    buf = ctypes.create_string_buffer(4096)
    length = lib.TFM_Export(names, values, n, buf, len(buf), st.ptr)
    st.check()
    if length >= len(buf):
        raise Error(13, "exported folder path longer than %d bytes" % len(buf))
    return buf.value.decode("utf-8")


def convert(**flags):
    """Converts to a .tflite file like `tfmodel convert` / tflite_convert, with its flags as
    keyword arguments, e.g. convert(saved_model_dir="m/1", output_file="m.tflite") or
    convert(graph_def_file="frozen.pb", input_arrays="x", output_arrays="y",
    output_file="m.tflite"). Returns the output_file path. Raises Error."""
    names, values, n = _flag_pairs(flags)
    st = _Status()
    lib.TFM_Convert(names, values, n, st.ptr)
    st.check()
    return flags.get("output_file")


def read_checkpoint(path, names=None):
    """Reads a TensorFlow checkpoint (a V2 prefix such as "train/model.ckpt-1000", its .index
    file, a V1 file, or a folder with a `checkpoint` state file: its latest) into
    {tensor name: numpy array}, every tensor or only `names`. Checksums are verified.
    Raises Error (NOT_FOUND for a missing checkpoint or name)."""
    st = _Status()
    ckpt = lib.TFM_OpenCheckpoint(os.fspath(path).encode("utf-8"), st.ptr)
    st.check()
    try:
        if names is None:
            names = [lib.TFM_CheckpointTensorName(ckpt, i).decode("utf-8")
                     for i in range(lib.TFM_CheckpointTensorCount(ckpt))]
        out = {}
        for name in names:
            t = _OwnedTensor(lib.TFM_CheckpointRead(ckpt, name.encode("utf-8"), st.ptr))
            st.check()
            out[name] = _from_c(t.ptr)
        return out
    finally:
        lib.TFM_DeleteCheckpoint(ckpt)


def write_checkpoint(prefix, tensors):
    """Writes {name: array} as a V2 checkpoint at `prefix` (prefix.index and
    prefix.data-00000-of-00001) that TensorFlow's tf.train.Checkpoint / Saver restore reads.
    Values are numpy arrays or what np.asarray takes. Nothing appears at `prefix` unless the
    whole write succeeds. Returns `prefix`. Raises Error."""
    names = list(tensors)
    owned = [_to_c(tensors[n], "tensor '%s'" % n) for n in names]
    st = _Status()
    lib.TFM_WriteCheckpoint(os.fspath(prefix).encode("utf-8"), _capi.names_array(names),
                            _capi.tensors_array([t.ptr for t in owned]), len(names), st.ptr)
    st.check()
    return prefix
