"""ctypes declarations of tfmodel's C API (include/tfmodel/c_api.h) and library loading.

Internal to the package: use the classes in tfmodel/__init__.py.
"""

import ctypes
import os

_LIBRARY_NAMES = ("libtfmodel.so.0", "libtfmodel.so")


def _load_library():
    """Finds libtfmodel: $TFMODEL_LIBRARY (a file path), then a copy next to this package,
    then the system's library search path (LD_LIBRARY_PATH, ldconfig)."""
    explicit = os.environ.get("TFMODEL_LIBRARY")
    if explicit:
        return ctypes.CDLL(explicit)
    here = os.path.dirname(os.path.abspath(__file__))
    for name in _LIBRARY_NAMES:
        candidate = os.path.join(here, name)
        if os.path.exists(candidate):
            return ctypes.CDLL(candidate)
    errors = []
    for name in _LIBRARY_NAMES:
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise ImportError(
        "tfmodel: cannot load libtfmodel.so (set TFMODEL_LIBRARY to its path, or add its "
        "folder to LD_LIBRARY_PATH): " + "; ".join(errors))


class Status(ctypes.Structure):
    pass


class Tensor(ctypes.Structure):
    pass


class Model(ctypes.Structure):
    pass


class LoadOptions(ctypes.Structure):
    pass


class Signature(ctypes.Structure):
    pass


class TensorSpec(ctypes.Structure):
    pass


class Checkpoint(ctypes.Structure):
    pass


_c_char_pp = ctypes.POINTER(ctypes.c_char_p)
_tensor_p = ctypes.POINTER(Tensor)
_tensor_pp = ctypes.POINTER(_tensor_p)
_status_p = ctypes.POINTER(Status)
_model_p = ctypes.POINTER(Model)
_sig_p = ctypes.POINTER(Signature)
_spec_p = ctypes.POINTER(TensorSpec)
_opts_p = ctypes.POINTER(LoadOptions)
_ckpt_p = ctypes.POINTER(Checkpoint)

