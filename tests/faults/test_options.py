"""Options fuzzed: k out of range or not a number, in the CLI, the Python API, settings and the UI;
dates that cannot be read, and an end date before the start date."""
import pytest

from rag.config import Settings, SettingsError, check_k, load_settings

BAD_K = ["-1", "0", "1001", "2.5", "five", "", "nan", "1e3x", "99999999999999999999"]


@pytest.mark.parametrize("k", BAD_K)
def test_cli_refuses_a_bad_k(built, cli, k):
    """`--k -1` returned 58 passages, `--k 0` became 5."""
    for command in (["search", "青岛"], ["ask", "青岛高新区有多少家高新技术企业？"]):
        code, out, errs = cli(*command, "--k", k, "--index", built.index_dir)
        assert code == 2 and "k must be a whole number from 1 to 1000" in errs and not out


@pytest.mark.parametrize("k, n", [("1", 1), ("3", 3), ("1000", 69)])
def test_cli_k_in_range(built, cli, k, n):
    import json

    code, out, _ = cli("search", "青岛高新区", "--k", k, "--index", built.index_dir, "--json", "--mode", "dense")
    assert code == 0 and len(json.loads(out)["hits"]) == n


@pytest.mark.parametrize("k", [-1, 0, 1001, 2.5, "x", True, None.__class__])
def test_python_api_refuses_a_bad_k(built, fake, k):
    from rag.answering import Assistant
    from rag.index import Index
    from rag.search import Retriever

    retriever = Retriever(Index.load(built.index_dir), fake, built)
    with pytest.raises(SettingsError, match="1 to 1000"):
        retriever.search("青岛", k=k)
    bot = Assistant(built, embedder=fake, index=Index.load(built.index_dir))
    for call in (lambda: bot.search("青岛", k=k), lambda: bot.ask("青岛高新区有多少家企业？", k=k),
                 lambda: bot.as_retriever(k=k)):
        with pytest.raises(SettingsError, match="1 to 1000"):
            call()
    assert len(retriever.search("青岛高新区", k=None).hits) == built.k  # None: the setting


def test_settings_refuse_a_bad_k():
    for bad in ("0", "-3", "1001", 0):
        with pytest.raises(SettingsError, match="'k' must be from 1 to 1000"):
            load_settings(env={"RAG_K": str(bad)})
        with pytest.raises(SettingsError):
            Settings().replace(k=bad)
    assert check_k("7") == 7 and check_k(7.0) == 7


@pytest.mark.parametrize("k", [0, -1, 1001, 2.5, "x"])
def test_ui_refuses_a_bad_k(k):
    """Said in the chat in place of an answer (nothing raised: the question box stays usable)."""
    from rag.config import load_settings
    from rag.ui.app import UI

    ui = UI(object(), load_settings(env={}))
    for lang, words in (("en", "k must be"), ("zh", "k 必须是")):
        (html, *_), = list(ui.chat("问题", [], k, "hybrid", "extractive", [], "", "", lang, {}))
        assert "answer-problem" in html and words in html


# ------------------------------------------------------------------ dates (rag.text.dates)
@pytest.mark.parametrize("option, value", [("--date-from", "garbage"), ("--date-from", "2024-13-45"),
                                            ("--date-to", "garbage")])
def test_cli_refuses_an_unreadable_date(built, cli, option, value):
    """`--date-from garbage` or `2024-13-45` found nothing; `--date-to garbage` filtered nothing."""
    code, _, errs = cli("search", "青岛", option, value, "--index", built.index_dir)
    assert code == 2 and value in errs


def test_cli_reads_the_date_forms_the_ui_accepts(tmp_path, cli, fast_settings, fake):
    """`--date-from 2024/1/1` (a form the UI accepts) found nothing."""
    import json

    from rag.index import ingest

    p = tmp_path / "news.jsonl"
    p.write_text(json.dumps({"id": "a", "date": "2024-03-01", "text": "中炬高新发布年报，营收增长。"},
                            ensure_ascii=False), encoding="utf-8")
    ingest([p], fast_settings, fake)
    for form in ("2024/1/1", "2024年1月1日", "2024-01-01"):
        code, out, _ = cli("search", "中炬高新", "--date-from", form, "--index", fast_settings.index_dir, "--json")
        assert code == 0 and json.loads(out)["hits"], form


def test_cli_refuses_an_end_before_the_start(built, cli):
    code, _, errs = cli("search", "青岛", "--date-from", "2024-05-01", "--date-to", "2024-01-01",
                        "--index", built.index_dir)
    assert code == 2
