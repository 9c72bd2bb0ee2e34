"""A date filter over documents without a date says how many it left out and why, in the CLI and
in the answer's note (the UI shows it); a dated document is found by its date."""
import json

from ..conftest import SEED


def test_the_seed_is_found_by_its_date_and_undated_documents_are_counted(built, cli, corpus, fake):
    from rag.index import ingest

    # its name dates it: 2024-01 (a line added: an identical text would be stored once, as seed.txt)
    (corpus / SEED.name).write_text(SEED.read_text(encoding="utf-8") + "\n本期完。\n", encoding="utf-8")
    ingest([corpus], built, fake)
    code, out, _ = cli("search", "新引进高质量项目", "--index", built.index_dir, "--json",
                       "--date-from", "2024-01-01", "--date-to", "2024年1月31日")
    res = json.loads(out)
    assert code == 0 and res["hits"] and all(h["doc_id"].endswith(SEED.name) for h in res["hits"])
    assert all(h["date"] == "2024-01" for h in res["hits"])
    assert res["undated_left_out"] == 2  # seed.txt and brief.md carry no date
    code, out, _ = cli("search", "新引进高质量项目", "--index", built.index_dir, "--date-from", "2024-01")
    assert code == 0 and "left out 2 undated documents" in out
    code, out, _ = cli("search", "新引进高质量项目", "--index", built.index_dir)  # no date filter: no note
    assert "undated" not in out
    code, out, _ = cli("info", "--index", built.index_dir, "--documents")
    assert f"2024-01 (file name)" in out and out.count("undated") == 2


def test_the_answer_notes_what_the_date_filter_left_out(built, fake):
    from rag.answering import Assistant
    from rag.index import Index
    from rag.search import Filters

    bot = Assistant(built, embedder=fake, index=Index.load(built.index_dir))
    ans = bot.ask("青岛高新区新引进了多少个高质量项目？", filters=Filters(date_from="2024-01-01"))
    assert ans.refused and "日期筛选排除了 2 份没有日期的文档" in ans.note
    ans = bot.ask("How many projects did the zone bring in?", filters=Filters(date_to="2024"))
    assert "left out 2 undated documents" in ans.note
    assert "undated" not in bot.ask("青岛高新区新引进了多少个高质量项目？").note
