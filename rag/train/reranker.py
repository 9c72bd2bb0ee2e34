"""``rag train reranker``: fit the second-stage model on DRCD and the bulletin dev set.

For each training question the real retriever (hybrid, no reranking, no cap) returns its
shortlist; each passage gets the features the run-time reranker computes
(:func:`rag.search.features.shortlist_features`) and a graded label: 2 for a relevant passage
(of the gold document, or holding the evidence) that holds a reference answer, 1 for another
relevant passage, 0 for the rest. LightGBM's LambdaMART (``lambdarank``) fits the trees,
deterministically (fixed seeds, fixed thread count, no bagging); 10% of the DRCD documents
(seeded) are held out to choose the number of trees. The trees are written as JSON
(:mod:`rag.search.rerank`), checked against LightGBM's own predictions before they are saved.

Only DRCD and the bulletin dev set are trained on; CMRC 2018 and crud-news are for measuring.
"""
from __future__ import annotations

import dataclasses
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..evals.questions import Question
from ..evals.runs import is_relevant
from ..search.features import FEATURES, Candidate, shortlist_features
from ..search.rerank import FORMAT, VERSION, RerankModel
from ..text import fold, squash

Log = Callable[[str], None]

PARAMS = {
    "objective": "lambdarank", "metric": "ndcg", "eval_at": [1, 5, 10],
    "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 40, "lambda_l2": 1.0,
    "feature_fraction": 1.0, "bagging_fraction": 1.0, "bagging_freq": 0,
    "deterministic": True, "force_row_wise": True, "seed": 0, "verbosity": -1,
    "lambdarank_truncation_level": 20,
}


