"""One writer per index folder, for either store: ``.lock`` in the folder, held with ``flock``
by the process writing (it holds that process's id); readers never wait."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable


@contextmanager
def write_lock(folder: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None):
    """One writer per index folder; readers never wait. ``on_wait`` hears why, when it must wait."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read(32).strip()
            who = f"process {holder}" if holder.isdigit() else "another process"
            if not wait:
                raise RuntimeError(f"{who} is writing the index at {folder}; try again when it ends") from None
            if on_wait is not None:
                on_wait(f"waiting for {who}, which is writing the index at {folder} ...")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
