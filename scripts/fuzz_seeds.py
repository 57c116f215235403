#!/usr/bin/python3
"""Writes small hand-made seed inputs for tfmodel's fuzz targets (scripts/fuzz.sh).

Usage: fuzz_seeds.py OUT_DIR   -> OUT_DIR/<target>/<name> for each target below.
Seeds that come from model files are copied by fuzz.sh from the testdata; these cover the
inputs the testdata has none of (JSON bodies, literals, text configs, Examples, TensorProtos,
TFRecords, .npy of every dtype). Uses numpy when present (the Debian python3-numpy).
"""
import os
import struct
import sys


def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, value):
    """A protobuf field: ints as varints, bytes/str as length-delimited."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint((num << 3) | 2) + varint(len(value)) + value


def example(features):
    """tf.Example from {name: ("f"|"i"|"s", [values])}."""
    fmap = b""
    for name, (kind, values) in features.items():
        if kind == "f":
            lst = field(2, field(1, struct.pack("<%df" % len(values), *values)))
        elif kind == "i":
            lst = field(3, field(1, b"".join(varint(v) for v in values)))
        else:
            lst = field(1, b"".join(field(1, v) for v in values))
        fmap += field(1, field(1, name) + field(2, lst))
    return field(1, fmap)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(records):
    out = b""
    for r in records:
        length = struct.pack("<Q", len(r))
        out += length + struct.pack("<I", masked_crc(length)) + r
        out += struct.pack("<I", masked_crc(r))
    return out


def shape(*dims):
    return b"".join(field(2, field(1, d)) for d in dims)


def seeds():
    s = {}
    # json_tensor_fuzz: selector 0 = one float input, 1 = many dtypes, 2 = classify/regress.
    s["json_tensor_fuzz"] = {
        "row": b"\x00" + b'{"instances": [1.0, 2.0, 5.0]}',
        "row_obj": b"\x00" + b'{"signature_name": "serving_default", "instances": [{"x": [1, 2]}, {"x": [3, 4]}]}',
        "columnar": b"\x00" + b'{"inputs": {"x": [[1.5, 2], [3, 4e3]]}}',
        "columnar_bare": b"\x00" + b'{"inputs": [[-1, NaN], [Infinity, 0]]}',
        "many": b"\x01" + b'{"inputs": {"s": ["a", {"b64": "aGVsbG8="}], "i": [1, -2], "b": [true, false], "h": [0.5, 1], "d": [1e300, -0.0], "u": [255, 0], "n": [7, 8], "x": [1, 2]}}',
        "many_rows": b"\x01" + b'{"instances": [{"s": "a", "i": 1, "b": true, "h": 1, "d": 2, "u": 3, "n": 4, "x": 5}, {"s": {"b64": ""}, "i": 2, "b": false, "h": 0, "d": 0, "u": 0, "n": 0, "x": 0}]}',
        "missing_sig": b"\x01" + b'{"signature_name": "missing", "instances": [1]}',
        "classify": b"\x02" + b'{"signature_name": "tensorflow/serving/classify", "examples": [{"x": 1.0, "s": "a"}, {"x": [2, 3], "i": [1, 2], "b": {"b64": "aGk="}}]}',
        "regress_ctx": b"\x02" + b'{"context": {"c": [1, 2]}, "examples": [{"x": 0.5}]}',
    }
    s["literal_fuzz"] = {
        "floats": b"\x00[1.0, 2.0, 5.0]",
        "nested": b"\x00[[1,2],[3,4]]",
        "text": b"\x08'text'",
        "bool": b"\x07True",
        "int": b"\x04-3",
        "nan": b"\x01[nan, -inf, 1e-3]",
        "strings": b'\x00["a", "b\\n"]',
        "complex": b"\x0c[1, 2]",
        "half": b"\x09[[0.5], [65504]]",
    }
    s["config_fuzz"] = {
        "models": b"\x00" + b'''model_config_list {
  config {
    name: "half_plus_two"
    base_path: "/models/half_plus_two"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: "stable" value: 1 }
  }
  config { name: "b" base_path: "/m/b" model_version_policy { latest { num_versions: 2 } } }
  config { name: "c" base_path: "/m/c" model_version_policy { all {} } }
}''',
        "batching": b"\x01" + b'''max_batch_size { value: 128 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 1000000 }
num_batch_threads { value: 8 }
allowed_batch_sizes: 32
allowed_batch_sizes: 128
pad_variable_length_inputs: true''',
        "monitoring": b"\x02" + b'prometheus_config { enable: true path: "/monitoring/prometheus/metrics" }',
        "ssl": b"\x02" + b'server_key: "k" server_cert: "c" custom_ca: "ca" client_verify: true',
        "records": b"\x03" + tfrecord([b"abc", b"", b"x" * 40]),
    }
    ex1 = example({"x": ("f", [1.0, 2.0]), "v": ("i", [1, 2, 3]), "t": ("s", [b"hi"]),
                   "si": ("i", [4, 5]), "sf": ("f", [0.5]), "ss": ("s", [b"a", b"b"]),
                   "rf": ("f", [1.0, 2.0, 3.0]), "rs": ("s", [b"r"])})
    ex2 = example({"t": ("s", [b""]), "v": ("i", [])})
    s["parse_example_fuzz"] = {
        "one": b"\x01" + ex1,
        "batch": b"\x00" + ex1 + b"\n##\n" + ex2,
        "wrong_type": b"\x00" + example({"x": ("s", [b"1"]), "t": ("s", [b"x"])}),
    }
    # TensorProto: dtype (1), tensor_shape (2), tensor_content (4), float_val (5), int_val (7),
    # string_val (8), int64_val (10), bool_val (11), half_val (13).
    s["tensor_proto_fuzz"] = {
        "float_content": field(1, 1) + field(2, shape(2, 2)) + field(4, struct.pack("<4f", 1, 2, 3, 4)),
        "float_val": field(1, 1) + field(2, shape(3)) + field(5, struct.pack("<f", 7)),
        "int_val": field(1, 3) + field(2, shape(2)) + field(7, varint(5) + varint(6)),
        "strings": field(1, 7) + field(2, shape(2)) + field(8, "a") + field(8, "bc"),
        "int64": field(1, 9) + field(2, shape()) + field(10, varint(1 << 40)),
        "bool": field(1, 10) + field(2, shape(2)) + field(11, varint(1)),
        "half": field(1, 19) + field(2, shape(1)) + field(13, varint(0x3C00)),
        "complex": field(1, 8) + field(2, shape(1)) + field(9, struct.pack("<2f", 1, 2)),
    }
    return s


def npy_seeds():
    try:
        import io
        import numpy as np
    except ImportError:
        return {}
    arrays = {
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "f64": np.array([1.5, -2.0]),
        "i8": np.array([-1, 2], dtype=np.int8),
        "u16": np.array([[1], [2]], dtype=np.uint16),
        "i64_scalar": np.array(7, dtype=np.int64),
        "bool": np.array([True, False]),
        "f16": np.array([0.5], dtype=np.float16),
        "c64": np.array([1 + 2j], dtype=np.complex64),
        "bytes": np.array([b"ab", b"c"]),
        "unicode": np.array(["h\u00e9llo", "x"]),
        "object_str": np.array(["a", "bc"], dtype=object),
        "object_bytes": np.array([b"a", b""], dtype=object),
        "fortran": np.asfortranarray(np.arange(4, dtype=np.int32).reshape(2, 2)),
        "big_endian": np.array([1, 2], dtype=">i4"),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    out = {}
    for name, a in arrays.items():
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=True)
        out[name] = buf.getvalue()
    return out


def main():
    root = sys.argv[1]
    all_seeds = seeds()
    all_seeds["npy_fuzz"] = npy_seeds()
    for target, files in all_seeds.items():
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
