"""Safe defaults for the web UI: where uploads may be written, and who may connect.

Uploads are copied into one data folder under a cleaned file name (never a path), after a size
and format check. The app listens on loopback unless told otherwise, and refuses to listen on
any other address without a login (``RAG_AUTH="user:password"``).
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

from ..ingest import SUPPORTED
from ..types import Skipped

MAX_NAME_CHARS = 100


class ExposureError(ValueError):
    """The app was asked to listen beyond this machine without a login."""


# ---------------------------------------------------------------- uploads
def safe_filename(name: str) -> str:
    """A plain file name from an uploaded file's name: no folders, no hidden or odd characters.

    ``../../etc/x.txt`` becomes ``x.txt``; letters of any script (Chinese included), digits,
    ``.``, ``-``, ``_`` and spaces are kept, everything else becomes ``_``.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in base)
    base = re.sub(r"_{2,}", "_", re.sub(r"\s+", " ", base)).strip(" ._")
    stem, ext = os.path.splitext(base)
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,10}", ext):
        stem, ext = base, ""
    stem = stem.strip(" ._")[:MAX_NAME_CHARS].rstrip(" ._") or "upload"
    return stem + ext.lower()


NAMES_FILE = ".names.json"  # saved name -> the name the file was uploaded as (hidden: no ingest reads it)


def uploaded_names(folder: Path) -> dict[str, str]:
    """What each file of an upload folder was called when it was uploaded (saved name -> that name)."""
    try:
        data = json.loads((Path(folder) / NAMES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_names(folder: Path, names: dict[str, str]) -> None:
    part = Path(folder) / f"{NAMES_FILE}.part"
    part.write_text(json.dumps(names, ensure_ascii=False, indent=0), encoding="utf-8")
    os.replace(part, Path(folder) / NAMES_FILE)


def free_name(folder: Path, original_name: str, taken: set[str] = frozenset()) -> str:
    """The name an upload is saved under: its cleaned name, or, when another file (uploaded
    under another name, or earlier in the same batch) already has it, the cleaned name with a
    number (``dup-2.txt``). A file uploaded again under the same name keeps its name (a new
    version of it)."""
    name = safe_filename(original_name)
    names = uploaded_names(folder)
    stem, ext = os.path.splitext(name)
    n = 1
    while True:
        candidate = name if n == 1 else f"{stem}-{n}{ext}"
        exists = (Path(folder) / candidate).is_file()
        same = names.get(candidate, candidate) == original_name
        if candidate not in taken and (not exists or same):
            return candidate
        n += 1


def save_upload(src: Path, original_name: str, folder: Path, max_bytes: int,
                taken: set[str] = frozenset()) -> Path | Skipped:
    """Copy an uploaded file into ``folder`` under its cleaned name (:func:`free_name`: never
    over another upload's file), or say why not.

    A file uploaded again under the same name replaces its old version; the old version is
    kept aside (:func:`backup_of`) until :func:`settle_upload` knows whether the new one was
    ingested. ``taken`` are the names saved earlier in the same batch. The copy is written to
    a hidden temporary name first and renamed, so no reader ever sees half a file.
    """
    name = safe_filename(original_name)
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED:
        return Skipped(original_name, f"unsupported format '{ext or name}' (supported: {', '.join(SUPPORTED)})")
    size = Path(src).stat().st_size
    if size > max_bytes:
        return Skipped(original_name, f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / free_name(folder, original_name, taken)
    if dest.parent.resolve() != folder.resolve():  # cannot happen with a cleaned name; belt and braces
        raise ValueError(f"refusing to write {name!r} outside {folder}")
    part = folder / f".{dest.name}.part"
    shutil.copyfile(src, part)
    if dest.is_file():
        os.replace(dest, backup_of(dest))
    os.replace(part, dest)
    return dest


def backup_of(dest: Path) -> Path:
    """Where the version an upload replaced waits (hidden, so no ingest reads it)."""
    return dest.with_name(f".{dest.name}.previous")


def settle_upload(dest: Path, accepted: bool, original_name: str = "") -> None:
    """After the ingest: an accepted upload stays (the old version it replaced goes) and its
    uploaded name is recorded; a refused one is deleted and the old version, if any, put back,
    so ``uploads/`` holds only files the index could read."""
    backup = backup_of(dest)
    if accepted:
        backup.unlink(missing_ok=True)
        if original_name and original_name != dest.name:
            _write_names(dest.parent, {**uploaded_names(dest.parent), dest.name: original_name})
    elif backup.is_file():
        os.replace(backup, dest)
    else:
        dest.unlink(missing_ok=True)


def forget_upload(path: Path) -> None:
    """Delete an uploaded file and what was recorded about it."""
    path = Path(path)
    path.unlink(missing_ok=True)
    names = uploaded_names(path.parent)
    if path.name in names:
        del names[path.name]
        _write_names(path.parent, names)


def is_inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (after resolving links and ``..``)."""
    p, f = Path(path).resolve(), Path(folder).resolve()
    return f in p.parents


# ---------------------------------------------------------------- who may connect
def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` as a pair; None when unset. The password may contain ``:``."""
    if value is None or not value.strip():
        return None
    user, sep, password = value.strip().partition(":")
    if not sep or not user or not password:
        raise ExposureError("RAG_AUTH must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(host: str, auth: str | None) -> tuple[str, str] | None:
    """The login to require, or raise :class:`ExposureError` for a non-loopback host without one."""
    login = parse_auth(auth)
    if login is None and not is_loopback(host):
        raise ExposureError(
            f"refusing to listen on {host} without a login: anyone on the network could use it. "
            "Set RAG_AUTH=user:password (or keep the default --host 127.0.0.1).")
    return login
