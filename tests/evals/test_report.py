"""Reports of rag eval: a whole comparison run on fake searchers (no model), the report folder
(JSON, Markdown, CSV, PNG plots), --compare on handcrafted results, and the CLI around them."""
import csv
import json

import pytest

from rag.evals import runs as evaluate
from rag.cli import format_table, main
from rag.config import Settings
from rag.evals.build import Target
from rag.evals.configs import EvalConfig
from rag.evals.runs import EvalPlan, run_eval
from rag.evals.questions import Question
from rag.evals.report import ReportError, compare, load_result, markdown_summary, text_table, write_report
from rag.types import Answer, Chunk, Citation, Hit, SearchResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

QUESTIONS = [
    Question("q1", "多少家？", "482家", answer_keys=["482家"], evidence=["企业482家"], kind="fact", lang="zh"),
    Question("q2", "谁？", "张美荣", answers=["张美荣"], gold_doc_ids=["docA"], kind="fact", lang="zh"),
    Question("q3", "How many?", "311", answer_keys=["311个"], evidence=["项目311个"], kind="crosslingual", lang="en"),
    Question("u1", "GDP？", None, kind="unanswerable", lang="zh"),
]


def _hits(*spec):
    return [Hit(Chunk(f"{d}#{i}", d, t), i + 1, 1.0 - i / 10, 0.9) for i, (d, t) in enumerate(spec)]


GOOD = {  # relevant first everywhere
    "多少家？": _hits(("docB", "高新技术企业482家"), ("docC", "别的")),
    "谁？": _hits(("docA", "总经理张美荣"), ("docB", "别的")),
    "How many?": _hits(("docB", "新引进高质量项目311个"), ("docC", "x")),
    "GDP？": _hits(("docC", "无关")),
}
WEAK = {  # relevant second, or missing
    "多少家？": _hits(("docC", "别的"), ("docB", "高新技术企业482家")),
    "谁？": _hits(("docB", "别的"), ("docC", "别的")),
    "How many?": _hits(("docB", "新引进高质量项目311个")),
    "GDP？": [],
}


class FakeSearcher:
    def __init__(self, table):
        self.table = table

    def search(self, query, k=5, mode=None):
        hits = self.table.get(query, [])[:k]
        return SearchResult(query, mode or "x", hits, bool(hits))


class FakeBuilder:
    def target(self, cfg: EvalConfig) -> Target:
        table = WEAK if cfg.baseline else GOOD
        return Target(cfg, FakeSearcher(table), cfg.mode or None, Settings(), None,
                      {"index": "(fake)", "chunks": 3, "documents": 3, "embedded": 0, "build_seconds": 0.1})


def _fake_answer(question: str) -> Answer:
    if question == "GDP？":
        return Answer(question, "抱歉。", refused=True)
    hit = GOOD[question][0]
    c = Citation(1, hit.chunk.chunk_id, hit.chunk.doc_id, "", "", hit.chunk.text, 0.9)
    return Answer(question, hit.chunk.text + "[1]。", [c], [hit])


@pytest.fixture
def result(monkeypatch):
    monkeypatch.setattr(evaluate, "make_answer_fn", lambda target: _fake_answer)
    configs = [EvalConfig("hybrid", {"mode": "hybrid"}, answers=True), EvalConfig("dense", {"mode": "dense"}),
               EvalConfig("langchain", {}, baseline="langchain")]
    res = run_eval(EvalPlan(QUESTIONS, configs, [1, 3, 5], 1000, seed=0, n_resamples=200), FakeBuilder(), {})
    res.update(questions="fake.jsonl", corpus=["corpus/"])
    return res


