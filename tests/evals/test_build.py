"""Getting an eval ready: the corpus sample that keeps every gold document, twins, corpus files."""
import json

import pytest

from rag.evals.build import sample_corpus, twin_map, write_corpus_jsonl
from rag.evals.questions import Question
from rag.ingest.readers import RawDocument


def _raw(i, text=None):
    return RawDocument(f"d{i}", text or f"第{i}篇", "c.jsonl", "jsonl", title=f"t{i}")


def test_sample_corpus_keeps_gold_and_evidence_documents():
    raws = [_raw(i) for i in range(100)] + [_raw(100, "其中高新技术企业 482家")]
    qs = [Question("a", "q", gold_doc_ids=["d5", "d77", "nowhere"]), Question("b", "q", evidence=["企业482家"])]
    s = sample_corpus(raws, qs, 20, seed=1)
    ids = [d.doc_id for d in s.documents]
    assert len(ids) == 20 and s.required == 3 and {"d5", "d77", "d100"} <= set(ids)
    assert ids == sorted(ids, key=lambda x: int(x[1:]))  # original order
    assert s.missing_gold == ["nowhere"]
    assert [d.doc_id for d in sample_corpus(raws, qs, 20, seed=1).documents] == ids
    assert [d.doc_id for d in sample_corpus(raws, qs, 20, seed=2).documents] != ids
    assert len(sample_corpus(raws, qs, 2, seed=1).documents) == 3  # the required ones, at least
    assert len(sample_corpus(raws, qs, 500, seed=1).documents) == 101


def test_a_near_miss_keeps_the_documents_of_the_question_it_changes():
    from rag.evals.questions import parse_question

    raws = [_raw(i) for i in range(100)]
    q = parse_question({"id": "nm1", "question": "2020年…？", "source_doc_ids": ["d42"], "missing": "2020"}, "t")
    assert not q.answerable and q.source_doc_ids == ["d42"]
    assert "d42" in {d.doc_id for d in sample_corpus(raws, [q], 5, seed=0).documents}


def test_sample_corpus_file_is_named_by_content(tmp_path):
    docs = [_raw(1), _raw(2)]
    p = write_corpus_jsonl(docs, tmp_path, "crud")
    assert p == write_corpus_jsonl(docs, tmp_path, "crud") and p.name.startswith("crud-2-")
    assert write_corpus_jsonl(docs[:1], tmp_path, "crud") != p
    recs = [json.loads(l) for l in p.read_text(encoding="utf-8").splitlines()]
    assert recs[0] == {"id": "d1", "title": "t1", "date": "", "source": "", "text": "第1篇"}


def test_twin_map_groups_identical_texts():
    raws = [_raw(1, "同一 篇"), _raw(2, "别的"), _raw(3, "同一篇")]
    assert twin_map(raws) == {"d1": "d1", "d2": "d2", "d3": "d1"}


def test_prepare_corpus_reads_or_samples(tmp_path):
    from rag.evals.build import prepare_corpus

    src = tmp_path / "news" / "corpus.jsonl"
    src.parent.mkdir()
    src.write_text("\n".join(json.dumps({"id": f"n{i}", "text": f"新闻{i}"}, ensure_ascii=False) for i in range(30)),
                   encoding="utf-8")
    qs = [Question("a", "q", gold_doc_ids=["n29"])]
    paths, raws, skipped, note = prepare_corpus([src], qs, None, 0, tmp_path / "cache")
    assert paths == [src] and len(raws) == 30 and not skipped and note == ""
    paths, raws, _, note = prepare_corpus([src], qs, 5, 0, tmp_path / "cache")
    assert len(raws) == 5 and "n29" in {r.doc_id for r in raws} and "the 1 the questions need" in note
    assert paths[0].parent == tmp_path / "cache" / "eval-corpora" and paths[0].name.startswith("news-corpus-s0-5-")
    with pytest.raises(ValueError, match="no readable documents"):
        prepare_corpus([tmp_path / "missing"], qs, None, 0, tmp_path / "cache")
