"""The answer judge's code path on the real model (slow): a tiny judge trained here reorders the
rules' candidates and vetoes below its floor; a missing file leaves the rules answering alone.
No judge ships (eval/README.md): these tests use one trained in the test."""
import pytest

from rag.train.examples import Group, Pair

pytestmark = pytest.mark.slow
Q = "2023年青岛高新区新引进了多少个高质量项目？"
EXAMPLES = [
    Group(Q, "2023年以来，新引进高质量项目311个，总投资超过300亿元。",
          ("天气晴朗，市民纷纷外出踏青。", "青岛高新区举办了人才招聘会。"), "a"),
    Pair(Q, "2023年以来，新引进高质量项目311个。", 1.0, "a"),
    Pair("2022年青岛高新区新引进了多少个高质量项目？", "2023年以来，新引进高质量项目311个。", 0.0, "a"),
]


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory, model_cache_dir):
    from rag.embed import prepare_default_model
    from rag.train.trainer import TrainConfig, train

    out = tmp_path_factory.mktemp("judge") / "judge.safetensors"
    cfg = TrainConfig(layers=1, group_size=3, batch_pairs=6, epochs=2, max_valid=0, precision="fp32")
    assert train(EXAMPLES, prepare_default_model(model_cache_dir), out, cfg)["finished"]
    return out


def _assistant(seed_settings, embedder, **judge):
    from rag.answering import Assistant

    s = seed_settings.replace(extractive={**seed_settings.extractive.__dict__, "judge": True, **judge})
    return Assistant.open(s.index_dir, settings=s, embedder=embedder)


def test_the_judge_orders_the_candidates_and_the_answer_stays_checked(seed_assistant, seed_settings, embedder,
                                                                       tiny_judge):
    bot = _assistant(seed_settings, embedder, judge_model=str(tiny_judge), judge_min_probability=0.0)
    ex = bot._current().answerers["extractive"]
    assert ex.judge is not None
    seen = []
    real = ex.judge.probabilities
    ex.judge.probabilities = lambda q, s: seen.append((q, list(s))) or real(q, s)
    a = bot.ask(Q)
    assert seen and seen[0][0] == Q and 1 < len(seen[0][1]) <= seed_settings.extractive.judge_candidates
    assert not a.refused and a.citations
    # the detail checks still run after the judge: a changed year is never answered as asked
    b = bot.ask("2022年青岛高新区新引进了多少个高质量项目？")
    assert b.refused or b.caveat


def test_a_floor_above_every_probability_refuses_and_a_missing_file_turns_the_judge_off(
        seed_assistant, seed_settings, embedder, tiny_judge, tmp_path):
    from rag.answering.judge import load_judge

    bot = _assistant(seed_settings, embedder, judge_model=str(tiny_judge), judge_min_probability=1.0)
    a = bot.ask(Q)
    assert a.refused and "judge" in a.note
    missing = tmp_path / "nowhere.safetensors"
    logs: list[str] = []
    assert load_judge(missing, seed_settings.cache_dir, log=logs.append) is None
    assert len(logs) == 1 and "answer judge is off" in logs[0] and "nowhere.safetensors" in logs[0]
    bot = _assistant(seed_settings, embedder, judge_model=str(missing))
    assert bot._current().answerers["extractive"].judge is None
    assert not bot.ask(Q).refused  # the rules answer alone
