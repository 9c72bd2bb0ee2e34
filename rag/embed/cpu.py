"""What this CPU can do, read from ``/proc/cpuinfo`` (no torch import): the instruction sets that
decide which embedding path is fastest (:mod:`rag.embed.precision`) and that benchmarks print
beside their figures."""
from __future__ import annotations

from pathlib import Path

# the flags that matter for embedding speed, in the order benchmarks print them
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "avx_vnni")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> frozenset[str]:
    """The ``flags`` of the first processor in ``cpuinfo`` (empty where the file is unreadable,
    e.g. not Linux: then no native bf16 is assumed)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return parse_flags(text)


def parse_flags(cpuinfo_text: str) -> frozenset[str]:
    for line in cpuinfo_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_model(cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    try:
        for line in Path(cpuinfo).read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return "unknown CPU"


def has_native_bf16(flags: frozenset[str]) -> bool:
    """bf16 matrix arithmetic in hardware: AMX tiles or AVX-512 BF16 (torch's bf16 autocast is
    fast only there; elsewhere it is emulated and slower than fp32)."""
    return "amx_bf16" in flags or ("avx512_bf16" in flags and "avx512f" in flags)


def describe(flags: frozenset[str]) -> str:
    """``avx2 avx512f -avx512_vnni ...``: each reported flag, with ``-`` where it is missing."""
    return " ".join(f if f in flags else f"-{f}" for f in REPORTED_FLAGS)
