"""The cross-encoder trainer on the real bundled model (slow): a tiny run on a few pairs and groups,
the same weights whether it ran in one go or stopped and resumed, and the run-time scoring paths
(ONNX fp32 and int8) giving the training-time network's scores."""
import numpy as np
import pytest

from rag.train.examples import Group, Pair, read_examples, split_by_key, write_examples

GROUPS = [
    Group("2023年青岛高新区新引进了多少个高质量项目？", "2023年，青岛高新区新引进高质量项目56个，总投资超过300亿元。",
          ("青岛高新区举办了人才招聘会，来自全国的200家企业参加。", "天气晴朗，市民纷纷外出踏青。",
           "据介绍，2022年高新区引进项目41个。"), "qd"),
    Group("首届海洋科技论坛在哪里举办？", "首届海洋科技论坛在青岛蓝谷举办，300余位专家参加。",
          ("科技企业积分贷累计放款10亿元。", "高新区新增国家高新技术企业120家。"), "sea"),
    Group("积分贷放款了多少？", "科技企业积分贷累计放款10亿元，惠及企业500家。",
          ("首届海洋科技论坛在青岛蓝谷举办。", "天气晴朗，市民纷纷外出踏青。"), "loan"),
]
PAIRS = [Pair("谁参加了论坛？", "300余位专家参加了论坛。", 1.0, "p1"), Pair("谁参加了论坛？", "今天下雨。", 0.0, "p1")]


def test_examples_round_trip_and_split_by_key(tmp_path):
    path = write_examples(tmp_path / "ex.jsonl", GROUPS + PAIRS)
    assert read_examples(path) == GROUPS + PAIRS
    train, held = split_by_key(GROUPS + PAIRS, 0.5, seed=0)
    assert sorted(map(repr, train + held)) == sorted(map(repr, GROUPS + PAIRS))
    assert not {e.key for e in train} & {e.key for e in held}  # a key's examples on one side


def test_batches_and_learning_rate():
    from rag.train.trainer import TrainConfig, batches_of, lr_factor, step_plan

    cfg = TrainConfig(group_size=4, batch_pairs=8, epochs=2)
    examples = GROUPS + PAIRS
    plan = step_plan(examples, cfg)
    for epoch in (0, 1):
        assert sorted(i for e, b in plan if e == epoch for i in b) == list(range(len(examples)))
    assert step_plan(examples, cfg) == plan  # seeded
    assert batches_of(examples, [0, 1, 2], cfg) == [[0, 1], [2]]  # 4 + 3 pairs fit in 8, a third group does not
    assert [round(lr_factor(s, 10, 0.2), 2) for s in range(10)] == [0.5, 1.0, 1.0, 0.88, 0.75, 0.62, 0.5, 0.38, 0.25, 0.12]


