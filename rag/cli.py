"""The ``rag`` command line: ingest, search, eval, ask, serve and friends."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .config import Settings, load_settings


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("settings (override rag.toml and RAG_* variables)")
    g.add_argument("--config", help="TOML settings file")
    g.add_argument("--index", dest="index_dir", help="index folder (default: index/)")
    g.add_argument("--model", help="embedding model: a sentence-transformers folder or hub name")
    g.add_argument("--chunk-tokens", type=int, help="chunk budget in tokens")
    g.add_argument("--chunk-overlap", dest="chunk_overlap_tokens", type=int, help="overlap in tokens")
    g.add_argument("--lexical", dest="lexical_tokenizer", choices=["bigram", "jieba"])
    g.add_argument("--index-type", choices=["flat", "hnsw", "ivfpq"])


def _settings(args) -> Settings:
    s = load_settings(args.config)
    over = {k: getattr(args, k, None) for k in ("model", "chunk_tokens", "chunk_overlap_tokens",
                                                 "lexical_tokenizer", "index_type")}
    if getattr(args, "index_dir", None):
        over["index_dir"] = Path(args.index_dir)
    return s.replace(**over)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class _Bar:
    """A tqdm progress bar per ingest stage, on stderr."""

    def __init__(self, quiet: bool = False):
        self.quiet, self.bar, self.stage = quiet, None, None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=f"{stage:>6}", unit="chunk" if stage == "embed" else "item",
                            file=sys.stderr, leave=True, dynamic_ncols=True)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def print_report(report, out=sys.stdout) -> None:
    print(f"documents: {report.documents}  chunks: {report.chunks}  "
          f"added: {len(report.added)}  updated: {len(report.updated)}  "
          f"unchanged: {len(report.unchanged)}  removed: {len(report.removed)}  "
          f"duplicates: {len(report.duplicates)}  embedded: {report.embedded}  "
          f"time: {report.seconds:.1f}s", file=out)
    if report.skipped:
        print(f"skipped {len(report.skipped)}:", file=out)
        for s in report.skipped:
            print(f"  {s.path}: {s.reason}", file=out)


def cmd_prepare_model(args) -> int:
    from .embeddings import load_embedder

    s = _settings(args)
    emb = load_embedder(s, _log)
    print(f"model ready: {emb.model_id} (dim {emb.dim})")
    return 0


def cmd_ingest(args) -> int:
    from .embeddings import load_embedder
    from .ingest import ingest

    s = _settings(args)
    emb = load_embedder(s, _log)
    bar = _Bar(args.quiet)
    try:
        report = ingest(args.paths, s, emb, rebuild=args.rebuild, progress=bar)
    finally:
        bar.close()
    print_report(report)
    return 0


def _filters(args):
    from .retriever import Filters

    return Filters(tuple(args.doc or ()), tuple(args.source or ()), args.date_from or "", args.date_to or "")


def open_retriever(s: Settings):
    from .embeddings import load_embedder
    from .index import Index
    from .retriever import Retriever

    index = Index.load(s.index_dir)
    return Retriever(index, load_embedder(s, _log), s)


def _questions(path):
    from .questions import read_question_set

    questions, problems = read_question_set(path)
    for p in problems:
        _log(f"rag: skipped malformed question: {p}")
    return questions


def cmd_search(args) -> int:

    s = _settings(args)
    r = open_retriever(s)
    if args.questions:
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        for q in _questions(args.questions):
            res = r.search(q.question, k=args.k, mode=args.mode, filters=_filters(args))
            out.write(json.dumps({"id": q.id, "question": q.question, "found": res.found,
                                  "hits": [h.to_dict() for h in res.hits]}, ensure_ascii=False) + "\n")
        return 0
    res = r.search(args.query, k=args.k, mode=args.mode, filters=_filters(args))
    if args.json:
        print(json.dumps({"question": args.query, "mode": res.mode, "found": res.found,
                          "hits": [h.to_dict() for h in res.hits]}, ensure_ascii=False, indent=1))
        return 0
    print_hits(res)
    return 0


def print_hits(res, out=sys.stdout) -> None:
    if not res.found:
        print("(nothing relevant found: every passage is under the relevance floor)", file=out)
    for h in res.hits:
        c = h.chunk
        where = c.section or c.title
        print(f"[{h.rank}] {c.doc_id}  {where}  score={h.score:.4f} relevance={h.relevance:.3f}"
              + (f"  ({c.kind})" if c.kind != "body" else ""), file=out)
        print("    " + c.text.replace("\n", "\n    "), file=out)


def cmd_eval(args) -> int:
    from .embeddings import load_embedder
    from .evaluate import eval_index_dir, per_question_rows, run_questions, score
    from .index import IndexMismatch
    from .ingest import ingest
    from .retriever import MODES, Retriever
    from .index import Index

    s = _settings(args)
    questions = _questions(args.questions)
    corpus = [Path(p) for p in args.corpus]
    ks = sorted({int(x) for x in args.k.split(",")})
    modes = list(MODES) if args.mode == "all" else [args.mode]
    emb = load_embedder(s, _log)
    folder = Path(args.index_dir) if args.index_dir else eval_index_dir(
        s.cache_dir, corpus, {"model": emb.fingerprint, "chunker": s.chunker.to_dict(),
                              "lexical": s.lexical_tokenizer, "index_type": s.index_type})
    bar = _Bar(args.quiet)
    try:
        report = ingest(corpus, s, emb, index_dir=folder, progress=bar)
    except IndexMismatch:
        report = ingest(corpus, s, emb, index_dir=folder, progress=bar, rebuild=True)
    finally:
        bar.close()
    _log(f"index {folder}: {report.documents} documents, {report.chunks} chunks "
         f"({report.embedded} embedded now, {len(report.skipped)} skipped)")
    r = Retriever(Index.load(folder), emb, s)
    r.search("warm up", k=1)
    result = {"n": len(questions), "questions": str(args.questions),
              "corpus": [str(p) for p in corpus], "index": str(folder),
              "chunks": report.chunks, "settings": {"model": emb.model_id, **s.chunker.to_dict(),
                                                    "lexical": s.lexical_tokenizer, "index_type": s.index_type},
              "modes": {}}
    rows = []
    for mode in modes:
        res = run_questions(r, questions, mode, k=max(ks + [10]))
        result["modes"][mode] = score(res, ks, args.char_budget)
        rows.extend(per_question_rows(res, mode))
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.per_question:
        with open(args.per_question, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def format_table(result: dict) -> str:
    modes = result["modes"]
    keys = [k for k in next(iter(modes.values())).keys()]
    width = max(len(k) for k in keys)
    lines = [f"{'':<{width}}  " + "  ".join(f"{m:>9}" for m in modes)]
    for k in keys:
        cells = []
        for m in modes:
            v = modes[m].get(k)
            cells.append(f"{'-' if v is None else (f'{v:.4f}' if isinstance(v, float) else v):>9}")
        lines.append(f"{k:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def cmd_remove(args) -> int:
    from .ingest import remove_documents

    report = remove_documents(args.doc_ids, _settings(args))
    print_report(report)
    return 0


def cmd_info(args) -> int:
    from .index import Index

    info = Index.load(_settings(args).index_dir).describe()
    print(json.dumps(info, ensure_ascii=False, indent=1))
    return 0


def cmd_shell(args) -> int:
    """An interactive search prompt."""
    s = _settings(args)
    r = open_retriever(s)
    info = r.index.describe()
    print(f"bulletin-rag search: {info['documents']} documents, {info['chunks']} passages. "
          "Type a question (empty line or Ctrl-D to quit).")
    while True:
        try:
            q = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not q:
            return 0
        t0 = time.perf_counter()
        res = r.search(q, k=args.k, mode=args.mode)
        print_hits(res)
        print(f"({(time.perf_counter() - t0) * 1000:.0f} ms)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Semantic search and answers over Chinese news bulletins.")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("prepare-model", help="convert the bundled embedding model (once)")
    _common(sp)
    sp.set_defaults(func=cmd_prepare_model)

    sp = sub.add_parser("ingest", help="add or refresh files and folders in the index")
    sp.add_argument("paths", nargs="+")
    sp.add_argument("--rebuild", action="store_true", help="start a fresh index (e.g. after a model change)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(sp)
    sp.set_defaults(func=cmd_ingest)

    def search_opts(sp):
        sp.add_argument("--k", type=int, default=5)
        sp.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default=None)

    sp = sub.add_parser("search", help="ranked passages for a question")
    sp.add_argument("query", nargs="?")
    search_opts(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--questions", help="JSONL question set: one JSON line of hits per question")
    sp.add_argument("--output", "-o", help="with --questions: write here instead of stdout")
    sp.add_argument("--doc", action="append", help="only this document id (repeatable)")
    sp.add_argument("--source", action="append", help="only this source (repeatable)")
    sp.add_argument("--date-from")
    sp.add_argument("--date-to")
    _common(sp)
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("eval", help="score retrieval on a question set")
    sp.add_argument("questions")
    sp.add_argument("--corpus", nargs="+", required=True)
    sp.add_argument("--k", default="1,3,5,10")
    sp.add_argument("--mode", choices=["hybrid", "dense", "lexical", "all"], default="all")
    sp.add_argument("--json", help="write the scores here")
    sp.add_argument("--per-question", help="write per-question hits (JSONL) here")
    sp.add_argument("--char-budget", type=int, default=1000)
    sp.add_argument("--quiet", action="store_true")
    _common(sp)
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("remove", help="remove documents from the index")
    sp.add_argument("doc_ids", nargs="+")
    _common(sp)
    sp.set_defaults(func=cmd_remove)

    sp = sub.add_parser("info", help="describe the index")
    _common(sp)
    sp.set_defaults(func=cmd_info)

    sp = sub.add_parser("shell", help="interactive search prompt")
    search_opts(sp)
    _common(sp)
    sp.set_defaults(func=cmd_shell)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "search" and not args.query and not args.questions:
        build_parser().error("search needs a query or --questions FILE")
    from .index import IndexCorrupt, IndexMismatch, IndexNotFound
    from .embeddings import ModelError
    from .questions import QuestionSetError

    try:
        return args.func(args)
    except (IndexNotFound, IndexMismatch, IndexCorrupt, ModelError, QuestionSetError,
            FileNotFoundError, KeyError, ValueError, RuntimeError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"rag: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
