"""Safe defaults for the web UI: where uploads may be written, and who may connect.

Uploads are copied into one data folder under a cleaned file name (never a path), after a size
and format check. The app listens on loopback unless told otherwise, and refuses to listen on
any other address without a login (``RAG_AUTH="user:password"``).
"""
from __future__ import annotations

import ipaddress
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


def save_upload(src: Path, original_name: str, folder: Path, max_bytes: int) -> Path | Skipped:
    """Copy an uploaded file into ``folder`` under its cleaned name, or say why not.

    A file of the same name is replaced (a new version of that bulletin); the old version is
    kept aside (:func:`backup_of`) until :func:`settle_upload` knows whether the new one was
    ingested. The copy is written to a hidden temporary name first and renamed, so no reader
    ever sees half a file.
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
    dest = folder / name
    if dest.parent.resolve() != folder.resolve():  # cannot happen with a cleaned name; belt and braces
        raise ValueError(f"refusing to write {name!r} outside {folder}")
    part = folder / f".{name}.part"
    shutil.copyfile(src, part)
    if dest.is_file():
        os.replace(dest, backup_of(dest))
    os.replace(part, dest)
    return dest


def backup_of(dest: Path) -> Path:
    """Where the version an upload replaced waits (hidden, so no ingest reads it)."""
    return dest.with_name(f".{dest.name}.previous")


def settle_upload(dest: Path, accepted: bool) -> None:
    """After the ingest: an accepted upload stays (the old version it replaced goes); a refused
    one is deleted and the old version, if any, put back, so ``uploads/`` holds only files the
    index could read."""
    backup = backup_of(dest)
    if accepted:
        backup.unlink(missing_ok=True)
    elif backup.is_file():
        os.replace(backup, dest)
    else:
        dest.unlink(missing_ok=True)


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
