"""Which encoding a text file is in: UTF-8, UTF-16 (with or without a BOM), GB18030/GBK, Big5 or
Big5-HKSCS, or whatever charset-normalizer finds for the rest.

Chinese encodings overlap: most Big5 files decode without an error as GBK, and much GBK as Big5,
into valid but meaningless characters (mojibake). So each decoding that succeeds is judged by what
it reads as: the share of its characters beyond ASCII that are ordinary text -- punctuation, and Chinese
characters among the 3,755 of GB2312's first level (the common ones; Traditional characters are
folded to Simplified first). The right decoding of a bulletin scores about 0.99; Big5 read as GBK
about 0.6, GBK read as Big5 about 0.4, UTF-16 read the wrong way round about 0.2. Private-use
characters, unassigned code points, controls and U+FFFD count against a decoding. The best one is
taken when it is plainly text and plainly ahead of the next; otherwise the file is refused.
"""
from __future__ import annotations

import codecs
import functools
import unicodedata

SAMPLE = 100_000  # characters of each decoding that are judged
PLAIN = 0.9  # a decoding whose characters are less ordinary than this is not trusted
MARGIN = 0.1  # ... nor one this close to the next best
MIN_JUDGED = 8  # below this many non-ASCII characters any decoding that succeeds is as good


class EncodingError(ValueError):
    """No decoding of the bytes can be trusted; the message says what was tried."""


@functools.lru_cache(maxsize=65536)
def _ordinary(ch: str) -> float:
    """How ordinary ``ch`` is in a Chinese or English text: 1 plainly, 0.5 a rare character, 0 not."""
    o = ord(ch)
    if o < 0x80:
        return 1.0 if (ch.isprintable() or ch in "\t\n\r\f") else 0.0
    if ch == "\ufffd" or 0xE000 <= o <= 0xF8FF or o >= 0xF0000:  # replacement, private use
        return 0.0
    cat = unicodedata.category(ch)
    if cat in ("Cn", "Co", "Cs", "Cc"):
        return 0.0
    if 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF:
        return 1.0 if _common_hanzi(ch) else 0.3
    if 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or o in (0xB7, 0xD7, 0xA0):
        return 1.0  # CJK and general punctuation, full-width forms
    if cat[0] in "LN" and o < 0x250:  # Latin letters with accents, digits
        return 0.8
    return 0.2  # kana, Hangul, box drawing, Greek... in a Chinese bulletin, mostly mojibake


def _common_hanzi(ch: str) -> bool:
    """Among GB2312's first level (the 3,755 common characters), Traditional folded to Simplified."""
    from ..text import fold

    for c in (ch, fold(ch)):
        try:
            b = c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and 0xB0 <= b[0] <= 0xD7:
            return True
    return False


def plainness(text: str) -> tuple[float, int]:
    """The mean ordinariness of the characters of ``text``'s sample that are not ASCII (ASCII
    reads the same in every candidate but UTF-16, where it is not ASCII), and how many there
    were; a text of ASCII alone is plain if it holds no control characters."""
    sample = [ch for ch in text[:SAMPLE] if ord(ch) >= 0x80]
    if not sample:
        ascii_ = text[:SAMPLE]
        return (sum(map(_ordinary, ascii_)) / len(ascii_) if ascii_ else 0.0), 0
    return sum(map(_ordinary, sample)) / len(sample), len(sample)


CANDIDATES = ("utf-8", "gb18030", "big5hkscs", "utf-16-le", "utf-16-be")
NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030/GBK", "big5hkscs": "Big5/Big5-HKSCS", "utf-16-le": "UTF-16 LE",
         "utf-16-be": "UTF-16 BE"}


def detect(data: bytes) -> tuple[str, str]:
    """(text, encoding) of ``data``: the decoding that reads as ordinary text, judged as the module
    says; raises :class:`EncodingError` when none can be trusted."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace"), enc
    nul = b"\x00" in data[:8192]
    if not nul:
        try:
            return data.decode("utf-8"), "utf-8"  # UTF-8 is never valid by chance on real text
        except UnicodeDecodeError:
            pass
    readings: list[tuple[float, int, str, str]] = []
    for enc in CANDIDATES[1:]:
        if enc.startswith("utf-16") and len(data) % 2:
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if not enc.startswith("utf-16") and "\x00" in text:
            continue
        readings.append((*plainness(text), text, enc))
    if not readings and not nul:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            text = str(best)
            readings.append((*plainness(text), text, best.encoding))
    if not readings:
        raise EncodingError("not text in any encoding tried (" + ", ".join(NAMES.values()) + ")")
    readings.sort(key=lambda r: -r[0])
    score, judged, text, enc = readings[0]
    if score < PLAIN:
        raise EncodingError(f"cannot be decoded with confidence: its best reading ({NAMES.get(enc, enc)}) is "
                            f"{score:.0%} ordinary text; save it as UTF-8")
    if judged >= MIN_JUDGED and len(readings) > 1 and score - readings[1][0] < MARGIN:
        raise EncodingError(f"cannot be decoded with confidence: it reads as {NAMES.get(enc, enc)} "
                            f"({score:.0%} ordinary text) and as {NAMES.get(readings[1][3], readings[1][3])} "
                            f"({readings[1][0]:.0%}); save it as UTF-8")
    return text, enc
