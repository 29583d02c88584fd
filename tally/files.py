"""Writing files the conference owns: atomically, and readable by the owner only (rule 11)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ballotgen.errors import OutputError


def refuse_existing(path: Path) -> None:
    """Raise OutputError if ``path`` exists: we never overwrite an output silently."""
    if path.exists():
        raise OutputError(f"{path}: already exists",
                          remedy="Choose another output file, or move the old one away.")


def write_private(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically: the file is complete or absent.

    Raises
    ------
    OutputError
        ``path`` exists (and ``overwrite`` is false), or cannot be written.
    """
    path = Path(path)
    if not overwrite:
        refuse_existing(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})",
                          remedy="Check the folder exists, is writable and has free space.") from exc
