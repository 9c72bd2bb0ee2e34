"""The typed records that flow through bulletin-rag: documents, chunks, hits, skipped files."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Document:
    """One source document after reading: a bulletin file or one JSONL record.

    ``doc_id`` is the path relative to the ingest root (files) or the record id (JSONL).
    ``text`` is the cleaned text that chunk offsets refer to.
    """

    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    date: str = ""
    path: str = ""
    format: str = ""
    fingerprint: str = ""  # sha256 of the text; identical documents share it
    aliases: list[str] = field(default_factory=list)  # ids of identical documents stored once
    alias_paths: dict[str, str] = field(default_factory=dict)  # alias id -> the file it was read from
    date_source: str = ""  # where the date came from: record, page, text, file name, PDF/DOCX metadata


@dataclass
class Block:
    """A layout unit of a bulletin: a run of body text, or one photo caption."""

    text: str
    kind: str  # "body" | "caption" | "table"
    title: str
    section: tuple[str, ...]
    author: str
    start: int  # character offsets into Document.text
    end: int


@dataclass
class Chunk:
    """A retrievable passage with everything needed to cite it."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    section: str = ""  # section path joined with " > "
    author: str = ""
    date: str = ""
    source: str = ""
    kind: str = "body"  # "body" | "caption" | "table" (a table's rows, one sentence each)
    start: int = 0
    end: int = 0
    planted: bool = False  # tells its reader what to do or answer (rag.text.planted_instruction): never quoted
    page: int = 0  # the page it starts on (PDFs, scans, images; 1-based), 0: unknown or not paged

    def embed_text(self) -> str:
        """The text given to the embedder and the lexical index: context header + passage."""
        head = self.section or self.title
        return f"{head}\n{self.text}" if head and head not in self.text else self.text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Hit:
    """One ranked passage returned by a search.

    ``score`` is the first stage's score in the mode that produced the hit (cosine for dense,
    BM25 for lexical, the fused 0..1 score for hybrid), which orders the results unless the
    cross-encoder reranked them: then ``rerank_score`` (its raw score, higher is better; None
    for passages past the reranked depth) orders the top of the list. ``relevance`` is
    comparable across modes and queries (0..1) and is what the relevance floor applies to.
    """

    chunk: Chunk
    rank: int
    score: float
    relevance: float
    dense_score: float | None = None
    lexical_score: float | None = None
    rerank_score: float | None = None

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank, "doc_id": c.doc_id, "chunk_id": c.chunk_id,
            "score": round(float(self.score), 6), "relevance": round(float(self.relevance), 6),
            "rerank_score": None if self.rerank_score is None else round(float(self.rerank_score), 4),
            "title": c.title, "section": c.section, "author": c.author, "date": c.date,
            "kind": c.kind, "page": c.page, "text": c.text,
        }


@dataclass
class SearchResult:
    """Hits for one query, plus whether anything cleared the relevance floor."""

    query: str
    mode: str
    hits: list[Hit]
    found: bool  # False: nothing relevant found (top relevance under the floor)
    undated: int = 0  # documents a date filter left out because they carry no date


@dataclass
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest did."""

    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # duplicate id -> kept id
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)  # ingested, with something left out (an unreadable date)
    embedded: int = 0  # chunks that needed the model (the rest were reused)
    seconds: float = 0.0
    rebuilt: str = ""  # why the index was rebuilt from scratch (another model or chunker), if it was


@dataclass
class Citation:
    """A numbered source of an answer: marker ``[n]`` in the answer text points here."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    quote: str  # the supporting sentence from the passage
    score: float  # retrieval relevance of the passage
    author: str = ""
    date: str = ""
    kind: str = "body"
    page: int = 0  # the page of its passage (PDFs, scans), 0: unknown

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """The reply to one question.

    ``text`` carries markers ``[1]``, ``[2]`` after the claims they support; ``citations``
    resolve them. ``passages`` are the retrieved passages the answer was built from.
    ``refused`` is True when the bulletins hold nothing relevant (``text`` then says so).
    ``note`` explains anything the user should know, such as a fallback from the LLM.
    ``unsupported`` is True when the LLM made a claim no passage supports.
    ``caveat`` is set when the bulletins hold a neighbouring fact but not the one asked (another
    year, place, company or level): it says, in the question's language, what they lack and what
    they hold ("简报中没有2022年的数据，只有2023年以来的"), and ``text`` begins with it.
    ``outcome`` is ``answer``, ``caveat`` or ``refusal``.
    """

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    refused: bool = False
    backend: str = "extractive"  # extractive | llm
    note: str = ""
    unsupported: bool = False
    search_query: str = ""  # the standalone question used for retrieval (after condensing)
    lang: str = "zh"
    caveat: str = ""

    @property
    def outcome(self) -> str:
        return "refusal" if self.refused else "caveat" if self.caveat else "answer"

    @property
    def rewritten(self) -> bool:
        """Was the question made standalone (a follow-up) before it was searched?"""
        return bool(self.search_query) and self.search_query != self.question

    def to_dict(self) -> dict:
        return {
            "question": self.question, "text": self.text, "outcome": self.outcome, "caveat": self.caveat,
            "refused": self.refused,
            "backend": self.backend, "note": self.note, "unsupported": self.unsupported,
            "search_query": self.search_query, "lang": self.lang,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
        }
