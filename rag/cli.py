"""The ``rag`` command line: ingest, search, eval, ask, serve, check and friends.

Exit codes: 0 done; 1 done, but some files or paths were skipped (``rag ingest``) or the index
has problems (``rag check``); 2 an error, nothing done.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .config import Settings, SettingsError, check_k, load_settings
from .text.chars import escape_controls
from .workspace import kb_settings


def one_line(text) -> str:
    """``text`` on one line: line breaks, tabs and other control characters (a file name may
    hold any of them) written as escapes, so each record of the output stays one line."""
    return escape_controls(str(text or ""))


def k_option(value: str) -> int:
    """``--k``: passages to return, 1 to 1000."""
    try:
        return check_k(value)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("settings (override rag.toml and RAG_* variables)")
    g.add_argument("--config", help="TOML settings file")
    g.add_argument("--index", dest="index_dir", help="index folder (default: index/)")
    g.add_argument("--kb", help="a knowledge base by name or id (`rag kb list`) instead of --index")
    g.add_argument("--data-dir", help="the folder of knowledge bases, conversations and feedback (default: data/)")
    g.add_argument("--model", help="embedding model: a sentence-transformers folder or hub name")
    g.add_argument("--chunk-tokens", type=int, help="chunk budget in tokens")
    g.add_argument("--chunk-overlap", dest="chunk_overlap_tokens", type=int, help="overlap in tokens")
    g.add_argument("--lexical", dest="lexical_tokenizer", choices=["bigram", "jieba"])
    g.add_argument("--index-type", choices=["auto", "flat", "hnsw", "hnswsq8", "ivfsq8", "ivfpq"])


def _settings(args, create_kb: bool = False) -> Settings:
    s = load_settings(args.config)
    over = {k: getattr(args, k, None) for k in ("model", "chunk_tokens", "chunk_overlap_tokens",
                                                 "lexical_tokenizer", "index_type", "data_dir")}
    if getattr(args, "index_dir", None):
        over["index_dir"] = Path(args.index_dir)
    s = s.replace(**over)
    if getattr(args, "kb", None):
        if getattr(args, "index_dir", None):
            raise ValueError("give --kb NAME or --index DIR, not both")
        s = kb_settings(s, _knowledge_base(s, args.kb, create_kb))
    return s


def _knowledge_base(s: Settings, name: str, create: bool = False):
    """Knowledge base ``name``; with ``create``, a new one when there is none of that name."""
    from .workspace import KBError, KnowledgeBases

    kbs = KnowledgeBases(s)
    try:
        return kbs.get(name)
    except KBError as exc:
        if exc.code != "not_found" or not create:
            raise
    kb = kbs.create(name)
    _log(f"rag: created knowledge base {kb.name!r} ({kbs.folder(kb.id)})")
    return kb


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
            self.bar = tqdm(total=total, desc=f"{stage:>6}", unit={"embed": "chunk", "ocr": "page"}.get(stage, "item"),
                            file=sys.stderr, leave=True, dynamic_ncols=True)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def print_report(report, out=None) -> None:
    out = out or sys.stdout  # looked up now: the caller may have redirected it
    print(f"documents: {report.documents}  chunks: {report.chunks}  "
          f"added: {len(report.added)}  updated: {len(report.updated)}  "
          f"unchanged: {len(report.unchanged)}  removed: {len(report.removed)}  "
          f"duplicates: {len(report.duplicates)}  embedded: {report.embedded}  "
          f"time: {report.seconds:.1f}s", file=out)
    if report.skipped:
        print(f"skipped {len(report.skipped)}:", file=out)
        for s in report.skipped:
            print(f"  {one_line(s.path)}: {one_line(s.reason)}", file=out)
    if report.warnings:
        print(f"warnings {len(report.warnings)}:", file=out)
        for s in report.warnings[:20]:
            print(f"  {one_line(s.path)}: {one_line(s.reason)}", file=out)
        if len(report.warnings) > 20:
            print(f"  ... and {len(report.warnings) - 20} more", file=out)


def cmd_prepare_model(args) -> int:
    """Convert the bundled model and export it to int8 (once), then load what serves."""
    from .embed import load_embedder, prepare_model

    s = _settings(args)
    prepare_model(s, _log)
    from .text.lexicon import open_lexicon

    _log(f"jieba's dictionary for one-shot questions: {open_lexicon(s.cache_dir / 'lexicon').path}")
    emb = load_embedder(s, _log)
    emb.embed_queries(["青岛"])  # loads it fully: a damaged model fails here, not at the first question
    print(f"model ready: {emb.model_id} (dim {emb.dim}, {emb.precision})")
    if s.rerank:  # the reranker's ONNX export (once, ~20 s), so the first search does not wait for it
        from .embed.cross_weights import CrossEncoderError
        from .search.cross_rerank import load_passage_reranker

        try:
            ce = load_passage_reranker(s.reranker_model, s.cache_dir, s.rerank_precision)
            ce.model.score([("青岛", "青岛")])
            print(f"reranker ready: {ce.path.name} ({ce.spec.layers} layers, {s.rerank_precision})")
        except CrossEncoderError as exc:
            _log(f"rag: {exc}")
    return 0


def cmd_ingest(args) -> int:
    from .embed import load_embedder
    from .index import ingest

    s = _settings(args, create_kb=True)  # `rag ingest files --kb NEW` starts a knowledge base
    emb = load_embedder(s, _log)
    bar = _Bar(args.quiet)
    try:
        report = ingest(args.paths, s, emb, rebuild=args.rebuild, progress=bar,
                        rebuild_on_mismatch=args.rebuild_on_mismatch, log=_log)
    finally:
        bar.close()
    if report.rebuilt:
        _log(f"rag: {report.rebuilt}; rebuilt it.")
    print_report(report)
    if report.skipped:
        _log(f"rag: {len(report.skipped)} skipped (listed above); the rest is in the index")
        return 1
    return 0


def _filters(args):
    from .search import Filters

    return Filters(tuple(args.doc or ()), tuple(args.source or ()), args.date_from or "", args.date_to or "")


def open_index(s: Settings):
    """The index of ``s``, saying so on stderr when its ``CURRENT`` had to be recovered."""
    from .index import open_index as open_store

    index = open_store(s)
    if index.recovered:
        _log(f"rag: {index.recovered}")
    return index


def open_retriever(s: Settings):
    from .embed import load_embedder
    from .search import Retriever
    from .text import use_lexicon

    use_lexicon(s.cache_dir / "lexicon")  # a one-shot search reads jieba's words, not loads them all
    index = open_index(s)
    return Retriever(index, load_embedder(s, _log, short_requests=True), s)


def _questions(path):
    from .evals.questions import read_question_set

    questions, problems = read_question_set(path)
    for p in problems:
        _log(f"rag: skipped malformed question: {p}")
    return questions


def cmd_search(args) -> int:
    filters = _filters(args)  # a bad date fails here, before the model loads
    s = _settings(args)
    r = open_retriever(s)
    if args.questions:
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        for q in _questions(args.questions):
            res = r.search(q.question, k=args.k, mode=args.mode, filters=filters)
            out.write(json.dumps({"id": q.id, "question": q.question, "found": res.found,
                                  "hits": [h.to_dict() for h in res.hits]}, ensure_ascii=False) + "\n")
        return 0
    if len(args.query) > s.max_question_chars:
        raise ValueError(f"the query is {len(args.query)} characters long; the limit is {s.max_question_chars} "
                         "(max_question_chars): shorten it")
    res = r.search(args.query, k=args.k, mode=args.mode, filters=filters)
    if args.json:
        print(json.dumps({"question": args.query, "mode": res.mode, "found": res.found, "undated_left_out": res.undated,
                          "hits": [h.to_dict() for h in res.hits]}, ensure_ascii=False, indent=1))
        return 0
    print_hits(res)
    return 0


def where(c) -> str:
    """A passage's or citation's place: its file, and its page when it has one."""
    return one_line(c.doc_id) + (f", p. {c.page}" if getattr(c, "page", 0) else "")


def print_hits(res, out=None) -> None:
    out = out or sys.stdout  # looked up now: the caller may have redirected it
    if res.undated:
        from .search import undated_note

        print(f"({undated_note(res.undated)})", file=out)
    if not res.found:
        print("(nothing relevant found: every passage is under the relevance floor)", file=out)
    for h in res.hits:
        c = h.chunk
        heading = one_line(c.section or c.title)
        rerank = "" if h.rerank_score is None else f" rerank={h.rerank_score:.3f}"
        print(f"[{h.rank}] {where(c)}  {heading}  score={h.score:.4f} relevance={h.relevance:.3f}{rerank}"
              + (f"  ({c.kind})" if c.kind != "body" else "") + (f"  {c.date}" if c.date else ""), file=out)
        print("    " + c.text.replace("\n", "\n    "), file=out)


def cmd_eval(args) -> int:
    """Score configurations side by side on question sets (or compare two results)."""
    from .evals.report import compare, load_result, write_report

    if args.compare:
        print(compare(load_result(args.compare[0]), load_result(args.compare[1]), args.only), end="")
        return 0
    if not args.questions or not args.corpus:
        raise ValueError("eval needs question set(s) and --corpus PATH... (or --compare OLD.json NEW.json)")
    from .evals.build import Builder, prepare_corpus, twin_map
    from .evals.configs import default_configs, load_configs, settings_record, with_answers
    from .evals.questions import read_question_sets, sample_questions
    from .evals.runs import EvalPlan, per_question_rows, run_eval
    from .search import MODES

    s = _settings(args)
    questions, problems = read_question_sets(args.questions)
    if problems and args.strict:
        raise ValueError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    for p in problems:
        _log(f"rag: skipped malformed question: {p}")
    questions = sample_questions(questions, args.sample_questions, args.seed)
    try:
        ks = sorted({int(x) for x in args.k.split(",") if x.strip()})
    except ValueError:
        raise ValueError(f"--k takes cut-offs such as 1,3,5,10, not {args.k!r}") from None
    if not ks or ks[0] < 1:
        raise ValueError("--k needs positive cut-offs such as 1,3,5,10")
    corpus, raws, skipped, sample = prepare_corpus([Path(p) for p in args.corpus], questions, args.sample_docs,
                                                   args.seed, s.cache_dir, _log, s.limits)
    if args.configs:
        configs = load_configs(args.configs)
    else:
        configs = default_configs(list(MODES) if args.mode in (None, "all") else [args.mode], args.baseline)
    configs = with_answers(configs, args.answers)
    plan = EvalPlan(questions, configs, ks, args.char_budget, args.seed, args.bootstrap)
    builder = Builder(s, corpus, raws, Path(args.index_dir) if args.index_dir else None, _log,
                      lambda: _Bar(args.quiet))
    rows: list[dict] = []  # every hit of every question, for --per-question
    result = run_eval(plan, builder, twin_map(raws), _log,
                      on_results=(lambda name, res: rows.extend(per_question_rows(res, name)))
                      if args.per_question else None)
    result.update(questions=args.questions[0] if len(args.questions) == 1 else list(args.questions),
                  corpus=list(args.corpus), sample=sample, skipped=len(skipped), settings=settings_record(s))
    ours = [c for c in configs if not c.baseline]
    if ours:
        result.update(index=result["configs"][ours[0].name].get("index"),
                      chunks=result["configs"][ours[0].name].get("chunks"))
    if not args.configs:  # the shape `rag eval` always had: scores by mode
        result["modes"] = {c.name: result["configs"][c.name]["scores"] for c in ours}
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.per_question:
        with open(args.per_question, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.report:
        files = write_report(result, args.report)
        _log(f"report: {', '.join(str(f) for f in files)}")
    return 0


def format_table(result: dict) -> str:
    """Configurations (or, in results of old, modes) side by side, one metric a row."""
    from .evals.report import text_table

    return text_table(result)


def cmd_remove(args) -> int:
    from .index import remove_documents

    report = remove_documents(args.doc_ids, _settings(args), log=_log)
    print_report(report)
    return 0


def cmd_compact(args) -> int:
    from .index import compact_index

    report = compact_index(_settings(args), log=_log)
    print(f"compacted: {report.documents} documents, {report.chunks} passages in one segment "
          f"({report.seconds:.1f}s)")
    return 0


def cmd_info(args) -> int:
    index = open_index(_settings(args))
    if args.documents:  # one line each: date (where it came from), id, title
        docs = index.iter_documents(text=False) if hasattr(index, "iter_documents") else index.documents.values()
        for d in sorted(docs, key=lambda d: (d.date or "~", d.doc_id)):
            date = f"{d.date} ({d.date_source})" if d.date else "undated"
            print(f"{date:<28} {one_line(d.doc_id)}  {one_line(d.title)}")
        return 0
    print(json.dumps(index.describe(), ensure_ascii=False, indent=1))
    return 0


def cmd_check(args) -> int:
    """Verify the index: checksums of every file, and metadata, vectors and BM25 against each other."""
    from .index import check_index, repair_pointer

    s = _settings(args)
    if s.store == "milvus":
        index = open_index(s)
        problems = index.verify()
        for line in problems:
            print(one_line(line))
        print(f"{s.index_dir} (Milvus collection {index.collection!r} at {index.uri}): {index.n} passages, "
              + ("healthy" if not problems else f"{len(problems)} problem(s)"))
        return 0 if not problems else 1
    folder = s.index_dir
    if args.repair:
        _log(f"rag: {repair_pointer(folder)}")
    report = check_index(folder)
    for line in report.lines():
        print(one_line(line))
    print(f"{folder}: " + ("healthy" if report.healthy else f"{len(report.problems)} problem(s)"))
    return 0 if report.healthy else 1


def open_assistant(args):
    from .embed import load_embedder
    from .text import use_lexicon

    s = _settings(args).replace(answerer=getattr(args, "answerer", None))
    use_lexicon(s.cache_dir / "lexicon")  # a one-shot question reads jieba's words, not loads them all
    embedder = load_embedder(s, _log, short_requests=True)  # loads in the background while the rest imports
    from .answering import Assistant

    bot = Assistant(s, embedder=embedder, log=_log)
    bot.reload()  # says so on stderr when CURRENT had to be recovered
    return bot


def print_answer(stream, out=None) -> None:
    """Stream an answer to ``out``, then its note and its sources."""
    out = out or sys.stdout  # looked up now: the caller may have redirected it
    for piece in stream:
        print(piece, end="", flush=True, file=out)
    print(file=out)
    ans = stream.answer
    if ans.rewritten:
        print(f"(read as: {one_line(ans.search_query)})", file=out)
    if ans.caveat:
        print(f"(caveat: the bulletins do not hold what was asked; the neighbouring fact above is given as such)",
              file=out)
    if ans.note:
        print(f"({ans.note})", file=out)
    for c in ans.citations:
        heading = one_line(c.section or c.title)
        extra = "".join(", " + one_line(x) for x in (c.author, c.date) if x)
        kind = " (table)" if c.kind == "table" else ""
        print(f"[{c.n}] {heading}{kind}  ({where(c)}{extra})", file=out)
        print(f"    {one_line(c.quote)}", file=out)


def cmd_shell(args) -> int:
    """Questions and answers at a prompt; follow-ups refer to the conversation so far."""
    bot = open_assistant(args)
    info = bot.index.describe()
    print(f"bulletin-rag: {info['documents']} documents, {info['chunks']} passages. "
          "Ask a question (empty line or Ctrl-D to quit).")
    history: list[tuple[str, str]] = []
    while True:
        try:
            q = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not q:
            return 0
        t0 = time.perf_counter()
        stream = bot.stream(q, history, k=args.k, mode=args.mode)
        print_answer(stream)
        history.append((q, stream.answer.text))
        print(f"({(time.perf_counter() - t0) * 1000:.0f} ms)")


def cmd_ask(args) -> int:
    """Answer a question with cited passages."""
    filters = _filters(args)  # a bad date fails here, before the model loads
    bot = open_assistant(args)
    if args.explain:
        print(bot.understand(args.question), file=sys.stderr)
    if args.json:
        ans = bot.ask(args.question, k=args.k, mode=args.mode, filters=filters)
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print_answer(bot.stream(args.question, k=args.k, mode=args.mode, filters=filters))
    return 0


def cmd_serve(args) -> int:
    """The web UI (the same app as ``python app.py``)."""
    from .ui.app import serve

    s = _settings(args).replace(host=args.host, port=args.port)
    return serve(s)


def cmd_kb(args) -> int:
    """Knowledge bases: ``rag kb list | create NAME | rename NAME NEW | delete NAME``."""
    from .workspace import KnowledgeBases

    wanted = {"list": 0, "create": 1, "rename": 2, "delete": 1}[args.action]
    if len(args.names) != wanted:
        raise ValueError(f"rag kb {args.action} takes {wanted} name(s), not {len(args.names)}")
    kbs = KnowledgeBases(_settings(args))
    if args.action == "list":
        for kb in kbs.list():
            print(f"{kb.id}\t{one_line(kb.label)}\t{kb.index_dir}")
    elif args.action == "create":
        kb = kbs.create(args.names[0])
        print(f"created {kb.name!r}: ingest into it with `rag ingest FILES --kb {kb.id}` (index: {kb.index_dir})")
    elif args.action == "rename":
        kb = kbs.rename(*args.names)
        print(f"renamed {args.names[0]!r} to {kb.name!r}")
    else:
        kb = kbs.delete(args.names[0])
        print(f"deleted {kb.label!r} with its index, uploads and conversations")
    return 0


def cmd_feedback(args) -> int:
    """``rag feedback export``: the 👍/👎 given in the UI as a question set for ``rag eval``."""
    from collections import Counter

    from .workspace import FeedbackStore, KnowledgeBases, feedback_questions

    s = load_settings(args.config).replace(data_dir=args.data_dir)
    kbs = KnowledgeBases(s)
    kb = kbs.get(args.kb) if args.kb else None
    records = FeedbackStore(s.data_dir).all(kb.id if kb else None)
    questions, silent = feedback_questions(records)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        out.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
    finally:
        if args.output:
            out.close()
    kinds = Counter(q["kind"] for q in questions)
    _log(f"rag: {len(questions)} questions ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items())) or 'none'})"
         + (f"; {silent} 👎 without a correction left out" if silent else "")
         + (f" -> {args.output}" if args.output else ""))
    known = {k.id: k for k in kbs.list()}
    for kb_id in sorted({r.kb for r in records} & set(known)):
        _log(f"rag: score them on {known[kb_id].label!r}: rag eval {args.output or 'FEEDBACK.jsonl'} "
             f"--corpus {known[kb_id].corpus_dir}")
    return 0


TRAIN_TARGETS = ("cross-encoder", "judge", "selector")


def cmd_train(args) -> int:
    """Train a learned model from the shared training data (DRCD, the bulletin dev set):
    ``rag train cross-encoder``, ``rag train judge`` or ``rag train selector``."""
    if args.target == "cross-encoder":
        return _train_cross_encoder(args)
    return _train_judge(args) if args.target == "judge" else _train_selector(args)


def _train_cross_encoder(args) -> int:
    """``rag train cross-encoder``: the passage reranker from DRCD (rag/train/recipe.py)."""
    from .search.cross_rerank import BUNDLED
    from .train.recipe import default_work_dir, train_reranker
    from .train.trainer import TrainConfig

    s = _settings(args)
    cfg = TrainConfig(layers=args.layers or 4, epochs=args.epochs, seed=args.seed, threads=args.threads,
                      batch_pairs=args.batch_pairs or 16, group_size=args.group_size or 8, precision=args.precision,
                      lr=args.lr or 1e-4, head_lr=args.head_lr or 2e-3)
    out = Path(args.output) if args.output else BUNDLED
    work = Path(args.work) if args.work else default_work_dir(s, out, cfg)
    log = (lambda m: None) if args.quiet else _log
    report = train_reranker(Path(args.drcd), s, out, cfg, work=work, max_questions=args.max_questions,
                            max_groups=args.max_groups, depth=args.depth or 30, negatives=args.negatives, resume=args.resume,
                            max_steps=args.max_steps, log=log)
    return _print_training("cross-encoder", "groups", cfg.layers, report, out, work)


def _print_training(what: str, unit: str, layers: int, report: dict, out: Path, work: Path) -> int:
    """What a cross-encoder training run (the reranker's or the judge's) did, or where it stopped."""
    if not report.get("finished"):
        print(f"stopped at step {report['step']} of {report['steps']}: run again with --resume to go on "
              f"(checkpoint in {work / 'checkpoints'})")
        return 0
    held = (report.get("held_out") or [{}])[-1]
    print(f"{what}: {layers} layers, {report['examples']} {unit}, {report['steps']} steps in "
          f"{report['train_seconds'] / 60:.1f} min ({report['pairs_per_second']} pairs/s, {report['precision']}, "
          f"peak {report['peak_rss_mb']} MB) -> {out} ({report['weights_bytes'] / 1e6:.1f} MB)")
    if held:
        print(f"  held-out DRCD {unit}: {json.dumps(held, ensure_ascii=False)}")
    print(f"  report: {work / 'report.json'}; held-out questions: {report['heldout_questions']}")
    return 0


def _train_judge(args) -> int:
    """``rag train judge``: the answer judge from DRCD (rag/train/judge.py)."""
    from dataclasses import replace

    from .answering.judge import BUNDLED
    from .train.judge import JUDGE_CONFIG, train_judge

    s = _settings(args)
    given = {"layers": args.layers, "batch_pairs": args.batch_pairs, "group_size": args.group_size,
             "lr": args.lr, "head_lr": args.head_lr}
    cfg = replace(JUDGE_CONFIG, epochs=args.epochs, seed=args.seed, threads=args.threads, precision=args.precision,
                  **{k: v for k, v in given.items() if v is not None})
    out = Path(args.output) if args.output else BUNDLED
    work = Path(args.work) if args.work else s.cache_dir / "train" / f"judge-L{cfg.layers}-s{cfg.seed}"
    log = (lambda m: None) if args.quiet else _log
    report = train_judge(Path(args.drcd), s, out, cfg, work=work, max_questions=args.max_questions,
                         max_examples=args.max_examples, resume=args.resume, max_steps=args.max_steps, log=log)
    return _print_training("judge", "examples", cfg.layers, report, out, work)


def _train_selector(args) -> int:
    """``rag train selector``: the answer selector and its refusal threshold."""
    from .answering.selector import BUNDLED
    from .train import selector as selector_train

    s = _settings(args)
    drcd = Path(args.drcd)
    if not (drcd / "questions_train.jsonl").is_file() or not (drcd / "corpus.jsonl").is_file():
        print(f"rag: error: DRCD not found in {drcd} (questions_train.jsonl and corpus.jsonl): "
              "give its folder with --drcd", file=sys.stderr)
        return 2
    bq = Path(args.bulletin_questions) if args.bulletin_questions and not args.no_bulletin else None
    bc = Path(args.bulletin_corpus) if args.bulletin_corpus else None
    log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    report = selector_train.run(s, drcd, bq, bc, Path(args.output or BUNDLED), Path(args.report or "eval/reports/selector"),
                                args.max_questions, log=log)
    print(json.dumps({k: report[k] for k in ("model", "seconds", "threshold", "held_out")}, ensure_ascii=False,
                     indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Semantic search and answers over Chinese news bulletins.")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("prepare-model", help="convert the bundled embedding model and export it to int8 (once)")
    _common(sp)
    sp.set_defaults(func=cmd_prepare_model)

    sp = sub.add_parser("ingest", help="add or refresh files and folders in the index",
                        description="Add or refresh files and folders. Bad files and paths are listed and "
                                    "skipped, the rest is ingested; exit code 1 says some were skipped, "
                                    "2 that nothing was done.")
    sp.add_argument("paths", nargs="+")
    sp.add_argument("--rebuild", action="store_true", help="start a fresh index (e.g. after a model change)")
    sp.add_argument("--rebuild-on-mismatch", action="store_true",
                    help="rebuild (instead of failing) when the index was built with another model or chunker")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(sp)
    sp.set_defaults(func=cmd_ingest)

    def filter_opts(sp):
        sp.add_argument("--doc", action="append", help="only this document id (repeatable)")
        sp.add_argument("--source", action="append", help="only this source (repeatable)")
        sp.add_argument("--date-from", help="only passages dated on or after (2024-01-05, 2024/1/5, 2024年1月5日, "
                                            "a month 2024-01 ...)")
        sp.add_argument("--date-to", help="only passages dated on or before (same forms; a month or year "
                                          "includes all its days)")

    def search_opts(sp):
        sp.add_argument("--k", type=k_option, default=None, help="passages to retrieve, 1 to 1000 (default 5)")
        sp.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default=None)

    sp = sub.add_parser("ask", help="answer a question with cited passages")
    sp.add_argument("question")
    search_opts(sp)
    sp.add_argument("--answerer", choices=["extractive", "llm"], default=None,
                    help="extractive (default, no LLM) or llm (the configured endpoint)")
    sp.add_argument("--json", action="store_true", help="the whole answer as JSON")
    sp.add_argument("--explain", action="store_true", help="first show how the question was understood (stderr)")
    filter_opts(sp)
    _common(sp)
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("search", help="ranked passages for a question")
    sp.add_argument("query", nargs="?")
    search_opts(sp)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--questions", help="JSONL question set: one JSON line of hits per question")
    sp.add_argument("--output", "-o", help="with --questions: write here instead of stdout")
    filter_opts(sp)
    _common(sp)
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser(
        "eval", help="score retrieval and answers on question sets, configurations side by side",
        description="Score configurations (modes, chunk budgets, fusion, models... and the LangChain "
                    "baseline) on the same questions in one run; or compare two saved results.",
        epilog="examples:\n"
               "  rag eval eval/datasets/bulletin_dev.jsonl --corpus corpus/ --report eval/reports/bulletin\n"
               "  rag eval Q.jsonl --corpus C.jsonl --configs eval/configs/default.toml --sample-docs 2000\n"
               "  rag eval --compare old/results.json new/results.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("questions", nargs="*", help="question set(s), JSONL (format: eval/datasets/README.md)")
    sp.add_argument("--corpus", nargs="+", help="the files or folders the questions are about")
    sp.add_argument("--configs", metavar="TOML", help="configurations to compare ([[config]] tables; "
                                                      "see eval/configs/)")
    sp.add_argument("--mode", choices=["hybrid", "dense", "lexical", "all"], default=None,
                    help="without --configs: the search modes to compare (default: all)")
    sp.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                    help="without --configs: add the LangChain baseline (default: yes)")
    sp.add_argument("--answers", action=argparse.BooleanOptionalAction, default=None,
                    help="score answers with every configuration but the baseline (--no-answers: with "
                         "none; default: the configurations that ask for it)")
    sp.add_argument("--k", default="1,3,5,10", help="hit@k cut-offs (default 1,3,5,10)")
    sp.add_argument("--char-budget", type=int, default=1000, help="context budget of hit@Nc, characters")
    sp.add_argument("--sample-docs", type=int, metavar="N",
                    help="evaluate on N documents: every gold document of the questions plus a seeded random fill")
    sp.add_argument("--sample-questions", type=int, metavar="N", help="a seeded random sample of N questions")
    sp.add_argument("--seed", type=int, default=0, help="seed of the samples and the bootstrap (default 0)")
    sp.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                    help="resamples for the 95%% confidence intervals (default 1000; 0: none)")
    sp.add_argument("--strict", action="store_true", help="stop at a malformed question instead of skipping it")
    sp.add_argument("--json", help="write the result (scores and per-question outcomes) here")
    sp.add_argument("--per-question", help="write every hit of every question (JSONL) here")
    sp.add_argument("--report", metavar="DIR", help="write results.json, summary.md, per_question.csv and plots here")
    sp.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="show what got better or worse between two results (JSON), question by question")
    sp.add_argument("--only", metavar="NAME", help="with --compare: only this configuration")
    sp.add_argument("--quiet", action="store_true", help="no progress bars")
    _common(sp)
    sp.set_defaults(func=cmd_eval)


    sp = sub.add_parser("remove", help="remove documents from the index")
    sp.add_argument("doc_ids", nargs="+")
    _common(sp)
    sp.set_defaults(func=cmd_remove)

    sp = sub.add_parser("compact", help="merge the index's segments into one, leaving deleted passages behind",
                        description="Each ingest or removal adds a segment or marks passages deleted; "
                                    "segments merge by themselves when there are too many. This merges all "
                                    "of them now (stored vectors and term frequencies are copied, nothing "
                                    "is embedded again).")
    _common(sp)
    sp.set_defaults(func=cmd_compact)

    sp = sub.add_parser("info", help="describe the index (its documents' dates too)")
    sp.add_argument("--documents", action="store_true", help="list each document with its date and where the date came from")
    _common(sp)
    sp.set_defaults(func=cmd_info)

    sp = sub.add_parser("check", help="verify the index: checksums, and counts that must agree",
                        description="Check every file of the live generation against its checksum, and "
                                    "that SQLite, the vectors and BM25 agree. Exit code 0: healthy; 1: "
                                    "problems (listed).")
    sp.add_argument("--repair", action="store_true",
                    help="first point a lost or unreadable CURRENT at the newest complete generation "
                         "(deletes nothing)")
    _common(sp)
    sp.set_defaults(func=cmd_check)

    sp = sub.add_parser("shell", help="ask questions at a prompt (follow-ups allowed)")
    search_opts(sp)
    sp.add_argument("--answerer", choices=["extractive", "llm"], default=None)
    _common(sp)
    sp.set_defaults(func=cmd_shell)

    sp = sub.add_parser("train", help="train a learned model (cross-encoder, judge, selector) from DRCD",
                        description="Train on DRCD and the bulletin dev set only (never on the measured sets); "
                                    "deterministic; writes the model (default: the bundled one). cross-encoder: "
                                    "the passage reranker; judge: the answer judge; selector: the answer selector "
                                    "and its refusal threshold.")
    sp.add_argument("target", choices=TRAIN_TARGETS, help="what to train")
    sp.add_argument("--drcd", default="../shared/benchmarks/drcd", help="the DRCD folder (default %(default)s)")
    sp.add_argument("--bulletin-questions", "--bulletin-dev", default="eval/datasets/bulletin_dev.jsonl",
                    help="bulletin dev questions (default %(default)s; empty: DRCD only)")
    sp.add_argument("--bulletin-corpus", default="corpus", help="their corpus (default %(default)s)")
    sp.add_argument("--no-bulletin", action="store_true", help="train on DRCD only")
    sp.add_argument("--output", "--out", "-o", help="where to write the model (default: the bundled one)")
    sp.add_argument("--report", metavar="DIR", help="selector: folder for the training report (default "
                    "eval/reports/selector)")
    sp.add_argument("--max-questions", type=int, help="a seeded subset of the DRCD questions (faster, for trials)")
    sp.add_argument("--depth", type=int, help="cross-encoder: the dense and BM25 depth hard negatives come from "
                    "(default 30)")
    sp.add_argument("--seed", type=int, default=0, help="the sampling and fitting seed")
    sp.add_argument("--threads", type=int, default=2, help="threads (fixed: results depend on it)")
    g = sp.add_argument_group("cross-encoder")
    g.add_argument("--layers", type=int, help="first layers of the bundled model to train (default: cross-encoder 4, "
                   "judge 2)")
    g.add_argument("--epochs", type=int, default=1, help="passes over the training groups (default 1)")
    g.add_argument("--negatives", type=int, default=15, help="hard negatives kept per question (default 15)")
    g.add_argument("--max-groups", type=int, help="train on a seeded subset of this many DRCD groups "
                   "(one a question; default: all, about 6,300)")
    g.add_argument("--group-size", type=int, help="pairs per question a step: its positive and "
                   "this many minus one negatives drawn from the kept ones (default: cross-encoder 8, judge 6)")
    g.add_argument("--batch-pairs", type=int, help="pairs per optimiser step (default: cross-encoder 16, judge 18)")
    g.add_argument("--lr", type=float, help="the layers' peak learning rate (default: cross-encoder 1e-4, judge 8e-5)")
    g.add_argument("--head-lr", type=float, help="the head's peak learning rate (default: cross-encoder 2e-3, "
                   "judge 1e-3)")
    g.add_argument("--max-examples", type=int, help="judge: train on a seeded share of whole articles, about this "
                   "many examples (default: all, about 19,600)")
    g.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="auto: bf16 autocast where the CPU has bf16 in hardware, else fp32")
    g.add_argument("--work", metavar="DIR", help="groups, checkpoints and report (default: under the cache)")
    g.add_argument("--resume", action="store_true", help="continue from the work folder's checkpoint")
    g.add_argument("--max-steps", type=int, help="stop after this many steps in all (resume later with --resume)")
    sp.add_argument("--quiet", action="store_true", help="no progress messages")
    _common(sp)
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("kb", help="knowledge bases: list, create, rename, delete",
                        description="Named collections of documents, one index each, under the data folder "
                                    "(data/kb/<id>/). The default one is the configured index and corpus. "
                                    "Use one with --kb NAME in any command; `rag ingest FILES --kb NEW` creates it.")
    sp.add_argument("action", choices=["list", "create", "rename", "delete"])
    sp.add_argument("names", nargs="*", help="create NAME | rename NAME NEW | delete NAME")
    _common(sp)
    sp.set_defaults(func=cmd_kb)

    sp = sub.add_parser("feedback", help="export the 👍/👎 given in the UI as a question set for rag eval",
                        description="Each answer rated in the UI becomes a question of the eval format: a 👎 "
                                    "with a correction a question with that answer, a 👎 marked 'should have "
                                    "been refused' a refusal case, a 👍 the answer as given. A 👎 without "
                                    "either is left out.")
    sp.add_argument("action", choices=["export"])
    sp.add_argument("--output", "-o", help="the JSONL file to write (default: stdout)")
    sp.add_argument("--kb", help="only this knowledge base's answers (default: every one)")
    sp.add_argument("--data-dir", help="the data folder (default: data/)")
    sp.add_argument("--config", help="TOML settings file")
    sp.set_defaults(func=cmd_feedback)

    sp = sub.add_parser("serve", help="start the web UI (chat with sources, uploads)")
    sp.add_argument("--host", help="address to listen on (default 127.0.0.1; any other needs RAG_AUTH=user:password)")
    sp.add_argument("--port", type=int, help="port (default 7860)")
    _common(sp)
    sp.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "search" and not args.query and not args.questions:
        build_parser().error("search needs a query or --questions FILE")
    from .embed import ModelError
    from .evals.questions import QuestionSetError
    from .index import IndexCorrupt, IndexMismatch, IndexNotFound

    try:
        return args.func(args)
    except (IndexNotFound, IndexMismatch, IndexCorrupt, ModelError, QuestionSetError,
            OSError, KeyError, ValueError, RuntimeError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"rag: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
