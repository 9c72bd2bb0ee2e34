"""Which embedding path serves: ``embed_precision = "auto" | "int8" | "bf16" | "fp32"``.

- ``int8``: the model exported to ONNX and dynamically quantised once, at ``rag prepare-model``
  (:mod:`rag.embed.int8`), run by ONNX Runtime (:mod:`rag.embed.ort_encoder`). No torch import.
- ``bf16``: sentence-transformers under torch's bf16 autocast. Fast only where the CPU has bf16
  in hardware (AMX or AVX-512 BF16); elsewhere it is emulated, slower than fp32.
- ``fp32``: sentence-transformers in fp32, the reference every other path is measured against.

``auto`` picks, on the CPU it runs on (measured on 2 cores, crud-news passages; eval/README.md
has the tables):

1. ``int8`` whenever ONNX Runtime is installed and the int8 export of the model exists, for
   questions and ingest alike. A question embeds in ~5 ms instead of ~28 ms (torch fp32); a
   one-shot command starts without importing torch (about 10 s less); ingest stays under 1 GB
   (701 MB against 1,462 MB for torch bf16, 150 crud-news documents). On the AVX2-only AMD EPYC it
   embeds 21.2 passages/s against 17.6 in torch fp32 (bf16 is emulated there). On the AMX Xeon,
   quiet, int8 ingested 10.5 crud-news documents/s against 7.5 for torch bf16 and embedded a
   question in 4.3 ms against 40 ms (docs/decisions.md, "embed_precision"); on a busy machine
   the gap grows (torch's threads stall when cores are shared). Ask for ``bf16`` or ``fp32`` to
   use torch.
2. else ``bf16`` where the CPU has native bf16 (2.1x torch fp32 on the AMX Xeon, vectors within
   cosine 0.9999 of fp32);
3. else ``fp32``.

An index may hold vectors of several precisions, and questions of one precision search passages
of another (:func:`interchangeable`): int8 is within the accuracy guard of fp32 (cosine >= 0.99 on
1,000 real passages, MRR@10 within 0.005; eval/README.md), bf16 within cosine 0.9999.
"""
from __future__ import annotations

from ..config import EMBED_PRECISIONS as PRECISIONS


class PrecisionError(ValueError):
    """An embed_precision that is not one of :data:`PRECISIONS`, or one this model cannot run."""


def check_precision(value: str) -> str:
    if value not in PRECISIONS:
        raise PrecisionError(f"embed_precision must be one of {', '.join(PRECISIONS)}, not {value!r}")
    return value


def choose_precision(requested: str, native_bf16: bool, int8_ready: bool) -> str:
    """The precision that serves ``requested`` (see the module's docstring for the rule).

    ``native_bf16``: the CPU has AMX or AVX-512 BF16 (:func:`rag.embed.cpu.has_native_bf16`);
    ``int8_ready``: ONNX Runtime is installed and the model's int8 export exists. An explicit
    ``int8`` that is not ready is the caller's error to report (it says how to prepare it); an
    explicit ``bf16`` or ``fp32`` is always honoured.
    """
    check_precision(requested)
    if requested != "auto":
        return requested
    if int8_ready:
        return "int8"
    return "bf16" if native_bf16 else "fp32"


def interchangeable(a: str, b: str) -> bool:
    """May vectors of precisions ``a`` and ``b`` share an index (passages embedded in one,
    questions in the other)? Yes for every pair: each path is within the accuracy guard of fp32
    (int8 questions against fp32 passages: MRR@10 measured in eval/README.md), so an index built
    with bf16 on one machine is searched with int8 on another, and a re-ingest in another
    precision does not force a rebuild. The embedding cache still keeps each precision apart."""
    return a in PRECISIONS[1:] and b in PRECISIONS[1:]


def combined_precision(kept: str | None, new: str) -> str:
    """What an index records when vectors of ``kept`` (the old generation's, where some are
    carried over; ``None`` when none are, or the index never said) join vectors of ``new``:
    ``"bf16+int8"`` for a mix, sorted, so the manifest says which precisions it holds."""
    parts = set(filter(None, (kept or "").split("+"))) | {new}
    return "+".join(sorted(parts))
