"""Reports of ``rag eval``: the side-by-side table, a report folder, and ``--compare``.

``write_report(result, folder)`` writes:

- ``results.json``: everything, per-question outcomes included (what ``--compare`` reads);
- ``summary.md``: the side-by-side tables with 95% confidence intervals, per kind and language;
- ``per_question.csv``: one row per question and configuration; where the first passage was not
  relevant, what was retrieved instead;
- ``hit_at_k.png`` (hit@k against k, one line per configuration) and ``latency.png``.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

ANSWER_ROWS = ("answer_containment", "answer_em", "answer_f1", "citation_precision",
               "refusal_rate_unanswerable", "wrong_refusal_rate", "declined_rate_unanswerable",
               "caveat_rate_answerable", "caveat_names_missing")
LATENCY_ROWS = ("ms_per_query_p50", "ms_per_query_p95", "answer_ms_p50", "answer_ms_p95")
COUNT_ROWS = ("n_answerable", "n_unanswerable")


class ReportError(ValueError):
    """A result file that cannot be read or compared; the message says why."""


# ------------------------------------------------------------------ reading results
def load_result(path: str | Path) -> dict:
    """A ``rag eval`` JSON result, checked for the keys the reports need."""
    p = Path(path)
    if not p.is_file():
        raise ReportError(f"result file not found: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{p} is not a JSON file ({exc})") from exc
    if not isinstance(data, dict) or not (isinstance(data.get("configs"), dict) or isinstance(data.get("modes"), dict)):
        raise ReportError(f"{p} is not a `rag eval` result (it has neither 'configs' nor 'modes')")
    return data


def config_scores(result: dict) -> dict[str, dict]:
    """Name -> flat scores, for new results (``configs``) and old ones (``modes`` only)."""
    if isinstance(result.get("configs"), dict) and result["configs"]:
        return {n: c.get("scores", {}) for n, c in result["configs"].items()}
    return dict(result.get("modes") or {})


def _metric_rows(scores: dict[str, dict]) -> list[str]:
    """Metric names in first-seen order, leaving out those no configuration has a value for."""
    names: list[str] = []
    for s in scores.values():
        names.extend(k for k in s if k not in names)
    return [k for k in names if any(s.get(k) is not None for s in scores.values())]


def _fmt(v, name: str = "") -> str:
    """A cell: rates with 4 decimals, times (``ms``, seconds) with 1 or 2."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if "ms" in name.split("_") or name in ("build_seconds",):
            return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
        return f"{v:.4f}"
    return str(v)