@dataclass
class Groups:
    """Feature rows of shortlists, one group per question."""

    X: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # what splits train from held-out (the gold document)
    missed: int = 0  # questions whose shortlist held nothing relevant (left out: nothing to learn)

    def add(self, other: "Groups") -> None:
        self.X += other.X
        self.y += other.y
        self.ids += other.ids
        self.keys += other.keys
        self.missed += other.missed

    def take(self, which: list[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
        X = np.concatenate([self.X[i] for i in which]) if which else np.zeros((0, len(FEATURES)), np.float32)
        y = np.concatenate([self.y[i] for i in which]) if which else np.zeros(0)
        return X, y, [len(self.y[i]) for i in which]


def label(q: Question, text: str, twins: dict[str, str] | None, doc_id: str) -> int:
    from ..types import Chunk

    if not is_relevant(q, Chunk("", doc_id, text), twins):
        return 0
    flat = fold(squash(text))
    return 2 if any(fold(squash(a)) in flat for a in q.references if a) else 1


def collect(retriever, questions: list[Question], depth: int, twins: dict[str, str] | None = None,
            log: Log = lambda s: None, batch: int = 64) -> Groups:
    """The shortlist of every question, as features and labels (the retriever must not rerank).
    Questions are embedded ``batch`` at a time."""
    index = retriever.index
    row_of = {c.chunk_id: i for i, c in enumerate(index.chunks)}
    out = Groups()
    t0 = time.perf_counter()
    queries = [retriever.query(q.question) for q in questions]
    if retriever.embedder is not None:  # embedded in batches: many times faster than one by one
        for i in range(0, len(queries), batch):
            part = queries[i:i + batch]
            vectors = retriever.embedder.embed_queries([x.text for x in part])
            for j, v in zip(range(i, i + len(part)), vectors):
                queries[j] = dataclasses.replace(queries[j], _vector=np.asarray(v, np.float32))
    for n, (q, query) in enumerate(zip(questions, queries), 1):
        res = retriever.search(query, k=depth, mode="hybrid")
        cands = [Candidate(row_of[h.chunk.chunk_id], h.dense_score, h.lexical_score, h.score, h.rank)
                 for h in res.hits]
        y = np.array([label(q, h.chunk.text, twins, h.chunk.doc_id) for h in res.hits], np.float32)
        if not len(y) or y.max() == 0:
            out.missed += 1
            continue
        out.X.append(shortlist_features(query, index, cands))
        out.y.append(y)
        out.ids.append(q.id)
        out.keys.append(q.gold_doc_ids[0] if q.gold_doc_ids else q.id)
        if n % 500 == 0:
            log(f"  {n}/{len(questions)} questions ({time.perf_counter() - t0:.0f}s)")
    return out


def save_groups(g: Groups, path: Path, meta: dict) -> None:
    """Collected shortlists as a NumPy archive (no pickle), to refit without searching again."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    X, y, sizes = g.take(list(range(len(g.y))))
    np.savez_compressed(path, X=X, y=y, sizes=np.array(sizes, np.int64), ids=np.array(g.ids, dtype=str),
                        keys=np.array(g.keys, dtype=str), missed=np.array(g.missed),
                        meta=np.array(json.dumps({**meta, "features": list(FEATURES)})))


def load_groups(path: Path, meta: dict) -> Groups | None:
    """Shortlists saved by :func:`save_groups` with the same ``meta`` and features, else None."""
    try:
        data = np.load(path, allow_pickle=False)
        if json.loads(str(data["meta"])) != {**meta, "features": list(FEATURES)}:
            return None
    except (OSError, ValueError, KeyError):
        return None
    g = Groups(missed=int(data["missed"]))
    start = 0
    for n, qid, key in zip(data["sizes"].tolist(), data["ids"].tolist(), data["keys"].tolist()):
        g.X.append(data["X"][start:start + n])
        g.y.append(data["y"][start:start + n])
        g.ids.append(qid)
        g.keys.append(key)
        start += n
    return g


def split(keys: list[str], held_out: float, seed: int) -> tuple[list[int], list[int]]:
    """Question indices for training and for choosing the number of trees, split by key (a
    document's questions all on one side)."""
    distinct = sorted(set(keys))
    rng = random.Random(seed)
    chosen = set(rng.sample(distinct, int(round(len(distinct) * held_out)))) if held_out > 0 else set()
    train = [i for i, k in enumerate(keys) if k not in chosen]
    valid = [i for i, k in enumerate(keys) if k in chosen]
    return train, valid


def to_model_dict(booster, trained: dict) -> dict:
    """LightGBM trees as the JSON of :mod:`rag.search.rerank`."""
    dump = booster.dump_model()
    trees = []
    for info in dump["tree_info"]:
        feature, threshold, left, right, leaf = [], [], [], [], []

        def walk(node) -> int:
            if "split_feature" not in node:
                leaf.append(float(node["leaf_value"]))
                return ~(len(leaf) - 1)
            if node.get("decision_type", "<=") != "<=":
                raise ValueError(f"unsupported split {node.get('decision_type')!r}")
            i = len(feature)
            feature.append(int(node["split_feature"]))
            threshold.append(float(node["threshold"]))
            left.append(0)
            right.append(0)
            left[i] = walk(node["left_child"])
            right[i] = walk(node["right_child"])
            return i

        walk(info["tree_structure"])
        trees.append({"feature": feature, "threshold": threshold, "left": left, "right": right, "leaf": leaf})
    return {"format": FORMAT, "version": VERSION, "features": list(FEATURES), "trees": trees, "trained": trained}


def mrr_at(scores: np.ndarray, y: np.ndarray, sizes: list[int], k: int = 10) -> float:
    """Mean reciprocal rank of the first relevant passage (label > 0) when ranked by ``scores``."""
    total, start = 0.0, 0
    for n in sizes:
        s, lab = scores[start:start + n], y[start:start + n]
        order = np.argsort(-s, kind="stable")[:k]
        hits = np.nonzero(lab[order] > 0)[0]
        total += 1.0 / (hits[0] + 1) if len(hits) else 0.0
        start += n
    return total / max(len(sizes), 1)


def fit(groups: Groups, *, seed: int = 0, threads: int = 2, rounds: int = 400, held_out: float = 0.1,
        params: dict | None = None, log: Log = lambda s: None) -> tuple[dict, dict]:
    """Fit the trees; returns the model (as JSON-ready dict) and a report of the fit."""
    import lightgbm as lgb

    p = {**PARAMS, **(params or {}), "seed": seed, "num_threads": threads}
    train_i, valid_i = split(groups.keys, held_out, seed)
    Xt, yt, gt = groups.take(train_i)
    Xv, yv, gv = groups.take(valid_i)
    dtrain = lgb.Dataset(Xt, yt, group=gt, feature_name=list(FEATURES), free_raw_data=False)
    evals = {}
    callbacks = [lgb.record_evaluation(evals)]
    valid_sets = []
    if gv:
        valid_sets = [lgb.Dataset(Xv, yv, group=gv, reference=dtrain)]
        callbacks.append(lgb.early_stopping(50, first_metric_only=False, verbose=False))
    t0 = time.perf_counter()
    booster = lgb.train(p, dtrain, num_boost_round=rounds, valid_sets=valid_sets, valid_names=["held_out"],
                        callbacks=callbacks)
    best = booster.best_iteration or rounds
    first = booster
    if gv:  # refit on everything with the number of trees the held-out part chose
        Xa, ya, ga = groups.take(list(range(len(groups.y))))
        booster = lgb.train(p, lgb.Dataset(Xa, ya, group=ga, feature_name=list(FEATURES)), num_boost_round=best)
    seconds = time.perf_counter() - t0
    report = {
        "questions": len(groups.y), "rows": int(sum(len(y) for y in groups.y)),
        "questions_without_relevant_in_shortlist": groups.missed,
        "trees": booster.num_trees(), "held_out_questions": len(gv), "seconds": round(seconds, 1),
        "params": {k: v for k, v in p.items()},
    }
    if gv:
        # the held-out figures come from the first fit (the refit has seen those questions)
        report["held_out_mrr@10_fused"] = round(mrr_at(-Xv[:, FEATURES.index("fused_rank")], yv, gv), 4)
        report["held_out_mrr@10_reranked"] = round(mrr_at(first.predict(Xv, num_iteration=best), yv, gv), 4)
    gain = booster.feature_importance("gain")
    report["importance"] = {f: round(float(g), 1) for f, g in sorted(zip(FEATURES, gain), key=lambda x: -x[1])}
    model = to_model_dict(booster, {k: report[k] for k in ("questions", "rows", "trees")})
    # the JSON trees must score exactly as LightGBM does
    Xc = np.concatenate(groups.X[: min(len(groups.X), 200)])
    ours = RerankModel.from_dict(model).score(Xc)
    theirs = booster.predict(Xc.astype(np.float64))
    if not np.allclose(ours, theirs, atol=1e-6):
        raise RuntimeError(f"the exported trees disagree with LightGBM (max diff {np.abs(ours - theirs).max():.2e})")
    return model, report


def save_model(model: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass
class Source:
    """A question set over a corpus to train on."""

    name: str
    questions: Path
    corpus: Path


def default_sources(drcd: Path, bulletin_dev: Path | None, bulletin_corpus: Path | None) -> list[Source]:
    out = [Source("drcd", Path(drcd) / "questions_train.jsonl", Path(drcd) / "corpus.jsonl")]
    if bulletin_dev and bulletin_corpus:
        out.append(Source("bulletin-dev", Path(bulletin_dev), Path(bulletin_corpus)))
    return out


def train(settings, sources: list[Source], out: Path, *, depth: int | None = None, seed: int = 0,
          threads: int = 2, max_questions: int | None = None, rounds: int = 400,
          shortlists: Path | None = None, log: Log = lambda s: None, progress=None) -> dict:
    """Build (or reuse) the index of each source with the project's own ingest, collect the
    shortlists, fit, and save the model at ``out``. Returns the training report.
    ``shortlists``: a folder where each source's collected shortlists are kept (reused while the
    source, sample, depth and features are the same), so a refit need not search again."""
    from ..evals.build import Builder, prepare_corpus, twin_map
    from ..evals.configs import EvalConfig
    from ..evals.questions import read_question_sets, sample_questions

    s = settings.replace(rerank=False, max_per_doc=0, mode="hybrid")
    depth = depth or s.rerank_depth
    groups = Groups()
    per_source = {}
    t0 = time.perf_counter()
    for src in sources:
        for p in (src.questions, src.corpus):
            if not Path(p).exists():
                raise FileNotFoundError(f"training data not found: {p} (give the DRCD folder with --drcd, "
                                        "or the bulletin set with --bulletin-dev/--bulletin-corpus)")
        questions, problems = read_question_sets([str(src.questions)])
        questions = [q for q in questions if q.answerable]
        if max_questions:
            questions = sample_questions(questions, max_questions, seed)
        meta = {"questions": str(Path(src.questions).resolve()), "corpus": str(Path(src.corpus).resolve()),
                "n": len(questions), "seed": seed, "depth": depth, "model": s.model, "chunk_tokens": s.chunk_tokens,
                "lexical": s.lexical_tokenizer}
        saved = Path(shortlists) / f"{src.name}.npz" if shortlists else None
        g = load_groups(saved, meta) if saved and saved.is_file() else None
        if g is not None:
            log(f"{src.name}: {len(g.y)} shortlists from {saved}")
            per_source[src.name] = {"questions": len(g.y), "missed": g.missed, "index": "(saved shortlists)"}
            groups.add(g)
            continue
        corpus, raws, _, _ = prepare_corpus([Path(src.corpus)], questions, None, seed, s.cache_dir, log, s.limits)
        builder = Builder(s, corpus, raws, log=log, progress=progress)
        target = builder.target(EvalConfig("train", {"mode": "hybrid", "rerank": False, "max_per_doc": 0}))
        log(f"{src.name}: {len(questions)} questions over {target.info['chunks']} passages")
        g = collect(target.searcher, questions, depth, twin_map(raws), log)
        if saved:
            save_groups(g, saved, meta)
        per_source[src.name] = {"questions": len(g.y), "missed": g.missed, "index": target.info["index"]}
        groups.add(g)
    collected = time.perf_counter() - t0
    model, report = fit(groups, seed=seed, threads=threads, rounds=rounds, log=log)
    model["trained"].update(sources={k: {"questions": v["questions"]} for k, v in per_source.items()},
                            depth=depth, seed=seed)
    save_model(model, out)
    size = Path(out).stat().st_size
    report.update(sources=per_source, depth=depth, seed=seed, threads=threads, collect_seconds=round(collected, 1),
                  model=str(out), model_bytes=size)
    return report