def test_run_eval_scores_every_configuration(result):
    assert result["n"] == 4 and result["n_answerable"] == 3
    h, lc = result["configs"]["hybrid"], result["configs"]["langchain"]
    assert h["scores"]["hit@1"] == 1.0 and h["scores"]["answer_containment"] == 1.0
    assert h["scores"]["refusal_rate_unanswerable"] == 1.0 and h["scores"]["citation_precision"] == 1.0
    assert lc["scores"]["hit@1"] == pytest.approx(1 / 3, abs=1e-4) and lc["scores"]["hit@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert "answer_containment" not in lc["scores"]  # no answers scored for it
    lo, hi = lc["ci"]["hit@3"]
    assert lo <= 2 / 3 <= hi
    assert h["by_lang"]["en"]["hit@1"]["mean"] == 1.0 and set(h["by_kind"]) == {"fact", "crosslingual", "unanswerable"}
    assert h["hit_curve"][:3] == [1.0, 1.0, 1.0] and lc["hit_curve"][:2] == [0.3333, 0.6667]
    ranks = {r["id"]: r["first_relevant_rank"] for r in result["per_question"]["langchain"]}
    assert ranks == {"q1": 2, "q2": None, "q3": 1, "u1": None}
    assert result["per_question"]["hybrid"][0]["answer"]["citations"][0]["doc_id"] == "docB"
    json.dumps(result)  # JSON-ready


def test_report_folder(result, tmp_path):
    files = write_report(result, tmp_path / "rep")
    assert [f.name for f in files] == ["results.json", "summary.md", "per_question.csv", "hit_at_k.png", "latency.png"]
    assert load_result(files[0])["configs"].keys() == result["configs"].keys()
    md = files[1].read_text(encoding="utf-8")
    assert "| metric | hybrid | dense | langchain |" in md and "## Answers" in md and "## By kind" in md
    assert "![hit@k against k](hit_at_k.png)" in md
    with open(files[2], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 * 4
    lc = {r["id"]: r for r in rows if r["config"] == "langchain"}
    assert lc["q1"]["first_relevant_rank"] == "2" and "docC" in lc["q1"]["retrieved_instead"]
    assert lc["q3"]["retrieved_instead"] == ""  # hit at rank 1: nothing to show
    hy = {r["id"]: r for r in rows if r["config"] == "hybrid"}
    assert hy["u1"]["retrieved_instead"].startswith("1. docC")  # found something for an unanswerable one
    assert hy["q1"]["answer"].startswith("高新技术企业482家")


def test_plots_are_valid_png(result, tmp_path):
    from PIL import Image
    import matplotlib.image as mpimg

    files = write_report(result, tmp_path)
    for f in files[3:]:
        assert f.read_bytes()[:8] == PNG_MAGIC
        with Image.open(f) as im:
            im.verify()
        with Image.open(f) as im:
            assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200
        assert mpimg.imread(f).ndim == 3


def test_text_table_new_and_old_shapes(result):
    t = text_table(result).splitlines()
    assert t[0].split() == ["hybrid", "dense", "langchain"]
    assert next(line for line in t if line.startswith("hit@1 ")).split() == ["hit@1", "1.0000", "1.0000", "0.3333"]
    old = {"n": 2, "modes": {"hybrid": {"hit@1": 0.5, "mrr@10": 0.75, "evidence_recall@5": None,
                                        "ms_per_query_p50": 3.2}, "dense": {"hit@1": 1.0, "mrr@10": 1.0,
                                                                            "evidence_recall@5": None,
                                                                            "ms_per_query_p50": 12.0}}}
    t = format_table(old)
    assert "evidence_recall@5" not in t and "0.7500" in t and "3.20" in t and "12.0" in t
    assert "# rag eval" in markdown_summary({"configs": {}, "n": 0})


# ------------------------------------------------------------------ compare
def _result(ranks: dict, containment: dict | None = None, name="hybrid", hit1=None):
    rows = [{"id": q, "answerable": q != "u1", "first_relevant_rank": r,
             "metrics": ({"answer_containment": containment[q]} if containment and q in containment else {})}
            for q, r in ranks.items()]
    hit = hit1 if hit1 is not None else sum(r == 1 for r in ranks.values()) / len(ranks)
    return {"n": len(ranks), "questions": "q.jsonl",
            "configs": {name: {"scores": {"hit@1": hit, "n_answerable": len(ranks), "ms_per_query_p50": 10.0}}},
            "per_question": {name: rows}}


@pytest.fixture
def two_files(tmp_path):
    old = _result({"a": 1, "b": 3, "c": None, "d": 2}, {"a": 1.0, "b": 0.0})
    new = _result({"a": 4, "b": 1, "c": 2, "d": 2}, {"a": 0.0, "b": 1.0}, hit1=0.5)
    po, pn = tmp_path / "old.json", tmp_path / "new.json"
    po.write_text(json.dumps(old), encoding="utf-8")
    pn.write_text(json.dumps(new), encoding="utf-8")
    return po, pn


def test_compare_question_by_question(two_files):
    out = compare(load_result(two_files[0]), load_result(two_files[1]))
    assert "== hybrid" in out
    assert "2 better, 1 worse, 1 unchanged" in out
    assert "better: c: miss -> rank 2" in out and "better: b: rank 3 -> rank 1" in out
    assert "worse: a: rank 1 -> rank 4" in out
    assert out.index("better: c") < out.index("better: b")  # a newly found answer first
    assert "answers: 1 better, 1 worse" in out and "b: answer_containment 0 -> 1" in out
    line = next(l for l in out.splitlines() if l.startswith("hit@1"))
    assert line.split() == ["hit@1", "0.2500", "0.5000", "+0.2500"]
    assert next(l for l in out.splitlines() if l.startswith("n_answerable")).split()[-1] == "+0"


def test_compare_cli(two_files, capsys):
    assert main(["eval", "--compare", str(two_files[0]), str(two_files[1]), "--only", "hybrid"]) == 0
    assert "2 better, 1 worse" in capsys.readouterr().out
    assert main(["eval", "--compare", str(two_files[0]), str(two_files[1]), "--only", "dense"]) == 2
    assert "'dense' is not in both results" in capsys.readouterr().err


def test_compare_pairs_single_configs_and_reads_old_results(tmp_path):
    a = _result({"a": 1}, name="x")
    b = _result({"a": 2}, name="y")
    assert "== x -> y" in compare(a, b) and "0 better, 1 worse" in compare(a, b)
    old = {"n": 1, "questions": "q.jsonl", "modes": {"y": {"hit@1": 1.0}}}
    out = compare(old, b)
    assert "no per-question results in the old file" in out
    c = _result({"a": 1}, name="z")
    c["configs"]["w"] = c["configs"]["z"]
    with pytest.raises(ReportError, match="share no configuration"):
        compare(a, c)


def test_load_result_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match="not a JSON file"):
        load_result(bad)
    other = tmp_path / "other.json"
    other.write_text('{"hits": []}', encoding="utf-8")
    with pytest.raises(ReportError, match="not a `rag eval` result"):
        load_result(other)
    with pytest.raises(ReportError, match="not found"):
        load_result(tmp_path / "none.json")


def test_eval_cli_needs_questions(capsys):
    assert main(["eval"]) == 2
    assert "eval needs question set(s)" in capsys.readouterr().err


# ------------------------------------------------------------------ the real thing
@pytest.mark.slow
def test_eval_cli_end_to_end(settings, tmp_path, monkeypatch, capsys):
    """`rag eval --mode all` on the bulletin keeps the old JSON shape and writes a report."""
    from tests.conftest import ROOT

    monkeypatch.setenv("RAG_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.chdir(ROOT)
    out = tmp_path / "r.json"
    assert main(["eval", "eval/datasets/bulletin_dev.jsonl", "--corpus", "corpus/", "--mode", "all", "--quiet",
                 "--json", str(out), "--report", str(tmp_path / "rep"), "--bootstrap", "100"]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["n"] == 24 and set(res["modes"]) == {"hybrid", "dense", "lexical"}
    for m in res["modes"].values():
        assert {"hit@1", "hit@5", "hit@1000c", "mrr@10", "evidence_recall@5", "ms_per_query_p50"} <= set(m)
    assert res["modes"]["hybrid"]["hit@5"] >= 0.9
    assert "langchain" in res["configs"] and res["per_question"]["hybrid"][0]["id"] == "d01"
    assert (tmp_path / "rep" / "hit_at_k.png").read_bytes()[:8] == PNG_MAGIC


def _scored(values: dict[str, float], name="hybrid"):
    rows = [{"id": q, "answerable": True, "first_relevant_rank": 1 if v else None, "metrics": {"hit@1": v}}
            for q, v in values.items()]
    return {"n": len(values), "questions": "q.jsonl", "per_question": {name: rows},
            "configs": {name: {"scores": {"hit@1": sum(values.values()) / len(values)}}}}


def test_compare_prints_paired_p_values():
    ids = [f"q{i}" for i in range(40)]
    old = _scored({q: float(i % 2) for i, q in enumerate(ids)})  # half the questions hit
    better = _scored({q: 1.0 for q in ids})  # every question hits now
    line = next(l for l in compare(old, better).splitlines() if l.startswith("hit@1"))
    cells = line.split()
    assert cells[:4] == ["hit@1", "0.5000", "1.0000", "+0.5000"] and cells[-1] == "40"
    assert cells[4].endswith("*") and float(cells[4].strip("<*")) < 0.001 and float(cells[5].lstrip("<")) < 0.001
    one_more = _scored({q: float(i % 2 or i == 0) for i, q in enumerate(ids)})  # one question of 40 changed
    line = next(l for l in compare(old, one_more).splitlines() if l.startswith("hit@1"))
    assert float(line.split()[4]) > 0.5 and not line.split()[4].endswith("*")
    assert "paired randomisation test" in compare(old, one_more)
    # the same two files give the same p-values every time (seeded)
    assert compare(old, one_more) == compare(old, one_more)