# ------------------------------------------------------------------ the terminal table
def text_table(result: dict) -> str:
    """Configurations side by side, one metric a row (metrics nobody has are left out)."""
    scores = config_scores(result)
    if not scores:
        return "(no configurations)"
    rows = _metric_rows(scores)
    width = max(len(k) for k in rows) if rows else 6
    cols = [max(9, len(n)) for n in scores]
    lines = [f"{'':<{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(scores, cols))]
    for k in rows:
        lines.append(f"{k:<{width}}  " + "  ".join(f"{_fmt(s.get(k), k):>{w}}" for s, w in zip(scores.values(), cols)))
    return "\n".join(lines)


# ------------------------------------------------------------------ Markdown
def _cell(cfg: dict, metric: str) -> str:
    v = cfg.get("scores", {}).get(metric)
    if v is None:
        return "–"
    ci = cfg.get("ci", {}).get(metric)
    if ci and ci[0] != ci[1]:
        return f"{v:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _group_table(configs: dict, key: str, metrics: list[str]) -> list[str]:
    """Per ``kind`` or ``lang``: one row per value, one column per configuration and metric."""
    values = sorted({v for c in configs.values() for v in c.get(key, {})})
    if len(values) < 2 and key == "by_lang":
        return []
    lines: list[str] = []
    for m in metrics:
        if not any(m in g for c in configs.values() for g in c.get(key, {}).values()):
            continue
        rows = []
        for v in values:
            cells = []
            n = 0
            for c in configs.values():
                g = c.get(key, {}).get(v, {})
                n = max(n, g.get("n", 0))
                st = g.get(m)
                cells.append("–" if not st else (f"{st['mean']:.3f} [{st['lo']:.2f}, {st['hi']:.2f}] (n={st['n']})"
                                                 if st["lo"] != st["hi"] else f"{st['mean']:.3f} (n={st['n']})"))
            if any(c != "–" for c in cells):
                rows.append([f"{v} ({n})"] + cells)
        lines += [f"**{m}**", ""] + _table([key[3:]] + list(configs), rows) + [""]
    return lines


def _build_cells(name: str, cfg: dict) -> list[str]:
    """Build time and passages embedded, or which configuration's index this one shares."""
    by = cfg.get("built_by")
    if by and by != name:
        return [f"(index of {by})", ""]
    return [_fmt(cfg.get("build_seconds"), "build_seconds"), _fmt(cfg.get("embedded"))]


def markdown_summary(result: dict, plots: bool = True) -> str:
    """The report's ``summary.md``."""
    configs = result.get("configs") or {}
    names = list(configs)
    q = result.get("questions")
    qs = ", ".join(q) if isinstance(q, list) else (q or "?")
    corpus = ", ".join(result.get("corpus") or []) or "?"
    out = [f"# rag eval: {qs}", "",
           f"{result.get('date', '')}, {result.get('machine', '')}.",
           f"Corpus: `{corpus}`" + (f" ({result['sample']})" if result.get("sample") else "") + ".",
           f"{result.get('n', '?')} questions ({result.get('n_answerable', '?')} answerable); every configuration "
           f"ran on the same questions on this machine in one run. Intervals: 95% percentile bootstrap over "
           f"questions ({result.get('bootstrap', '?')} resamples, seed {result.get('seed', '?')}).", ""]
    scores = {n: c.get("scores", {}) for n, c in configs.items()}
    rows = [m for m in _metric_rows(scores) if m not in ANSWER_ROWS + LATENCY_ROWS + COUNT_ROWS
            and not m.startswith("answer_ms")]
    out += ["## Retrieval", ""] + _table(["metric"] + names, [[m] + [_cell(configs[n], m) for n in names]
                                                               for m in rows]) + [""]
    arows = [m for m in ANSWER_ROWS if any(s.get(m) is not None for s in scores.values())]
    if arows:
        out += ["## Answers", ""] + _table(["metric"] + names, [[m] + [_cell(configs[n], m) for n in names]
                                                              for m in arows]) + [""]
    lrows = [m for m in LATENCY_ROWS if any(s.get(m) is not None for s in scores.values())]
    out += ["## Latency and index (ms; on this machine)", ""]
    out += _table(["config", "mode"] + lrows + ["chunks", "build s", "embedded now"],
                  [[n, str(c.get("mode", ""))] + [_fmt(c.get("scores", {}).get(m), m) for m in lrows]
                   + [_fmt(c.get("chunks"))] + _build_cells(n, c) for n, c in configs.items()]) + [""]
    budget = result.get("char_budget", 1000)
    key = [m for m in ("hit@5", f"hit@{budget}c", "mrr@10", "answer_containment", "refusal_rate_unanswerable")
           if m in rows + arows]
    kinds = _group_table(configs, "by_kind", key)
    if kinds:
        out += ["## By kind of question", ""] + kinds
    langs = _group_table(configs, "by_lang", key)
    if langs:
        out += ["## By language of question", ""] + langs
    if plots:
        out += ["## Plots", "", "![hit@k against k](hit_at_k.png)", "", "![latency](latency.png)", ""]
    out += ["## Configurations", ""]
    out += [f"- **{n}**: `{json.dumps(c.get('config', {}), ensure_ascii=False)}`; index `{c.get('index', '')}`"
            for n, c in configs.items()]
    out += ["", "## Definitions", "",
            "- A passage is *relevant* when it comes from a gold document (or an identical copy of one), or, for "
            "questions without gold documents, when it holds an evidence string (whitespace ignored).",
            f"- hit@k: a relevant passage among the first k. hit@{budget}c: among the leading passages whose "
            f"lengths add up to {budget} characters (the first always counts), so long chunks do not win by size.",
            "- mrr@10, ndcg@10 (binary; the ideal ranking holds the relevant passages retrieved), recall@k of the "
            "evidence strings and of the gold documents. Retrieval metrics cover answerable questions only.",
            "- found rate: a search returned a passage above the relevance floor (wanted on answerable questions, "
            "not wanted on unanswerable ones).",
            "- answer_containment: the answer holds every answer key, or else one of the reference answers. "
            "answer_em / answer_f1: CMRC 2018 exact match and F1 (longest common run of characters, punctuation "
            "and whitespace removed), best over the reference answers. citation_precision: share of citations "
            "whose passage holds the evidence or comes from a gold document. refusal_rate_unanswerable: refusals "
            "on unanswerable questions (higher is better); wrong_refusal_rate: refusals on answerable ones. "
            "declined_rate_unanswerable: refusals or caveats (the bulletins lack the detail asked and say so) on "
            "unanswerable ones; caveat_rate_answerable: caveats on answerable ones (lower is better); "
            "caveat_names_missing: caveats on near-miss questions that name the changed detail.",
            "- Passages are embedded through the embedding cache (by model and passage text), so reruns and new "
            "configurations only embed passages no run has seen; build times count what was embedded now.", ""]
    return "\n".join(out)


# ------------------------------------------------------------------ CSV
def _hits_text(top: list[dict]) -> str:
    return " | ".join(f"{t['rank']}. {t['doc_id']}: {t['text']}" for t in top)


def write_per_question_csv(result: dict, path: Path) -> None:
    """One row per (configuration, question)."""
    ks = result.get("ks") or []
    budget = result.get("char_budget", 1000)
    metric_cols = [f"hit@{k}" for k in ks] + [f"hit@{budget}c", "mrr@10", "answer_containment", "answer_f1",
                                             "citation_precision"]
    header = (["config", "id", "kind", "lang", "answerable", "question", "first_relevant_rank", "found", "ms"]
              + metric_cols + ["expected", "retrieved_instead", "answer", "refused"])
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for name, rows in (result.get("per_question") or {}).items():
            for r in rows:
                m = r.get("metrics", {})
                top = r.get("top", [])
                missed = (r.get("answerable") and r.get("first_relevant_rank") != 1) or (
                    not r.get("answerable") and r.get("found"))
                ans = r.get("answer") or {}
                w.writerow([name, r["id"], r.get("kind", ""), r.get("lang", ""), r.get("answerable"),
                            r.get("question", ""), r.get("first_relevant_rank") or "", r.get("found"), r.get("ms")]
                           + [m.get(c, "") for c in metric_cols]
                           + ["; ".join(r.get("expected") or []), _hits_text(top) if missed else "",
                              ans.get("text", ""), ans.get("refused", "")])


# ------------------------------------------------------------------ plots
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_hit_curve(result: dict, path: Path) -> None:
    """hit@k against k, one line per configuration."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for name, c in (result.get("configs") or {}).items():
        curve = c.get("hit_curve") or []
        if curve:
            ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label=name)
    ax.set_xlabel("k (passages)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("hit@k")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(f"hit@k, {result.get('n_answerable', '?')} answerable questions")
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def plot_latency(result: dict, path: Path) -> None:
    """Search latency p50 and p95 per configuration; answer latency beside it where measured."""
    plt = _pyplot()
    configs = result.get("configs") or {}
    names = list(configs)
    panels = [("search", ("ms_per_query_p50", "ms_per_query_p95")), ("answer", ("answer_ms_p50", "answer_ms_p95"))]
    panels = [(t, ms) for t, ms in panels if any(c.get("scores", {}).get(ms[0]) is not None for c in configs.values())]
    panels = panels or [("search", ("ms_per_query_p50", "ms_per_query_p95"))]
    fig, axes = plt.subplots(1, len(panels), figsize=(max(6.4, (1.1 * len(names) + 1.5) * len(panels)), 4.2),
                             dpi=110, squeeze=False)
    for ax, (title, series) in zip(axes[0], panels):
        width = 0.8 / len(series)
        for i, m in enumerate(series):
            xs = [j + i * width for j in range(len(names))]
            ax.bar(xs, [configs[n].get("scores", {}).get(m) or 0 for n in names], width, label=m.rsplit("_", 1)[-1])
        ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(names))], names, rotation=20)
        ax.set_ylabel("ms per question")
        ax.set_title(f"{title} latency")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def write_report(result: dict, folder: str | Path) -> list[Path]:
    """Write the report folder; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / "results.json", folder / "summary.md", folder / "per_question.csv",
             folder / "hit_at_k.png", folder / "latency.png"]
    files[0].write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    files[1].write_text(markdown_summary(result), encoding="utf-8")
    write_per_question_csv(result, files[2])
    plot_hit_curve(result, files[3])
    plot_latency(result, files[4])
    return files