@pytest.mark.slow
def test_a_tiny_run_resumes_to_the_same_weights_and_scores_match_at_run_time(tmp_path, settings):
    from rag.embed import default_model_dir, prepare_default_model
    from rag.embed.cross_encoder import load_cross_encoder
    from rag.embed.cross_net import net_from_weights
    from rag.embed.cross_weights import read_weights
    from rag.train.trainer import TrainConfig, train

    cache = settings.cache_dir  # the shared converted model; exports go to this test's own cache
    base = prepare_default_model(cache)
    cfg = TrainConfig(layers=1, group_size=3, batch_pairs=6, epochs=2, checkpoint_every=2, max_valid=2,
                      precision="fp32", lr=1e-4)
    examples = GROUPS + PAIRS
    one_go = train(examples, base, tmp_path / "a.safetensors", cfg, valid=GROUPS[:1] + PAIRS[:1])
    assert one_go["finished"] and one_go["steps"] >= 4 and one_go["weights_bytes"] < 4e6
    assert one_go["held_out"] and {"mrr", "top1", "accuracy"} <= set(one_go["held_out"][-1])
    part = train(examples, base, tmp_path / "b.safetensors", cfg, valid=GROUPS[:1] + PAIRS[:1],
                 checkpoints=tmp_path / "ck", max_steps=3)
    assert part == {"finished": False, "step": 3, "steps": one_go["steps"]}
    assert not (tmp_path / "b.safetensors").exists()
    resumed = train(examples, base, tmp_path / "b.safetensors", cfg, valid=GROUPS[:1] + PAIRS[:1],
                    checkpoints=tmp_path / "ck", resume=True)
    assert resumed["finished"]
    _, a = read_weights(tmp_path / "a.safetensors")
    _, b = read_weights(tmp_path / "b.safetensors")
    assert max(float(np.abs(a[n] - b[n]).max()) for n in a) < 1e-3  # fp16 of the same weights
    assert resumed["held_out"] == one_go["held_out"]

    # the run-time paths score as the training-time network does
    spec, tensors = read_weights(tmp_path / "a.safetensors")
    net = net_from_weights(default_model_dir(cache), spec, tensors)
    pairs = [(g.text_a, t) for g in GROUPS for t in (g.positive, *g.negatives)] + [(p.text_a, p.text_b) for p in PAIRS]
    torch_ce = load_cross_encoder(tmp_path / "a.safetensors", cache, backend="torch")
    import torch

    ids, mask = torch_ce.encoder.pad_batch(torch_ce.encoder.encode(pairs))
    with torch.inference_mode():
        reference = net(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(torch_ce.score(pairs), reference, atol=1e-4)
    onnx = load_cross_encoder(tmp_path / "a.safetensors", cache, backend="onnx", precision="fp32")
    np.testing.assert_allclose(onnx.score(pairs), reference, atol=1e-3)
    int8 = load_cross_encoder(tmp_path / "a.safetensors", cache, backend="onnx", precision="int8")
    assert np.abs(int8.score(pairs) - reference).max() < 0.1 * max(1.0, float(np.ptp(reference)))


@pytest.mark.slow
def test_training_learns_the_groups_and_pairs_it_sees(tmp_path, settings):
    """A few epochs on three groups and two pairs: each positive comes first and each pair is
    classified right afterwards (a head that cannot learn, e.g. on the <s> vector of this model's
    first layers, fails here)."""
    from rag.embed import prepare_default_model
    from rag.embed.cross_encoder import PairEncoder
    from rag.embed.cross_net import build_net, load_changed
    from rag.embed.cross_weights import read_weights
    from rag.train.trainer import TrainConfig, evaluate, train

    base = prepare_default_model(settings.cache_dir)
    cfg = TrainConfig(layers=1, group_size=4, batch_pairs=4, epochs=12, lr=3e-4, head_lr=5e-3, warmup=0.05,
                      precision="fp32", max_valid=0)
    report = train(GROUPS + PAIRS, base, tmp_path / "w.safetensors", cfg)
    assert report["losses"][-1][1] < 0.5 * 1.4  # from about ln(4) = 1.39 for the groups
    spec, tensors = read_weights(tmp_path / "w.safetensors")
    net = build_net(base, spec.layers)
    load_changed(net, tensors)
    enc = PairEncoder.from_file(base / "tokenizer.json", spec.max_length, spec.max_query_tokens)
    seen = evaluate(net, enc, GROUPS + PAIRS)
    assert seen["mrr"] == 1.0 and seen["accuracy"] == 1.0, seen


def test_examples_are_built_once_per_key_and_read_back(tmp_path):
    from rag.train.examples import built_once

    calls = []

    def build():
        calls.append(1)
        return GROUPS + PAIRS, {"groups": 3}

    first = built_once(tmp_path, "groups", {"n": 3, "seed": 0}, build)
    again = built_once(tmp_path, "groups", {"seed": 0, "n": 3}, build)  # the same key, in any order
    assert first == again == (GROUPS + PAIRS, {"groups": 3}) and len(calls) == 1
    built_once(tmp_path, "groups", {"n": 3, "seed": 1}, build)
    assert len(calls) == 2 and len(list(tmp_path.glob("groups-*.jsonl"))) == 2
