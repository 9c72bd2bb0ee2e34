"""The cross-encoder's weights file: what it holds, and every way it can be unusable (missing,
damaged, another format or version), each said with the file and the fix."""
import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from rag.embed.cross_weights import (FORMAT, VERSION, CrossEncoderError, CrossEncoderSpec, read_weights,
                                     tensor_names, write_weights)

HIDDEN, FF = 8, 16


def _tensors(layers: int, seed: int = 0) -> dict[str, np.ndarray]:
    from rag.embed.cross_weights import expected_shape

    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(expected_shape(n, HIDDEN, FF)).astype(np.float32) for n in tensor_names(layers)}


def _spec(layers: int = 2) -> CrossEncoderSpec:
    return CrossEncoderSpec(layers, HIDDEN, 64, 16, "base-v2", {"data": {"source": "test"}})


def test_round_trip_keeps_spec_and_weights_in_fp16(tmp_path):
    t = _tensors(2)
    path = write_weights(tmp_path / "ce.safetensors", t, _spec())
    spec, back = read_weights(path)
    assert spec == _spec() and spec.trained == {"data": {"source": "test"}}
    assert sorted(back) == sorted(t)
    for n in t:
        assert back[n].dtype == np.float32
        np.testing.assert_allclose(back[n], t[n].astype(np.float16).astype(np.float32))
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_missing_file_says_so(tmp_path):
    with pytest.raises(CrossEncoderError, match="no cross-encoder weights at .*rag train cross-encoder.*rerank = false"):
        read_weights(tmp_path / "nowhere.safetensors")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_file_says_so(tmp_path, damage):
    path = write_weights(tmp_path / "ce.safetensors", _tensors(1), _spec(1))
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x07" * 1000, "empty": b""}[damage])
    with pytest.raises(CrossEncoderError, match="is damaged"):
        read_weights(path)


def test_wrong_version_and_foreign_files_say_so(tmp_path):
    t = _tensors(1)
    meta = _spec(1).metadata()
    newer = tmp_path / "newer.safetensors"
    save_file({n: v.astype(np.float16) for n, v in t.items()}, str(newer), metadata={**meta, "version": str(VERSION + 1)})
    with pytest.raises(CrossEncoderError, match=f"format version '{VERSION + 1}'; this release reads version {VERSION}"):
        read_weights(newer)
    foreign = tmp_path / "model.safetensors"
    save_file({"embeddings.word_embeddings.weight": np.zeros((4, 4), np.float32)}, str(foreign))
    with pytest.raises(CrossEncoderError, match="not a bulletin-rag cross-encoder"):
        read_weights(foreign)


def test_missing_tensor_wrong_shape_and_nan_are_damage(tmp_path):
    meta = _spec(1).metadata()
    t = _tensors(1)
    cases = {
        "missing": {n: v for n, v in t.items() if n != "head.bias"},
        "shape": {**t, "head.weight": np.zeros((2, HIDDEN), np.float32)},
        "nan": {**t, "layer.0.output.dense.bias": np.full(HIDDEN, np.nan, np.float32)},
    }
    for name, tensors in cases.items():
        path = tmp_path / f"{name}.safetensors"
        save_file({n: v.astype(np.float16) for n, v in tensors.items()}, str(path), metadata=meta)
        with pytest.raises(CrossEncoderError, match="is damaged"):
            read_weights(path)
    assert meta["format"] == FORMAT and json.loads(meta["trained"]) == {"data": {"source": "test"}}


def test_writing_refuses_the_wrong_tensors(tmp_path):
    with pytest.raises(ValueError, match="do not match 2 layers"):
        write_weights(tmp_path / "x.safetensors", _tensors(1), _spec(2))

