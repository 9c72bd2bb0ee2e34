"""The web UI with the real model, driven through its API with gradio_client: chat, follow-ups,
filters, refusals, and 20 questions answered while an upload is being ingested."""
import os
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import SEED  # noqa: E402
SEED_ID = f"corpus/{SEED.name}"
QUESTION = "2023年青岛高新区新引进了多少个高质量项目？"
# (question, a fact the answer must hold) from the seed bulletin
FACTS = [(QUESTION, "311"), ("青岛高新区全年入库国家科技型中小企业多少家？", "884"),
         ("青岛高新区高新技术企业有多少家？", "482"), ("2023年青岛高新区新引进本科以上产业人才多少人？", "5000")]

pytestmark = pytest.mark.slow


@dataclass
class RunningApp:
    bot: object
    settings: object
    demo: object
    url: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(root: Path, model_cache_dir: Path, embedder) -> RunningApp:
    """Build an index of the seed bulletin under ``root`` and launch the app on a free loopback port.

    The caller works in ``root`` (so document ids read ``corpus/...``) and closes ``demo`` after.
    """
    from rag.answering import Assistant
    from rag.config import load_settings
    from rag.embed import prepare_default_model
    from rag.ui.app import launch

    prepare_default_model(model_cache_dir)
    cache = root / "cache"
    (cache / "models").mkdir(parents=True)
    for p in (model_cache_dir / "models").iterdir():  # share the converted model, nothing else
        (cache / "models" / p.name).symlink_to(p)
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    settings = load_settings(env={}, index_dir=Path("index"), cache_dir=cache, corpus_dir=Path("corpus"),
                             port=free_port())
    bot = Assistant.build(Path("corpus"), settings=settings, embedder=embedder)
    demo = launch(bot, settings, block=False, quiet=True)
    return RunningApp(bot, settings, demo, demo.local_url)


def app_in(root: Path, model_cache_dir: Path, embedder):
    """Run the app from ``root`` (the working directory meanwhile); yields the RunningApp."""
    old = os.getcwd()
    os.chdir(root)
    try:
        running = start_app(root, model_cache_dir, embedder)
        yield running
        running.demo.close()
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def app(tmp_path_factory, model_cache_dir, embedder):
    yield from app_in(tmp_path_factory.mktemp("ui-app"), model_cache_dir, embedder)


def chat(client, question: str, **options) -> tuple[str, str]:
    return tuple(client.predict(question, api_name="/chat", **options)[:2])


