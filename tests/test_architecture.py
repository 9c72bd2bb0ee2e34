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


# ------------------------------------------------------------------ the index's two stores
INDEX = PACKAGE / "index"
SHARED = {"manifest", "lock", "records", "protocol", "pipeline"}  # what both stores use


def _index_graph() -> dict[str, set[str]]:
    """rag.index module -> the rag.index modules it imports, anywhere in its body (``from .x import
    y`` imports ``x``, and ``x.y`` too when that is a module; a package is its ``__init__``)."""
    def name_of(path: Path) -> str:
        rel = path.relative_to(ROOT).with_suffix("")
        return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)

    paths = {name_of(p): p for p in sorted((ROOT / "rag" / "index").rglob("*.py"))}
    graph = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = [node.module] if node.module else []
                base = ".".join(package[: len(package) - node.level + 1] + module if node.level else module)
                found.update(t for t in [base] + [f"{base}.{a.name}" for a in node.names] if t in paths)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in paths)
        graph[name] = found - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle in ``graph`` (modules in order), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str]:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return []

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return []


def test_the_index_has_no_import_circle():
    graph = _index_graph()
    assert len(graph) > 20 and _cycle(graph) == []


def test_each_store_is_its_own_subpackage_and_neither_imports_the_other():
    top = sorted(p.stem for p in INDEX.glob("*.py"))
    assert top == sorted(SHARED | {"__init__", "stores"})
    graph = _index_graph()
    for name, targets in graph.items():
        parts = name.split(".")
        if len(parts) > 3 and parts[2] in ("local", "milvus"):
            other = "milvus" if parts[2] == "local" else "local"
            assert not [t for t in targets if t.split(".")[2:3] == [other]], name
        if len(parts) == 3 and parts[2] in SHARED:  # what both use depends on neither
            assert not [t for t in targets if t.split(".")[2:3] in (["local"], ["milvus"], ["stores"])], name


def test_the_circle_check_finds_a_circle(tmp_path, monkeypatch):
    """The checker itself: two modules importing each other inside functions are a circle."""
    pkg = tmp_path / "rag" / "index"
    (pkg / "local").mkdir(parents=True)
    (pkg / "milvus").mkdir()
    for p in (pkg / "__init__.py", pkg / "local" / "__init__.py", pkg / "milvus" / "__init__.py"):
        p.write_text("")
    (pkg / "local" / "write.py").write_text("def f():\n    from ..milvus.write import g\n")
    (pkg / "milvus" / "write.py").write_text("def g():\n    from ..local import write as u\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    graph = _index_graph()
    assert graph["rag.index.local.write"] == {"rag.index.milvus.write"}
    assert graph["rag.index.milvus.write"] == {"rag.index.local.write", "rag.index.local"}
    assert _cycle(graph) == ["rag.index.local.write", "rag.index.milvus.write", "rag.index.local.write"]
