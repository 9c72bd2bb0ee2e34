"""Every file of an index garbled, truncated, emptied or deleted; the pointer lost or mangled; an
older format. Opening it says which file and how to fix it (never a traceback, never silently
wrong hits); `rag check` lists the problem; nothing intact is ever deleted."""
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.index import (CURRENT, FORMAT_VERSION, Index, IndexCorrupt, IndexMismatch, IndexNotFound, check_index,
                       ingest, remove_documents)

from .conftest import live_generation_of, manifest_of, synthetic_index

FILES = ["meta.sqlite", "vectors.faiss", "lexical/data.csc.index.npy", "lexical/indices.csc.index.npy",
         "lexical/indptr.csc.index.npy", "lexical/terms.npy", "lexical/term_cols.npy", "lexical/lexical.json",
         "rows/doc.npy", "rows/date.npy", "rows/source.npy", "rows/values.json"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return synthetic_index(tmp_path_factory.mktemp("synthetic") / "index")


@pytest.fixture
def index_copy(synthetic, tmp_path):
    dest = tmp_path / "index"
    shutil.copytree(synthetic, dest)
    return dest


def generation(folder: Path) -> Path:
    return folder / (folder / CURRENT).read_text().strip()


def segment(folder: Path) -> Path:
    """The one segment of an index written in one go (its files are the ones damaged)."""
    names = [s["name"] for s in manifest_of(generation(folder))["segments"]]
    assert len(names) == 1
    return folder / "segments" / names[0]


def garble(path: Path, size: int, seed: int = 1) -> None:
    """``size`` random bytes written over the middle of ``path`` (its length unchanged)."""
    data = bytearray(path.read_bytes())
    size = min(size, len(data) // 2)
    start = (len(data) - size) // 2
    data[start:start + size] = np.random.default_rng(seed).bytes(size)
    path.write_bytes(bytes(data))


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "garbled 60 KB": lambda p: garble(p, 60 * 1024),
    "garbled 8 KB": lambda p: garble(p, 8 * 1024),
    "one byte flipped": lambda p: flip(p),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "emptied": lambda p: p.write_bytes(b""),
    "deleted": lambda p: p.unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
@pytest.mark.parametrize("name", FILES)
def test_damaged_files_are_refused_by_name(index_copy, name, damage, cli):
    DAMAGE[damage](segment(index_copy) / name)
    with pytest.raises(IndexCorrupt) as err:
        Index.load(index_copy)
    msg = str(err.value)
    assert name in msg and "--rebuild" in msg and "rag check" in msg
    code, out, errs = cli("search", "青岛", "--index", index_copy)
    assert code == 2 and name in errs and "Traceback" not in errs + out and not out
    code, out, _ = cli("check", "--index", index_copy)
    assert code == 1 and f"PROBLEM  segments/{segment(index_copy).name}/{name}" in out


def test_the_probes_of_the_issue_no_longer_give_wrong_hits(index_copy):
    """60 KB inside vectors.faiss and 8 KB inside data.csc.index.npy changed hits (scores of 3e37);
    8 KB inside indices.csc.index.npy raised an IndexError. Now each is refused when it opens."""
    gen = segment(index_copy)
    for name, size in (("vectors.faiss", 60 * 1024), ("lexical/data.csc.index.npy", 8 * 1024),
                       ("lexical/indices.csc.index.npy", 8 * 1024)):
        before = (gen / name).read_bytes()
        garble(gen / name, size)
        with pytest.raises(IndexCorrupt, match=name.replace(".", r"\.")):
            Index.load(index_copy)
        (gen / name).write_bytes(before)
        assert len(Index.load(index_copy).chunks) == 6000


@pytest.mark.parametrize("edit", ["chunks", "documents", "files", "garble", "not json", "a list", "deleted"])
def test_a_tampered_manifest_is_refused(index_copy, edit, cli):
    path = generation(index_copy) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if edit == "chunks":
        data["chunks"] += 1
    elif edit == "documents":
        data["documents"] -= 1
    elif edit == "files":
        data["files"][f"segments/{segment(index_copy).name}/meta.sqlite"]["xxh3_128"] = "0" * 32
    if edit == "garble":
        garble(path, 4096)
    elif edit == "not json":
        path.write_bytes(b"\xff\xfe\x00 not json")
    elif edit == "a list":
        path.write_text("[1, 2]")
    elif edit == "deleted":
        path.unlink()
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises((IndexCorrupt, IndexMismatch)) as err:
        Index.load(index_copy)
    assert "manifest.json" in str(err.value) or "format" in str(err.value)
    code, out, errs = cli("info", "--index", index_copy)
    assert code == 2 and "Traceback" not in errs and "rebuild" in errs


def test_an_older_format_says_rebuild(built, cli, fake, corpus):
    gen = live_generation_of(built)
    data = manifest_of(gen)
    data["format_version"] = 1
    data.pop("digest")
    (gen / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="--rebuild"):
        Index.load(built.index_dir)
    code, _, errs = cli("search", "青岛", "--index", built.index_dir)
    assert code == 2 and "index format 1" in errs and "--rebuild" in errs and "Traceback" not in errs
    # `make run` (--rebuild-on-mismatch) rebuilds it instead of failing
    report = ingest([corpus], built, fake, rebuild_on_mismatch=True)
    assert "index format 1" in report.rebuilt and Index.load(built.index_dir).manifest.format_version == FORMAT_VERSION


# ------------------------------------------------------------------ the pointer
POINTERS = {
    "missing": None,
    "binary": b"\xff\xfe\x00\x81\x00garbage",
    "empty": b"",
    "a name that does not exist": b"gen-20000101T000000-1-1",
    "a path outside": b"../../etc",
}


@pytest.mark.parametrize("state", list(POINTERS))
def test_a_lost_or_mangled_pointer_is_recovered(built, state, cli, fake, corpus):
    gen = live_generation_of(built)
    docs = set(Index.load(built.index_dir).documents)
    pointer = built.index_dir / CURRENT
    if POINTERS[state] is None:
        pointer.unlink()
    else:
        pointer.write_bytes(POINTERS[state])
    idx = Index.load(built.index_dir)
    assert idx.generation == gen and set(idx.documents) == docs and CURRENT in idx.recovered
    code, out, errs = cli("search", "海洋科技论坛", "--index", built.index_dir, "--k", "1")
    assert code == 0 and "brief.md" in out and "newest complete generation" in errs
    code, out, _ = cli("check", "--index", built.index_dir)
    assert code == 1 and "newest complete generation" in out
    # following the advice keeps every document: the next ingest builds on the recovered generation
    extra = corpus.parent / "extra.txt"
    extra.write_text("海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    report = ingest([extra], built, fake)
    assert report.documents == len(docs) + 1
    assert set(docs) <= set(Index.load(built.index_dir).documents)
    assert check_index(built.index_dir).healthy


def test_repair_points_the_pointer_and_deletes_nothing(built, cli):
    gen = live_generation_of(built)
    (built.index_dir / CURRENT).unlink()
    code, out, errs = cli("check", "--index", built.index_dir, "--repair")
    assert code == 0 and "now names" in errs and "healthy" in out
    assert (built.index_dir / CURRENT).read_text() == gen.name and gen.is_dir()


def test_following_the_old_hint_no_longer_deletes_the_index(built, cli, corpus):
    """CURRENT missing, the generation intact: `rag search` used to say "build one with rag ingest",
    and that ingest deleted the intact generation."""
    docs = set(Index.load(built.index_dir).documents)
    (built.index_dir / CURRENT).unlink()
    code, _, errs = cli("search", "青岛", "--index", built.index_dir)
    assert code == 0 and "build one" not in errs
    other = corpus.parent / "other"
    other.mkdir()
    (other / "x.txt").write_text("另一份简讯：海洋科技论坛闭幕。", encoding="utf-8")
    code, _, _ = cli("ingest", other, "--index", built.index_dir, "--quiet")
    assert code == 0 and docs < set(Index.load(built.index_dir).documents)


def test_no_complete_generation_is_an_error_and_nothing_is_deleted(built, cli, corpus, fake):
    gen = live_generation_of(built)
    (built.index_dir / CURRENT).unlink()
    (gen / "manifest.json").unlink()
    before = sorted(p.relative_to(gen) for p in gen.rglob("*"))
    with pytest.raises(IndexCorrupt, match="Nothing was deleted"):
        Index.load(built.index_dir)
    code, _, errs = cli("ingest", corpus, "--index", built.index_dir, "--quiet")
    assert code == 2 and "--rebuild" in errs
    assert sorted(p.relative_to(gen) for p in gen.rglob("*")) == before
    # a rebuild starts again and still keeps the folder it cannot read
    ingest([corpus], built, fake, rebuild=True)
    assert gen.is_dir() and Index.load(built.index_dir).generation != gen
    check = check_index(built.index_dir)
    assert check.healthy and any(gen.name in n and "kept" in n for n in check.notes)


def test_only_provably_superseded_generations_are_deleted(built, fake, corpus):
    folder = built.index_dir
    live = live_generation_of(built)
    unfinished = folder / "gen-19990101T000000-1-1"  # a killed build: marker present
    shutil.copytree(live, unfinished)
    (unfinished / ".writing").write_text("1")
    unknown = folder / "gen-19990101T000000-2-2"  # no manifest, no marker: nothing proves it old
    unknown.mkdir()
    (unknown / "meta.sqlite").write_bytes(b"precious")
    older = folder / "gen-19990101T000000-3-3"  # an intact, older generation
    shutil.copytree(live, older)
    data = manifest_of(older)
    data.pop("digest")
    data["sequence"] = 0
    from rag.index import Manifest

    (older / "manifest.json").write_text(Manifest(**data).to_json(), encoding="utf-8")
    notes = " ".join(check_index(folder).notes)
    assert "never finished" in notes and "nothing proves" in notes and "older generation" in notes
    ingest([corpus], built, fake)
    names = {p.name for p in folder.glob("gen-*")}
    assert unknown.name in names and (unknown / "meta.sqlite").read_bytes() == b"precious"
    assert unfinished.name not in names and older.name not in names and live.name not in names
    assert len(names) == 2


def test_a_newer_generation_rolled_back_from_is_kept(built, fake, corpus):
    first = live_generation_of(built)
    (corpus / "new.txt").write_text("新增一篇：海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    keep = built.index_dir / "keep"
    shutil.copytree(first, keep)  # the user keeps a copy of the first generation...
    ingest([corpus], built, fake)
    second = live_generation_of(built)
    shutil.copytree(keep, first)  # ...puts it back and rolls CURRENT back to it
    shutil.rmtree(keep)
    (built.index_dir / CURRENT).write_text(first.name)
    remove_documents([next(d for d in Index.load(built.index_dir).documents if d.endswith("brief.md"))], built)
    assert second.is_dir()  # newer than the one rolled back to: not provably superseded


def test_an_empty_folder_is_no_index(tmp_path, cli):
    (tmp_path / "index").mkdir()
    with pytest.raises(IndexNotFound):
        Index.load(tmp_path / "index")
    code, _, errs = cli("search", "x", "--index", tmp_path / "index")
    assert code == 2 and "no index at" in errs
    code, out, _ = cli("check", "--index", tmp_path / "nowhere")
    assert code == 1 and "does not exist" in out


def test_check_finds_counts_that_disagree(index_copy):
    """Files that all match their checksums but disagree (written so, e.g. by a bug): `rag check`
    and the loader compare SQLite, vectors and BM25."""
    import sqlite3

    from rag.index.local.integrity import describe_files

    gen = generation(index_copy)
    seg = segment(index_copy)
    db = sqlite3.connect(seg / "meta.sqlite")
    db.execute("DELETE FROM chunks WHERE row = (SELECT MAX(row) FROM chunks)")
    db.commit()
    db.close()
    data = manifest_of(gen)
    data.pop("digest")
    data["files"] = {f"segments/{seg.name}/{k}": v for k, v in describe_files(seg).items()}
    from rag.index import Manifest

    (gen / "manifest.json").write_text(Manifest(**data).to_json(), encoding="utf-8")
    report = check_index(index_copy)
    assert not report.healthy and any("passage counts disagree" in p for p in report.problems)
    with pytest.raises(IndexCorrupt, match="inconsistent"):
        Index.load(index_copy)


@pytest.mark.slow
def test_damaged_exact_vectors_of_a_lossy_index(tmp_path):
    """ivfpq keeps exact vectors in vectors.npy: it is checksummed like the rest."""
    folder = synthetic_index(tmp_path / "index", n=700, index_type="ivfpq")
    gen = segment(folder)
    assert (gen / "vectors.npy").is_file() and check_index(folder).healthy
    garble(gen / "vectors.npy", 8 * 1024)
    with pytest.raises(IndexCorrupt, match="vectors.npy"):
        Index.load(folder)


def test_unreadable_index_folder(built, cli):
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    os.chmod(segment(built.index_dir) / "meta.sqlite", 0)
    code, _, errs = cli("search", "x", "--index", built.index_dir)
    assert code == 2 and "Traceback" not in errs


# ------------------------------------------------------------------ writing to a damaged index
def _state(folder: Path) -> tuple:
    return ((folder / CURRENT).read_text(), sorted(p.name for p in folder.glob("gen-*")),
            sorted(p.name for p in (folder / "segments").iterdir()))


@pytest.mark.parametrize("name", ["vectors.faiss", "meta.sqlite", "lexical/data.csc.index.npy", "rows/date.npy"])
def test_an_ingest_refuses_an_index_whose_files_fail_their_checksums(built, cli, fake, corpus, name):
    """A vector file zeroed in place (same size) was refused by search, but `rag ingest` built a new
    generation on top of it and exited 0."""
    seg = segment(built.index_dir)
    path = seg / name
    path.write_bytes(b"\0" * path.stat().st_size)
    before = _state(built.index_dir)
    extra = corpus.parent / "extra.txt"
    extra.write_text("海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="checksum"):
        ingest([extra], built, fake)
    code, out, errs = cli("ingest", extra, "--index", built.index_dir, "--quiet")
    assert code == 2 and name in errs and "rag check" in errs and "--repair" in errs and "--rebuild" in errs
    assert "Traceback" not in errs and _state(built.index_dir) == before  # nothing committed on top
    with pytest.raises(IndexCorrupt):
        remove_documents([f"{corpus.name}/brief.md"], built)
    assert _state(built.index_dir) == before
    report = ingest([corpus, extra], built, fake, rebuild=True)  # the way out the message names
    assert report.documents == 3 and check_index(built.index_dir).healthy


def _rehash(folder: Path) -> None:
    """The manifest's checksums recomputed over damaged files (so only the readers can tell)."""
    from rag.index import Manifest
    from rag.index.local.integrity import describe_files

    gen = generation(folder)
    seg = segment(folder)
    data = manifest_of(gen)
    data.pop("digest")
    data["files"].update({f"segments/{seg.name}/{k}": v for k, v in describe_files(seg).items()})
    (gen / "manifest.json").write_text(Manifest(**data).to_json(), encoding="utf-8")


@pytest.mark.parametrize("name,what", [("vectors.faiss", "a FAISS index"),
                                       ("rows/date.npy", "a NumPy array"),
                                       ("lexical/terms.npy", "a NumPy array")])
def test_faiss_and_numpy_read_errors_are_said_plainly(index_copy, cli, name, what):
    """FAISS's own "Index type 0x00000000 not recognized" reached the user."""
    path = segment(index_copy) / name
    path.write_bytes(b"\0" * path.stat().st_size)
    _rehash(index_copy)
    with pytest.raises(IndexCorrupt) as err:
        Index.load(index_copy)
    msg = str(err.value)
    assert f"{name} cannot be read as {what}" in msg and "0x" not in msg and "rag check" in msg
    code, out, errs = cli("search", "青岛", "--index", index_copy)
    assert code == 2 and f"{name} cannot be read as {what}" in errs and "Traceback" not in errs
    assert "not recognized" not in errs