# name: (restype, argtypes)
_FUNCTIONS = {
    "TFM_Version": (ctypes.c_char_p, []),
    "TFM_NewStatus": (_status_p, []),
    "TFM_DeleteStatus": (None, [_status_p]),
    "TFM_GetCode": (ctypes.c_int, [_status_p]),
    "TFM_Message": (ctypes.c_char_p, [_status_p]),
    "TFM_DataTypeName": (ctypes.c_char_p, [ctypes.c_int]),
    "TFM_DataTypeSize": (ctypes.c_size_t, [ctypes.c_int]),
    "TFM_NewTensor": (_tensor_p, [ctypes.c_int, ctypes.POINTER(ctypes.c_int64), ctypes.c_int,
                                  ctypes.c_void_p, ctypes.c_size_t, _status_p]),
    "TFM_DeleteTensor": (None, [_tensor_p]),
    "TFM_TensorType": (ctypes.c_int, [_tensor_p]),
    "TFM_TensorRank": (ctypes.c_int, [_tensor_p]),
    "TFM_TensorDim": (ctypes.c_int64, [_tensor_p, ctypes.c_int]),
    "TFM_TensorElementCount": (ctypes.c_int64, [_tensor_p]),
    "TFM_TensorByteSize": (ctypes.c_size_t, [_tensor_p]),
    "TFM_TensorData": (ctypes.c_void_p, [_tensor_p]),
    "TFM_TensorGetString": (ctypes.c_void_p, [_tensor_p, ctypes.c_int64,
                                              ctypes.POINTER(ctypes.c_size_t), _status_p]),
    "TFM_TensorSetString": (None, [_tensor_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t,
                                   _status_p]),
    "TFM_NewLoadOptions": (_opts_p, []),
    "TFM_DeleteLoadOptions": (None, [_opts_p]),
    "TFM_LoadOptionsSetTags": (None, [_opts_p, ctypes.c_char_p]),
    "TFM_LoadOptionsSetCheckpoint": (None, [_opts_p, ctypes.c_char_p]),
    "TFM_LoadOptionsSetThreads": (None, [_opts_p, ctypes.c_int, ctypes.c_int]),
    "TFM_LoadModel": (_model_p, [ctypes.c_char_p, _opts_p, _status_p]),
    "TFM_DeleteModel": (None, [_model_p]),
    "TFM_ModelSignatureCount": (ctypes.c_int, [_model_p]),
    "TFM_ModelSignature": (_sig_p, [_model_p, ctypes.c_int]),
    "TFM_ModelFindSignature": (_sig_p, [_model_p, ctypes.c_char_p]),
    "TFM_SignatureKey": (ctypes.c_char_p, [_sig_p]),
    "TFM_SignatureMethodName": (ctypes.c_char_p, [_sig_p]),
    "TFM_SignatureInputCount": (ctypes.c_int, [_sig_p]),
    "TFM_SignatureOutputCount": (ctypes.c_int, [_sig_p]),
    "TFM_SignatureInput": (_spec_p, [_sig_p, ctypes.c_int]),
    "TFM_SignatureOutput": (_spec_p, [_sig_p, ctypes.c_int]),
    "TFM_TensorSpecName": (ctypes.c_char_p, [_spec_p]),
    "TFM_TensorSpecTensorName": (ctypes.c_char_p, [_spec_p]),
    "TFM_TensorSpecType": (ctypes.c_int, [_spec_p]),
    "TFM_TensorSpecRank": (ctypes.c_int, [_spec_p]),
    "TFM_TensorSpecDim": (ctypes.c_int64, [_spec_p, ctypes.c_int]),
    "TFM_RunSignature": (None, [_model_p, ctypes.c_char_p, _c_char_pp, _tensor_pp, ctypes.c_int,
                                _c_char_pp, ctypes.c_int, _tensor_pp, _status_p]),
    "TFM_Run": (None, [_model_p, _c_char_pp, _tensor_pp, ctypes.c_int, _c_char_pp, ctypes.c_int,
                       _tensor_pp, _c_char_pp, ctypes.c_int, _status_p]),
    "TFM_Freeze": (None, [_c_char_pp, _c_char_pp, ctypes.c_int, _status_p]),
    "TFM_Export": (ctypes.c_size_t, [_c_char_pp, _c_char_pp, ctypes.c_int, ctypes.c_char_p,
                                     ctypes.c_size_t, _status_p]),
    "TFM_Convert": (None, [_c_char_pp, _c_char_pp, ctypes.c_int, _status_p]),
    "TFM_OpenCheckpoint": (_ckpt_p, [ctypes.c_char_p, _status_p]),
    "TFM_DeleteCheckpoint": (None, [_ckpt_p]),
    "TFM_CheckpointPrefix": (ctypes.c_char_p, [_ckpt_p]),
    "TFM_CheckpointTensorCount": (ctypes.c_int, [_ckpt_p]),
    "TFM_CheckpointTensorName": (ctypes.c_char_p, [_ckpt_p, ctypes.c_int]),
    "TFM_CheckpointRead": (_tensor_p, [_ckpt_p, ctypes.c_char_p, _status_p]),
    "TFM_WriteCheckpoint": (None, [ctypes.c_char_p, _c_char_pp, _tensor_pp, ctypes.c_int,
                                   _status_p]),
}

lib = _load_library()
for _name, (_restype, _argtypes) in _FUNCTIONS.items():
    _fn = getattr(lib, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes

TFM_OK = 0
CODE_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


def names_array(names):
    """A (const char* const*) for a list of str."""
    arr = (ctypes.c_char_p * len(names))()
    for i, n in enumerate(names):
        arr[i] = n.encode("utf-8")
    return arr


def tensors_array(tensors):
    arr = (_tensor_p * len(tensors))()
    for i, t in enumerate(tensors):
        arr[i] = t
    return arr


def empty_tensors_array(n):
    return (_tensor_p * n)()