def test_chat_api_answers_with_sources_and_follow_ups(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    reply, sources = chat(client, QUESTION)
    assert "311" in reply and 'class="cite"' in reply
    assert "<mark>" in sources and "311" in sources.split("<mark>")[1]
    assert "青岛高新区" in sources and "Author:" in sources
    reply, _ = chat(client, "那总投资是多少？")  # a follow-up: same session, so the history goes along
    assert "350" in reply


def test_chat_api_refuses_and_applies_settings(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    reply, sources = chat(client, "火星上有多少只企鹅？")
    assert "没有找到" in reply and "No passage" in sources
    reply, _ = chat(Client(app.url, verbose=False), QUESTION, k=3, mode="lexical", doc_ids=[SEED_ID])
    assert "311" in reply
    reply, _ = chat(Client(app.url, verbose=False), QUESTION, date_from="2030-01-01")
    assert "没有找到" in reply  # no passage is dated in range
    # a date that cannot be read is said in the chat, in place of an answer (nothing raised)
    reply, _ = chat(Client(app.url, verbose=False), QUESTION, date_from="sometime")
    assert "answer-problem" in reply and "Accepted forms" in reply and "sometime" in reply


def big_bulletin(path: Path, copies: int = 8) -> Path:
    """A long bulletin of new text (numbered paragraphs), so every passage must be embedded."""
    paras = [p for p in SEED.read_text(encoding="utf-8").splitlines() if p.strip()]
    body = "\n\n".join(f"第{i}号简报：{p}" for i, p in enumerate(paras * copies))
    path.write_text("高新区简报汇编\n\n" + body, encoding="utf-8")
    return path


def test_questions_are_answered_while_an_upload_is_ingesting(app, tmp_path):
    from gradio_client import Client, handle_file

    askers = [Client(app.url, verbose=False) for _ in range(20)]
    uploader = Client(app.url, verbose=False)
    big = big_bulletin(tmp_path / "big-bulletin.txt")
    t0 = time.monotonic()
    job = uploader.submit([handle_file(str(big))], api_name="/ingest")
    ingest_done: list[float] = []
    waiter = threading.Thread(target=lambda: (job.result(timeout=600), ingest_done.append(time.monotonic())))
    waiter.start()
    while not job.done():  # wait for the ingest to be under way (files read, passages cut): the status says so
        if any(str(out[0]).startswith(("Cutting into passages", "Embedding passages")) for out in job.outputs()):
            break
        assert time.monotonic() - t0 < 120, "ingest did not start"
        time.sleep(0.02)
    started = time.monotonic()

    def ask(i: int) -> tuple[str, str, float]:
        question, fact = FACTS[i % len(FACTS)]
        reply, _ = chat(askers[i], question)
        return fact, reply, time.monotonic()

    with ThreadPoolExecutor(len(askers)) as pool:
        results = list(pool.map(ask, range(len(askers))))
    waiter.join(timeout=600)
    assert ingest_done, "the ingest did not finish"
    wrong = [(fact, reply) for fact, reply, _ in results if fact not in reply]
    assert not wrong
    times = sorted(t for _, _, t in results)
    during = sum(t < ingest_done[0] for t in times)
    print(f"\ningest ran {started - t0:.1f}..{ingest_done[0] - t0:.1f} s; questions answered at "
          f"{times[0] - t0:.1f}..{times[-1] - t0:.1f} s, {during} of {len(times)} while it ran")
    # Serialized behind the ingest, none would finish before it. They share the model (one
    # inference at a time), so on a busy machine the last few may finish after it.
    assert during >= len(times) // 2, "questions waited for the ingest to finish"
    status = job.result()[0]
    assert "1 added" in status

    # the upload is searchable, then removed again with its file
    doc_id = "corpus/uploads/big-bulletin.txt"
    assert doc_id in [d.doc_id for d in app.bot.documents()]
    assert Path(doc_id).is_file()
    status = uploader.predict(doc_id, api_name="/remove")[0]
    assert "Removed" in status and not Path(doc_id).exists()
    assert doc_id not in [d.doc_id for d in app.bot.documents()]


def test_upload_names_cannot_escape_the_data_folder(app, tmp_path):
    """A client that sends a crafted file name still only writes into corpus/uploads/."""
    import httpx
    from gradio_client import Client

    text = "海鸥湾通报\n\n2024年，海鸥湾示范区新建智能灯塔27座。".encode("utf-8")
    resp = httpx.post(app.url.rstrip("/") + "/gradio_api/upload",
                      files=[("files", ("../../escaped.txt", text, "text/plain"))])
    resp.raise_for_status()
    server_path = resp.json()[0]
    client = Client(app.url, verbose=False)
    status = client.predict([{"path": server_path, "meta": {"_type": "gradio.FileData"}}], api_name="/ingest")[0]
    assert "1 added" in status
    root = Path.cwd()
    assert [p.relative_to(root).as_posix() for p in root.rglob("escaped.txt")] == ["corpus/uploads/escaped.txt"]
    assert not (root.parent / "escaped.txt").exists() and not (root.parent.parent / "escaped.txt").exists()
    assert "27" in chat(client, "海鸥湾示范区新建了多少座智能灯塔？")[0]
    client.predict("corpus/uploads/escaped.txt", api_name="/remove")
