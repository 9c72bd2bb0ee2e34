"""The dependency rule of docs/architecture.md, checked on the source (every import, also the
ones inside functions): a stage imports only stages before it; nothing at run time imports evals."""
import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "rag"
# the stages in the order the data flows; a stage may import the ones before it
ORDER = ["text", "ingest", "embed", "index", "search", "answering", "ui"]
FOUNDATION = {"config", "types"}  # every stage may import these; they import no stage
FRONT = {"__init__", "__main__", "cli"}  # the entry points may import anything
# what each of the side packages may import; workspace (knowledge bases, conversations, feedback)
# sits beside the stages: any of them may use it, and it reads only text's citation markers;
# train reads question sets and builds indexes through evals, and evals never imports train
BESIDE = {"evals": set(ORDER) | {"workspace"}, "train": set(ORDER) | {"evals"}, "integrations": set(),
          "workspace": {"text"}}


def _unit(module: str) -> str:
    """``rag.search.retriever`` -> ``search``; ``rag.config`` -> ``config``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """The rag modules a source file imports, relative imports resolved."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "rag" or name.startswith("rag."):
                out.add(name)
                if name in ("rag", ) or name.count(".") == 1:  # `from . import x` / `from ..x import y`
                    out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("rag."))
    return out


def _allowed(unit: str) -> set[str]:
    if unit in FRONT:
        return set(ORDER) | FOUNDATION | set(BESIDE) | FRONT
    if unit in FOUNDATION:
        return FOUNDATION
    if unit in BESIDE:
        return BESIDE[unit] | FOUNDATION | {unit}
    i = ORDER.index(unit)
    return set(ORDER[: i + 1]) | FOUNDATION | {"integrations", "workspace"}


def test_every_stage_imports_only_earlier_stages():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for target in _imports(path):
            t = _unit(target)
            if t not in _allowed(unit) and t != unit:
                bad.append(f"{path.relative_to(ROOT)} ({unit}) imports {target} ({t})")
    assert not bad, "\n".join(bad)


def test_top_of_the_package_holds_only_the_front_door():
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "__main__", "cli", "config", "types"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()) == \
        sorted(ORDER + list(BESIDE))


def test_the_rule_catches_a_violation(tmp_path, monkeypatch):
    """The checker itself: an answering module importing evals is reported."""
    src = tmp_path / "rag" / "answering" / "x.py"
    src.parent.mkdir(parents=True)
    src.write_text("def f():\n    from ..evals import metrics\n    from ..search import Query\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert "rag.evals" in _imports(src) and "rag.search" in _imports(src)
    assert "evals" not in _allowed("answering") and "search" in _allowed("answering")


def test_evals_hold_only_evaluation():
    """Training lives in rag/train (it may use evals' question sets and index builder), never in
    rag/evals, and evals never imports train."""
    assert not [p.name for p in (PACKAGE / "evals").glob("*.py") if "train" in p.stem]
    assert "train" not in _allowed("evals") and "evals" in _allowed("train")
