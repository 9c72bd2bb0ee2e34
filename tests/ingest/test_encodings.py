"""Encodings a local office's files come in: Big5 and Big5-HKSCS (Taiwan, Hong Kong), GB18030,
UTF-16 without a BOM; a file no decoding of which reads as text is refused, never stored garbled."""
import numpy as np
import pytest

from rag.ingest.encoding import EncodingError, detect, plainness
from rag.ingest.readers import read_path
from rag.types import Skipped


@pytest.fixture(scope="module")
def traditional():
    import opencc

    from ..conftest import SEED

    return opencc.OpenCC("s2t").convert(SEED.read_text(encoding="utf-8")[:3000])


def _one(path):
    out = list(read_path(path))
    assert len(out) == 1
    return out[0]


def test_a_big5_file_is_read_as_big5_not_as_gbk(tmp_path, traditional):
    data = traditional.encode("big5", errors="ignore")
    text = data.decode("big5")
    assert data.decode("gb18030", errors="strict")  # it would decode as GBK without an error...
    p = tmp_path / "臺灣簡訊.txt"
    p.write_bytes(data)
    doc = _one(p)
    assert not isinstance(doc, Skipped) and doc.text == text  # ...but it is read as what it is
    assert "青島高新區" in doc.text


def test_big5_hkscs_characters(tmp_path):
    text = "香港特別行政區政府今日公布，嘅士和巴士服務照常。" * 3
    p = tmp_path / "hk.txt"
    p.write_bytes(text.encode("big5hkscs"))
    assert _one(p).text == text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom(tmp_path, traditional, encoding):
    p = tmp_path / "u16.txt"
    p.write_bytes(traditional.encode(encoding))
    assert _one(p).text == traditional
    english = "Qingdao Hi-tech Zone bulletin, January 2024.\n" * 5
    p.write_bytes(english.encode(encoding))
    assert _one(p).text == english


def test_gb18030_reads_as_gb18030(tmp_path, seed_text):
    p = tmp_path / "gb.txt"
    p.write_bytes(seed_text.encode("gb18030"))
    assert _one(p).text == seed_text
    assert detect(seed_text.encode("gb18030"))[1] == "gb18030"


def test_mojibake_and_private_use_lose(seed_text):
    right = plainness(seed_text)[0]
    wrong = plainness(seed_text.encode("gb18030").decode("big5hkscs", errors="replace"))[0]
    pua = plainness(seed_text[:200] + "\ue000\ue001\ue002" * 60)[0]
    assert right > 0.98 and wrong < 0.6 and pua < right - 0.1


def test_bytes_no_decoding_reads_as_text_are_refused_by_name(tmp_path):
    rng = np.random.default_rng(0)
    data = bytes(rng.integers(0xA1, 0xFA, 4000, dtype=np.uint8))  # valid GBK and Big5, meaningless in both
    with pytest.raises(EncodingError, match="confidence"):
        detect(data)
    p = tmp_path / "garbled.txt"
    p.write_bytes(data)
    out = _one(p)
    assert isinstance(out, Skipped) and out.path == str(p) and "cannot be decoded with confidence" in out.reason
