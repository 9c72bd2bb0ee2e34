"""Training the answer selector (``rag train selector``): DRCD and the bulletin dev set only.

For every training question the default retrieval (hybrid, k=5) runs over the question's corpus,
and every candidate sentence of the passages found gets the selector's features
(:meth:`rag.answering.ExtractiveAnswerer.features`). Labels:

- an answerable question (DRCD: ``answers``; bulletin dev: ``answer_keys``): a sentence of a gold
  passage (a gold document, or one holding the evidence) that holds the answer is a positive,
  the other sentences negatives (a sentence of another passage that holds the answer too is left
  out: it is neither);
- negatives made for refusal: a DRCD question asked of the index without its paragraph (every
  third question; sentences that still hold the answer are left out), and off-topic questions
  (:data:`OFF_TOPIC`, written for this) asked of both corpora: every sentence is a negative.

A logistic model (L2, Newton's method: deterministic) is fitted on all candidate rows. Refusal
is calibrated on held-out folds (folds by Wikipedia article, so no article is both trained and
judged on): per question, the best candidate's held-out score, labelled 1 when that candidate
is a positive; Platt scaling maps scores to probabilities; the threshold is the highest one that
refuses at most ``max_wrong_refusals`` of the answerable questions whose passages hold the
answer. Refusal precision and recall at that threshold are reported, on the held-out folds.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..answering.extractive import ExtractiveAnswerer
from ..answering.selector import FEATURES, SelectorModel, fit_logistic
from ..config import Settings
from ..evals import metrics as M
from ..evals.build import Builder, prepare_corpus
from ..evals.configs import EvalConfig
from ..evals.questions import Question, load_questions
from ..search import Query, Retriever
from ..types import Hit

Log = Callable[[str], None]

# Questions no training corpus answers (and none of the measured sets asks), in Chinese: what a
# stranger might type into the box. English questions take the rules (the selector learns from
# Chinese questions only).
OFF_TOPIC = [
    "巴黎有多少人口？", "珠穆朗玛峰有多高？", "今天天气怎么样？", "明天会下雨吗？", "一公斤黄金多少钱？",
    "怎么做红烧肉？", "比特币现在的价格是多少？", "世界杯冠军是哪个国家？", "月球离地球有多远？",
    "谁发明了电话？", "火星上有没有水？", "如何学好英语？", "猫为什么怕水？", "人一天应该喝多少水？",
    "太阳系有几颗行星？", "长城有多长？", "东京奥运会是哪一年举办的？", "iPhone 15 的屏幕有多大？",
    "怎样才能减肥？", "北京到上海的高铁要多久？", "恐龙是什么时候灭绝的？", "企鹅生活在哪里？",
    "地球的半径是多少公里？", "莎士比亚写了多少部戏剧？", "什么是量子计算？", "谁是第一个登上月球的人？",
    "中国有多少个省？", "海水为什么是咸的？", "电脑开不了机怎么办？", "推荐一部好看的电影",
    "我的快递到哪里了？", "你是谁？", "你叫什么名字？", "现在几点了？", "给我讲个笑话",
    "感冒了吃什么药？", "如何申请美国签证？", "鲸鱼是鱼吗？", "足球比赛有多少名球员？", "钢琴有多少个键？",
]


@dataclass
class Group:
    """One training question's candidates: features, labels, and what the question was."""

    qid: str
    fold: int
    kind: str  # answerable | no-paragraph | off-topic
    X: np.ndarray
    y: np.ndarray
    answer_in_hits: bool = False  # a positive is among the candidates


@dataclass
class TrainReport:
    groups: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    positives: int = 0
    seconds: float = 0.0
    metrics: dict = field(default_factory=dict)


def fold_of(key: str, folds: int) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % folds


def article_of(doc_id: str) -> str:
    """DRCD paragraph ids are ``drcd-dev-<article>-<paragraph>``: the article."""
    return doc_id.rsplit("-", 1)[0]


