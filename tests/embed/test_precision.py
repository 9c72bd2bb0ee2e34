"""embed_precision: the setting, the rule `auto` follows, the CPU flags it reads, and what the
manifest and the embedding cache record."""
import numpy as np
import pytest

from rag.config import SettingsError, load_settings
from rag.embed import EmbeddingCache, combined_precision, embed_passages_cached, interchangeable
from rag.embed.cpu import describe, has_native_bf16, parse_flags
from rag.embed.model import Embedder, resolve_precision
from rag.embed.precision import PrecisionError, choose_precision

AMX = "processor\t: 0\nmodel name\t: Intel Xeon\nflags\t\t: fpu sse avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_int8\n"
EPYC = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse avx avx2 fma\n"


@pytest.mark.parametrize("requested, native_bf16, int8_ready, chosen", [
    ("auto", True, True, "int8"),     # AMX CPU, export present: int8 (start-up, latency, memory, busy cores)
    ("auto", False, True, "int8"),    # AVX2-only CPU: int8 is the fastest path there
    ("auto", True, False, "bf16"),    # no export: bf16 where the CPU has it natively
    ("auto", False, False, "fp32"),   # no export, no native bf16: the reference path
    ("bf16", False, True, "bf16"),    # explicit choices are honoured
    ("fp32", True, True, "fp32"),
    ("int8", False, True, "int8"),
])
def test_auto_picks_by_cpu_and_export(requested, native_bf16, int8_ready, chosen):
    assert choose_precision(requested, native_bf16, int8_ready) == chosen


def test_unknown_precision_is_refused():
    with pytest.raises(PrecisionError, match="auto, int8, bf16, fp32"):
        choose_precision("int4", True, True)


def test_the_setting_goes_through_coerce_from_env_and_toml(tmp_path):
    assert load_settings(env={}).embed_precision == "auto"
    assert load_settings(env={"RAG_EMBED_PRECISION": "int8"}).embed_precision == "int8"
    toml = tmp_path / "rag.toml"
    toml.write_text('embed_precision = "bf16"\nembed_batch_tokens = 2048\n', encoding="utf-8")
    s = load_settings(toml, env={})
    assert (s.embed_precision, s.embed_batch_tokens) == ("bf16", 2048)
    with pytest.raises(SettingsError, match="embed_precision.*int8"):
        load_settings(env={"RAG_EMBED_PRECISION": "int4"})
    with pytest.raises(SettingsError, match="embed_batch_tokens"):
        load_settings(env={}, embed_batch_tokens=0)


def test_cpu_flags_decide_native_bf16():
    amx, epyc = parse_flags(AMX), parse_flags(EPYC)
    assert has_native_bf16(amx) and not has_native_bf16(epyc)
    assert not has_native_bf16(parse_flags("flags : avx2 avx512_bf16\n"))  # BF16 without AVX-512F
    assert describe(epyc).startswith("avx2 -avx512f -avx512_vnni -avx512_bf16 -amx_bf16")
    assert parse_flags("no flags here") == frozenset()


def test_int8_without_export_says_how_to_make_it(tmp_path):
    s = load_settings(env={}, cache_dir=tmp_path, embed_precision="int8")
    with pytest.raises(Exception, match="rag prepare-model"):
        resolve_precision(s)
    other = load_settings(env={}, cache_dir=tmp_path, embed_precision="int8", model=str(tmp_path))
    with pytest.raises(Exception, match="bundled model only"):
        resolve_precision(other)
    # auto without the export falls back to torch: bf16 or fp32 by the CPU
    assert resolve_precision(s.replace(embed_precision="auto")) in ("bf16", "fp32")


def test_precisions_share_an_index_and_the_manifest_lists_them():
    assert interchangeable("int8", "fp32") and interchangeable("bf16", "int8")
    assert not interchangeable("auto", "fp32")
    assert combined_precision(None, "int8") == "int8"
    assert combined_precision("fp32", "int8") == "fp32+int8"
    assert combined_precision("bf16+int8", "int8") == "bf16+int8"


def _const(texts):
    return np.ones((len(texts), 4), np.float32)


def test_the_embedding_cache_keeps_precisions_apart(tmp_path):
    calls = []

    def enc(texts):
        calls.extend(texts)
        return _const(texts)

    fp32 = Embedder("m", enc, 4, "", "passage: ", precision="fp32")
    int8 = Embedder("m", enc, 4, "", "passage: ", precision="int8")
    assert fp32.fingerprint["precision"] == "fp32" and int8.fingerprint["precision"] == "int8"
    for emb in (fp32, int8, fp32):
        cache = EmbeddingCache(tmp_path, emb.fingerprint)
        try:
            embed_passages_cached(emb, ["青岛高新区"], cache)
        finally:
            cache.close()
    assert len(calls) == 2  # once per precision; the second fp32 pass came from its cache
    assert len(list((tmp_path / "embeddings").glob("*.sqlite"))) == 2


def test_the_manifest_records_the_precision_and_a_mix(tmp_path):
    from rag.index import Index, ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。", encoding="utf-8")
    s = load_settings(env={}, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    ingest([corpus], s, Embedder("m", _const, 4, "q: ", "p: ", precision="bf16"))
    assert Index.load(s.index_dir).manifest.model["precision"] == "bf16"
    (corpus / "b.txt").write_text("火炬创新积分贷为科技企业提供无抵押信用贷款。", encoding="utf-8")
    # another precision of the same model adds to the index instead of refusing it
    report = ingest([corpus], s, Embedder("m", _const, 4, "q: ", "p: ", precision="int8"))
    assert report.added == ["b.txt"] or len(report.added) == 1
    assert Index.load(s.index_dir).manifest.model["precision"] == "bf16+int8"
    # nothing new embedded: the record does not change
    (corpus / "b.txt").touch()
    ingest([corpus], s, Embedder("m", _const, 4, "q: ", "p: ", precision="fp32"))
    assert Index.load(s.index_dir).manifest.model["precision"] == "bf16+int8"
    ingest([corpus], s, Embedder("m", _const, 4, "q: ", "p: ", precision="int8"), rebuild=True)
    assert Index.load(s.index_dir).manifest.model["precision"] == "int8"