# ------------------------------------------------------------------ compare
def _rank_key(rank) -> float:
    return float("inf") if rank is None else float(rank)


def _rank_text(rank) -> str:
    return "miss" if rank is None else f"rank {rank}"


def _pairs(old: dict, new: dict, only: str | None) -> list[tuple[str, str]]:
    a, b = config_scores(old), config_scores(new)
    if only:
        if only not in a or only not in b:
            raise ReportError(f"configuration {only!r} is not in both results "
                              f"(old: {', '.join(a) or '-'}; new: {', '.join(b) or '-'})")
        return [(only, only)]
    common = [n for n in b if n in a]
    if common:
        return [(n, n) for n in common]
    if len(a) == 1 and len(b) == 1:
        return [(next(iter(a)), next(iter(b)))]
    raise ReportError(f"the results share no configuration name (old: {', '.join(a)}; new: {', '.join(b)}); "
                      "pick one with --only NAME")


def paired_values(qa: dict[str, dict], qb: dict[str, dict], metric: str) -> tuple[list[float], list[float]]:
    """One metric's per-question values on both sides, for the questions both scored."""
    old, new = [], []
    for qid, rb in qb.items():
        va = (qa.get(qid) or {}).get("metrics", {}).get(metric)
        vb = rb.get("metrics", {}).get(metric)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)):
            old.append(float(va))
            new.append(float(vb))
    return old, new


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def compare_config(old: dict, new: dict, a: str, b: str, limit: int = 50) -> list[str]:
    """What got better or worse for one configuration, metric by metric (with paired p-values
    where both results hold per-question values) and question by question."""
    from .metrics import paired_test

    sa, sb = config_scores(old)[a], config_scores(new)[b]
    qa = {r["id"]: r for r in (old.get("per_question") or {}).get(a, [])}
    qb = {r["id"]: r for r in (new.get("per_question") or {}).get(b, [])}
    title = a if a == b else f"{a} -> {b}"
    lines = [f"== {title}", f"{'metric':<28}{'old':>10}{'new':>10}{'change':>10}{'p rand':>10}{'p t':>10}{'n':>6}"]
    for m in _metric_rows({"a": sa, "b": sb}):
        va, vb = sa.get(m), sb.get(m)
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and not isinstance(va, bool):
            d = vb - va
            delta = f"{d:+d}" if isinstance(d, int) else ("+" if d >= 0 else "") + _fmt(float(d), m)
            line = f"{m:<28}{_fmt(va, m):>10}{_fmt(vb, m):>10}{delta:>10}"
            xs, ys = paired_values(qa, qb, m)
            test = paired_test(xs, ys) if qa and qb else None
            if test is not None:
                star = "*" if test[0] < 0.05 else " "
                line += f"{_p(test[0]):>9}{star}{_p(test[1]):>10}{len(xs):>6}"
            lines.append(line)
        else:
            lines.append(f"{m:<28}{_fmt(va, m):>10}{_fmt(vb, m):>10}")
    if not qa or not qb:
        which = "old" if not qa else "new"
        lines.append(f"(no per-question results in the {which} file: only the scores can be compared)")
        return lines
    better, worse, same = [], [], 0
    abetter, aworse = [], []
    for qid, rb in qb.items():
        ra = qa.get(qid)
        if ra is None:
            continue
        if rb.get("answerable", True):
            ka, kb = _rank_key(ra.get("first_relevant_rank")), _rank_key(rb.get("first_relevant_rank"))
            change = f"{qid}: {_rank_text(ra.get('first_relevant_rank'))} -> {_rank_text(rb.get('first_relevant_rank'))}"
            if kb < ka:
                better.append((ka - kb, change))
            elif kb > ka:
                worse.append((kb - ka, change))
            else:
                same += 1
        for m in ("answer_containment", "refusal_rate_unanswerable"):
            va, vb = ra.get("metrics", {}).get(m), rb.get("metrics", {}).get(m)
            if va is not None and vb is not None and va != vb:
                (abetter if vb > va else aworse).append(f"{qid}: {m} {va:g} -> {vb:g}")
    lines.append("p rand: paired randomisation test, p t: paired t-test (two-sided, over the n questions "
                 "both scored); * p < 0.05: a difference beyond noise")
    only_old = len(set(qa) - set(qb))
    only_new = len(set(qb) - set(qa))
    lines.append(f"retrieval, question by question: {len(better)} better, {len(worse)} worse, {same} unchanged"
                 + (f"; {only_old} only in old, {only_new} only in new" if only_old or only_new else ""))
    for label, items in (("better", better), ("worse", worse)):
        items.sort(key=lambda x: (-x[0], x[1]))
        for _, text in items[:limit]:
            lines.append(f"  {label}: {text}")
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more {label}")
    if abetter or aworse:
        lines.append(f"answers: {len(abetter)} better, {len(aworse)} worse")
        lines += [f"  better: {t}" for t in abetter[:limit]] + [f"  worse: {t}" for t in aworse[:limit]]
    return lines


def compare(old: dict, new: dict, only: str | None = None, limit: int = 50) -> str:
    """``rag eval --compare``: every configuration the two results share (or the one given)."""
    if old.get("n") != new.get("n") or old.get("questions") != new.get("questions"):
        head = [f"note: the results cover different question sets or sizes "
                f"(old: {old.get('n')} from {old.get('questions')}; new: {new.get('n')} from {new.get('questions')})"]
    else:
        head = []
    out = head
    for a, b in _pairs(old, new, only):
        out += compare_config(old, new, a, b, limit) + [""]
    return "\n".join(out).rstrip() + "\n"