def queries(retriever: Retriever, texts: list[str], embedder) -> list[Query]:
    """The questions read, their vectors embedded in batches."""
    vecs = embedder.embed_queries(texts) if texts else []
    out = []
    for t, v in zip(texts, vecs):
        q = retriever.query(t)
        q._vector = np.asarray(v, np.float32)
        out.append(q)
    return out


def _labels(answerer: ExtractiveAnswerer, q: Query, hits: list[Hit], gold: Callable[[Hit], bool],
            keys: list[str], refs: list[str], negative: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    cands = answerer.candidates(q, hits, embed=False)
    if not cands:
        return np.zeros((0, len(FEATURES))), np.zeros(0), False
    X = answerer.features(q, cands, answerer.anchors(q))
    y, keep = [], []
    for i, c in enumerate(cands):
        holds = bool(keys or refs) and bool(M.contains_answer(c.text, keys, refs))
        if negative or not gold(c.hit):
            if not holds:
                keep.append(i)
                y.append(0.0)
        else:
            keep.append(i)
            y.append(float(holds))
    return X[keep], np.asarray(y), any(y)


def collect(answerer: ExtractiveAnswerer, retriever: Retriever, questions: list[Question], k: int,
            fold_key: Callable[[Question], str], folds: int, negatives_every: int, log: Log,
            embedder) -> list[Group]:
    """The candidate rows of every question (and of the no-paragraph negatives): the questions
    embedded in batches, then every search, then the features."""
    qs = queries(retriever, [q.question for q in questions], embedder)
    t0 = time.perf_counter()
    jobs = []  # (question, query, hits, negative)
    for n, (item, q) in enumerate(zip(questions, qs)):
        if item.answerable:
            hits = retriever.search(q, k=k + 5).hits
            jobs.append((item, q, hits[:k], False))
            if negatives_every and n % negatives_every == 0 and item.gold_doc_ids:
                jobs.append((item, q, [h for h in hits if not item.in_gold(h.chunk.doc_id)][:k], True))
        else:
            jobs.append((item, q, retriever.search(q, k=k).hits, True))
    log(f"  {len(questions)} questions searched ({time.perf_counter() - t0:.0f}s)")
    groups: list[Group] = []
    for item, q, hits, negative in jobs:
        fold = fold_of(fold_key(item), folds)
        keys, refs = item.answer_keys, item.references

        def gold(h: Hit, item=item) -> bool:
            return item.in_gold(h.chunk.doc_id) if item.gold_doc_ids else item.evidence_in(h.chunk.text)

        if not item.answerable:
            X, y, _ = _labels(answerer, q, hits, gold, [], [], True)
            if len(y):
                groups.append(Group(item.id, fold, "unanswerable", X, y))
        elif negative:
            X, y, _ = _labels(answerer, q, hits, gold, keys, refs, True)
            if len(y):
                groups.append(Group(item.id + "/no-paragraph", fold, "no-paragraph", X, y))
        else:
            X, y, found = _labels(answerer, q, hits, gold, keys, refs, False)
            if any(gold(h) for h in hits) and not found:
                continue  # the answer spans sentences, or is worded otherwise: no clean label
            if len(y):
                groups.append(Group(item.id, fold, "answerable", X, y, found))
    log(f"  features of {len(jobs)} searches ({time.perf_counter() - t0:.0f}s)")
    return groups


def off_topic_groups(answerer: ExtractiveAnswerer, retriever: Retriever, k: int, folds: int, label: str,
                     embedder) -> list[Group]:
    out = []
    for text, q in zip(OFF_TOPIC, queries(retriever, OFF_TOPIC, embedder)):
        hits = retriever.search(q, k=k).hits
        X, y, _ = _labels(answerer, q, hits, lambda h: False, [], [], True)
        if len(y):
            out.append(Group(f"off-topic/{label}/{text}", fold_of(text, folds), "off-topic", X, y))
    return out


# ------------------------------------------------------------------ fitting
def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant feature (cross-language, on Chinese-only data) stays out
    return mean, scale


def fit(groups: list[Group], l2: float) -> SelectorModel:
    X = np.vstack([g.X for g in groups])
    y = np.concatenate([g.y for g in groups])
    mean, scale = standardise(X)
    # each question weighs the same, its positives as much as its negatives
    sw = np.concatenate([np.where(g.y > 0, 0.5 / max(1, g.y.sum()), 0.5 / max(1, (g.y == 0).sum()))
                         if g.y.sum() else np.full(len(g.y), 1.0 / len(g.y)) for g in groups]) * len(groups)
    w, b = fit_logistic((X - mean) / scale, y, l2=l2, sample_weight=sw)
    return SelectorModel(FEATURES, mean, scale, w, b)


def platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """``a, b`` with sigmoid(a * score + b) calibrated to ``labels`` (Platt's smoothed targets)."""
    n_pos, n_neg = labels.sum(), len(labels) - labels.sum()
    t = np.where(labels > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    w, b = fit_logistic(scores[:, None], t, l2=1e-6)
    return float(w[0]), float(b)


def held_out(groups: list[Group], folds: int, l2: float) -> list[tuple[Group, np.ndarray]]:
    """Every group with the scores of a model trained on the other folds."""
    out = []
    for f in range(folds):
        train = [g for g in groups if g.fold != f]
        model = fit(train, l2)
        out += [(g, model.logits(g.X)) for g in groups if g.fold == f]
    return out


def choose_threshold(top: list[tuple[Group, float, bool]], max_wrong: float) -> float:
    """The highest probability threshold refusing at most ``max_wrong`` of the answerable
    questions whose passages hold the answer."""
    answerable = sorted(p for g, p, ok in top if g.kind == "answerable" and g.answer_in_hits)
    if not answerable:
        return 0.5
    return float(answerable[int(max_wrong * len(answerable))])


def refusal_figures(top: list[tuple[Group, float, bool]], threshold: float) -> dict:
    """Refusal precision and recall at ``threshold`` (a refusal is right for a question without
    an answer in its passages), and answers right, by kind of question."""
    out: dict = {}
    should = [not (g.kind == "answerable" and g.answer_in_hits) for g, _, _ in top]
    refused = [p < threshold for _, p, _ in top]
    tp = sum(r and s for r, s in zip(refused, should))
    out["refusal_precision"] = round(tp / max(1, sum(refused)), 4)
    out["refusal_recall"] = round(tp / max(1, sum(should)), 4)
    for kind in ("answerable", "no-paragraph", "off-topic", "unanswerable"):
        rows = [(p, ok, g) for g, p, ok in top if g.kind == kind]
        if not rows:
            continue
        d = {"questions": len(rows), "refused": round(sum(p < threshold for p, _, _ in rows) / len(rows), 4)}
        if kind == "answerable":
            d["best_sentence_right"] = round(sum(ok for _, ok, _ in rows) / len(rows), 4)
            d["answered_right"] = round(sum(ok and p >= threshold for p, ok, _ in rows) / len(rows), 4)
            d["answer_in_passages"] = round(sum(g.answer_in_hits for _, _, g in rows) / len(rows), 4)
        out[kind] = d
    return out


def train_selector(groups: list[Group], folds: int = 5, l2: float = 1.0, max_wrong: float = 0.04,
                   info: dict | None = None) -> tuple[SelectorModel, dict]:
    """The model on all groups, calibrated and thresholded on held-out folds."""
    top = []
    for g, scores in held_out(groups, folds, l2):
        i = int(np.argmax(scores))
        top.append((g, float(scores[i]), bool(g.y[i] > 0)))
    s = np.asarray([x[1] for x in top])
    y = np.asarray([float(x[2]) for x in top])
    a, b = platt(s, y)
    probs = [(g, 1 / (1 + np.exp(-(a * sc + b))), ok) for g, sc, ok in top]
    threshold = choose_threshold(probs, max_wrong)
    figures = refusal_figures(probs, threshold)
    model = fit(groups, l2)
    model.platt_a, model.platt_b, model.threshold = a, b, threshold
    model.info = {**(info or {}), "held_out": figures, "folds": folds, "l2": l2,
                  "max_wrong_refusals": max_wrong}
    return model, figures


# ------------------------------------------------------------------ the command
def build_retriever(settings: Settings, corpus: list[Path], questions: list[Question], log: Log):
    paths, raws, _, _ = prepare_corpus(corpus, questions, None, 0, settings.cache_dir, log, settings.limits)
    builder = Builder(settings, paths, raws, log=log)
    target = builder.target(EvalConfig("hybrid", {}))
    return target.searcher, target.embedder


def run(settings: Settings, drcd: Path, bulletin_questions: Path | None, bulletin_corpus: Path | None,
        out: Path, report_dir: Path | None = None, max_questions: int | None = None, folds: int = 5,
        l2: float = 1.0, max_wrong: float = 0.04, log: Log = print) -> dict:
    """Collect, fit, calibrate, write the model to ``out`` (and a report); returns the report."""
    t0 = time.perf_counter()
    s = settings.replace(extractive={"selector": "rules"})
    questions = load_questions(drcd / "questions_train.jsonl")
    if max_questions:  # whole articles, in a seeded order: fewer passages to embed than scattered questions
        key = {q.id: hashlib.sha1(article_of(q.gold_doc_ids[0] if q.gold_doc_ids else q.id).encode()).hexdigest()
               for q in questions}
        questions = sorted(questions, key=lambda q: (key[q.id], q.id))[:max_questions]
        questions.sort(key=lambda q: q.id)
    retriever, emb = build_retriever(s, [drcd / "corpus.jsonl"], questions, log)
    answerer = ExtractiveAnswerer(emb, retriever.index, s.extractive)
    log(f"DRCD: {len(questions)} questions")
    groups = collect(answerer, retriever, questions, s.k, lambda q: article_of(q.gold_doc_ids[0])
                     if q.gold_doc_ids else q.id, folds, 3, log, emb)
    groups += off_topic_groups(answerer, retriever, s.k, folds, "drcd", emb)
    if bulletin_questions and bulletin_corpus:
        bq = load_questions(bulletin_questions)
        r2, _ = build_retriever(s, [bulletin_corpus], bq, log)
        a2 = ExtractiveAnswerer(emb, r2.index, s.extractive)
        groups += collect(a2, r2, bq, s.k, lambda q: q.id, folds, 0, log, emb)
        groups += off_topic_groups(a2, r2, s.k, folds, "bulletin", emb)
    kinds: dict[str, int] = {}
    for g in groups:
        kinds[g.kind] = kinds.get(g.kind, 0) + 1
    log(f"fitting on {sum(len(g.y) for g in groups)} sentences of {len(groups)} questions {kinds}")
    info = {"trained_on": ["DRCD questions_train (simplified)", "bulletin dev"] if bulletin_questions
            else ["DRCD questions_train (simplified)"], "questions": kinds,
            "sentences": int(sum(len(g.y) for g in groups)), "positives": int(sum(g.y.sum() for g in groups)),
            "model": settings.model, "k": s.k}
    model, figures = train_selector(groups, folds, l2, max_wrong, info)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)
    report = {"model": str(out), "seconds": round(time.perf_counter() - t0, 1), **model.info,
              "threshold": round(model.threshold, 4),
              "weights": dict(zip(FEATURES, [round(float(w), 4) for w in model.weights]))}
    if report_dir:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        (Path(report_dir) / "selector.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                                                         encoding="utf-8")
    log(json.dumps(figures, ensure_ascii=False))
    return report
