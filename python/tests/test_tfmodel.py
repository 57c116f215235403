"""Tests of the tfmodel Python package on TensorFlow-made models from the testdata."""

import os
import re
import shutil

import numpy as np
import pytest

import tfmodel

HALF_PLUS_TWO = "tf_serving/saved_model_half_plus_two_cpu/00000123"
# tf2onnx/regression: pred = W * X + b, the same weights in four formats (testdata README).
W, B = 0.21396178, 1.0495254


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", tfmodel.__version__)


def test_half_plus_two_serving_default(testdata):
    m = tfmodel.load(testdata(HALF_PLUS_TWO))
    out = m.signatures["serving_default"](x=np.array([1.0, 2.0], dtype=np.float32))
    assert list(out) == ["y"]
    assert out["y"].dtype == np.float32
    np.testing.assert_array_equal(out["y"], np.array([2.5, 3.0], dtype=np.float32))
    # A dict of inputs, a [N,1] batch, and a plain list converted to the signature's dtype.
    out = m.signatures["serving_default"]({"x": [[1.0], [5.0]]})
    np.testing.assert_array_equal(out["y"], np.array([[2.5], [4.5]], dtype=np.float32))


def test_signatures_describe_inputs_and_outputs(testdata):
    m = tfmodel.load(testdata(HALF_PLUS_TWO))
    assert sorted(m.signatures) == ["classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y",
                                    "regress_x_to_y2", "serving_default"]
    sig = m.signatures["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert sig.inputs["x"] == tfmodel.TensorSpec("x", "x:0", "float", (None, 1))
    assert sig.outputs["y"] == tfmodel.TensorSpec("y", "y:0", "float", (None, 1))
    classify = m.signatures["classify_x_to_y"]
    assert classify.inputs["inputs"].dtype == "string"
    assert classify.inputs["inputs"].shape is None


def test_string_input_tf_example(testdata):
    m = tfmodel.load(testdata(HALF_PLUS_TWO))
    # tf.Example {features {feature {key: "x" value {float_list {value: [2.0]}}}}}, encoded
    # by hand (field numbers from example.proto / feature.proto).
    float_list = b"\x0a\x04" + np.float32(2.0).tobytes()
    feature = b"\x12" + bytes([len(float_list)]) + float_list
    entry = b"\x0a\x01x\x12" + bytes([len(feature)]) + feature
    features = b"\x0a" + bytes([len(entry)]) + entry
    example = b"\x0a" + bytes([len(features)]) + features
    out = m.signatures["regress_x_to_y"](inputs=np.array([example], dtype=object))
    np.testing.assert_array_equal(out["outputs"], np.array([[3.0]], dtype=np.float32))


def test_errors_carry_the_c_status_message(testdata):
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.load("/no/such/model/dir")
    assert e.value.code_name == "NOT_FOUND"
    assert "/no/such/model/dir" in e.value.message

    m = tfmodel.load(testdata(HALF_PLUS_TWO))
    sig = m.signatures["serving_default"]
    with pytest.raises(tfmodel.Error) as e:
        sig(xx=np.array([1.0], dtype=np.float32))
    assert e.value.code_name == "INVALID_ARGUMENT"
    assert "'xx'" in e.value.message and "'x'" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        sig(x=np.array([1, 2], dtype=np.int32))
    assert "float" in e.value.message and "int32" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        sig.run({"x": np.array([1.0], dtype=np.float32)}, outputs=["nope"])
    assert "'nope'" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        sig(x=np.array(["a"], dtype=object))
    assert "string" in e.value.message
    # Still usable afterwards.
    np.testing.assert_array_equal(sig(x=np.array([0.0], dtype=np.float32))["y"], [2.0])


def test_run_by_tensor_names_frozen_graph(testdata):
    m = tfmodel.load(testdata("tf2onnx/regression/graphdef/frozen.pb"))
    assert m.signatures == {}
    x = np.array([[1.0], [10.0]], dtype=np.float32)
    pred = m.run({"X:0": x}, "pred:0")
    np.testing.assert_allclose(pred, W * x + B, rtol=1e-6)
    both = m.run({"X:0": x}, ["pred:0", "pred:0"])
    assert len(both) == 2
    np.testing.assert_array_equal(both[0], both[1])
    with pytest.raises(tfmodel.Error) as e:
        m.run({"X:0": x}, "missing:0")
    assert "missing" in e.value.message


def test_meta_graph_with_checkpoint_and_tflite(testdata):
    x = np.array([[3.0]], dtype=np.float32)
    meta = tfmodel.load(testdata("tf2onnx/regression/checkpoint/model.meta"),
                        checkpoint=testdata("tf2onnx/regression/checkpoint/model"))
    np.testing.assert_allclose(meta.run({"X:0": x}, "pred:0"), W * x + B, rtol=1e-6)
    lite = tfmodel.load(testdata("tf2onnx/regression/tflite/model.tflite"))
    sig = next(iter(lite.signatures.values()))
    (name,) = sig.inputs
    out = sig(**{name: x})
    np.testing.assert_allclose(next(iter(out.values())), W * x + B, rtol=1e-6)


def test_outputs_are_independent_numpy_arrays(testdata):
    m = tfmodel.load(testdata(HALF_PLUS_TWO))
    sig = m.signatures["serving_default"]
    y = sig(x=np.array([1.0], dtype=np.float32))["y"]
    y[0] = 100.0
    np.testing.assert_array_equal(sig(x=np.array([1.0], dtype=np.float32))["y"], [2.5])
    # The signature keeps the model alive after the Model object is gone.
    del m
    np.testing.assert_array_equal(sig(x=np.array([4.0], dtype=np.float32))["y"], [4.0])


def test_numpy_conversions_round_trip(testdata):
    # Identity-like graph: the regression model fed big-endian and non-contiguous arrays.
    m = tfmodel.load(testdata("tf2onnx/regression/graphdef/frozen.pb"))
    x = np.arange(6, dtype=">f4").reshape(2, 3)[:, ::2]
    np.testing.assert_allclose(m.run({"X:0": x}, "pred:0"), W * x.astype(np.float32) + B,
                               rtol=1e-6)
    with pytest.raises(tfmodel.Error) as e:
        m.run({"X:0": np.array([1], dtype=np.longdouble)}, "pred:0")
    assert "no TensorFlow equivalent" in e.value.message


def _half_plus_two_check(model, key="serving_default", name="x", out="y"):
    got = model.signatures[key](**{name: np.array([[1.0], [4.0]], dtype=np.float32)})
    np.testing.assert_allclose(got[out], np.array([[2.5], [4.0]], dtype=np.float32))


def test_freeze_saved_model_then_run_the_frozen_graph(testdata, tmp_path):
    frozen = str(tmp_path / "frozen.pb")
    assert tfmodel.freeze(input_saved_model_dir=testdata(HALF_PLUS_TWO),
                          output_graph=frozen) == frozen
    m = tfmodel.load(frozen)
    np.testing.assert_allclose(m.run({"x:0": np.array([[6.0]], dtype=np.float32)}, "y:0"),
                               np.array([[5.0]], dtype=np.float32))


def test_export_frozen_graph_to_versioned_saved_model(testdata, tmp_path):
    frozen = str(tmp_path / "frozen.pb")
    tfmodel.freeze(input_saved_model_dir=testdata(HALF_PLUS_TWO), output_graph=frozen)
    base = tmp_path / "models" / "hp2"
    sig = "serving_default: inputs x=x:0; outputs y=y:0; method predict"
    first = tfmodel.export(input_graph=frozen, export_base=base, signature=[sig])
    assert first == str(base / "1")
    second = tfmodel.export(input_graph=frozen, export_base=base, signature=sig, as_text=True)
    assert second == str(base / "2")
    assert (base / "2" / "saved_model.pbtxt").exists()
    _half_plus_two_check(tfmodel.load(second))


def test_convert_saved_model_to_tflite(testdata, tmp_path):
    out = str(tmp_path / "hp2.tflite")
    assert tfmodel.convert(saved_model_dir=testdata(HALF_PLUS_TWO), output_file=out) == out
    with open(out, "rb") as f:
        assert f.read(8)[4:8] == b"TFL3"
    _half_plus_two_check(tfmodel.load(out))


def test_tool_errors_raise_with_the_c_status_message(testdata, tmp_path):
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.freeze(input_saved_model_dir=testdata(HALF_PLUS_TWO), output_grph="x.pb")
    assert e.value.code_name == "INVALID_ARGUMENT"
    assert "unknown flag 'output_grph'" in e.value.message
    assert "output_graph" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.freeze(input_graph=str(tmp_path / "missing.pb"), input_checkpoint="c",
                       output_node_names="y", output_graph=str(tmp_path / "f.pb"))
    assert "missing.pb" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.export(input_saved_model_dir=testdata(HALF_PLUS_TWO), export_dir=tmp_path / "e",
                       overwrite="perhaps")
    assert e.value.code_name == "INVALID_ARGUMENT"
    assert "'overwrite' takes true or false" in e.value.message
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.convert(saved_model_dir=testdata(HALF_PLUS_TWO), output_file=tmp_path / "o",
                        saved_model_signature_key="nope")
    assert e.value.code_name == "NOT_FOUND"
    assert "no signature 'nope'" in e.value.message
    assert not (tmp_path / "o").exists()


def test_read_checkpoint_of_a_tensorflow_saved_model(testdata):
    values = tfmodel.read_checkpoint(
        testdata("tf_serving/saved_model_half_plus_two_cpu/00000123/variables/variables"))
    assert sorted(values) == ["a", "a2", "b", "c", "c2"]
    assert values["a"].dtype == np.float32 and values["a"] == 0.5
    assert values["b"] == 2.0
    with pytest.raises(tfmodel.Error) as e:
        tfmodel.read_checkpoint(
            testdata("tf_serving/saved_model_half_plus_two_cpu/00000123/variables/variables"),
            names=["bb"])
    assert e.value.code_name == "NOT_FOUND" and "did you mean 'b'" in str(e.value)


def test_write_checkpoint_reads_back_and_restores_into_a_model(testdata, tmp_path):
    weights = {"dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
               "step": np.int64(7), "vocab": np.array([b"a", "\u00e9"], dtype=object)}
    prefix = tfmodel.write_checkpoint(tmp_path / "model", weights)
    back = tfmodel.read_checkpoint(tmp_path / "model.index")
    np.testing.assert_array_equal(back["dense/kernel"], weights["dense/kernel"])
    assert back["step"].dtype == np.int64 and back["step"] == 7
    assert list(back["vocab"]) == [b"a", "\u00e9".encode("utf-8")]
    assert os.fspath(prefix) == os.fspath(tmp_path / "model")
    # A copy of half_plus_two with its variables rewritten (a = 3) computes 3x + 2.
    model = tmp_path / "half_plus_two"
    shutil.copytree(testdata("tf_serving/saved_model_half_plus_two_cpu/00000123"), model)
    vars_ = tfmodel.read_checkpoint(model / "variables" / "variables")
    vars_["a"] = np.float32(3.0)
    tfmodel.write_checkpoint(model / "variables" / "variables", vars_)
    m = tfmodel.load(os.fspath(model))
    y = m.signatures["serving_default"](x=np.array([[1.0], [2.0]], dtype=np.float32))["y"]
    np.testing.assert_allclose(y, [[5.0], [8.0]])


def test_scalar_inputs_keep_rank_zero():
    # np.ascontiguousarray turns 0-d arrays into 1-d ones; a scalar must stay a scalar.
    for value in (np.float32(2.5), np.array(7, dtype=np.int64), 3.0):
        t = tfmodel._to_c(value, "x")
        assert tfmodel.lib.TFM_TensorRank(t.ptr) == 0
        back = tfmodel._from_c(t.ptr)
        assert back.shape == () and back == value
