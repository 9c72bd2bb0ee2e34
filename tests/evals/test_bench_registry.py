"""make bench: every benchmark script under eval/bench/ is registered, every registered one exists,
and each tier's arguments name only inputs the runner provides."""
import importlib.util
import string
import sys

from ..conftest import ROOT


def _runner():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "eval" / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_script_is_registered_with_a_baseline():
    run = _runner()
    scripts = {p.stem for p in (ROOT / "eval" / "bench").glob("*.py") if p.stem != "run"}
    assert {n.replace("-", "_") for n in run.BENCHES} == scripts
    assert all(run.script(n).is_file() and b.baseline and b.tiers for n, b in run.BENCHES.items())
    assert [n for n, b in run.BENCHES.items() if "quick" in b.tiers]  # make bench runs something


def test_tier_arguments_use_only_what_the_runner_fills_in():
    run = _runner()
    known = {"out", "tmp", "crud", "sample_index", "seed_index"}
    for name, bench in run.BENCHES.items():
        for tier, argv in bench.tiers.items():
            fields = {f for a in argv for _, f, _, _ in string.Formatter().parse(a) if f}
            assert fields <= known, (name, tier, fields - known)
            assert "{out}" in " ".join(argv), (name, tier)  # its report goes to eval/reports/NAME/TIER/
            if tier == "quick":  # only what the repository holds
                assert not fields & {"crud", "sample_index"}, (name, tier)


def test_a_benchmark_missing_its_inputs_is_skipped_saying_what_it_needs(tmp_path):
    run = _runner()
    record = run.run_one("ann", "full", {"crud": str(tmp_path), "sample_index": ""}, tmp_path, tmp_path / "reports")
    assert "crud-news benchmark" in record["skipped"] and "--sample-index" in record["skipped"]
    assert not (tmp_path / "reports" / "ann").exists()
