"""Helpers for the artifact scenarios: what files exist under a directory, normalised."""

from __future__ import annotations

import os
import re

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Bytes that vary between runs or library builds (images, parquet, figures): size not compared.
BINARY = (".png", ".webp", ".jpg", ".parquet", ".svg", ".pdf")


def files(top: str) -> list[list[object]]:
    """Every file under ``top`` as ``[relative path, size]`` (size None for binary formats),
    sorted, with uuids replaced by ``<uuid>``; directories as ``[path + "/", None]``."""
    found: list[list[object]] = []
    for directory, dirs, names in os.walk(top):
        for name in dirs:
            path = os.path.relpath(os.path.join(directory, name), top)
            found.append([UUID.sub("<uuid>", path) + "/", None])
        for name in names:
            full = os.path.join(directory, name)
            path = UUID.sub("<uuid>", os.path.relpath(full, top))
            size = None if name.endswith(BINARY) else os.path.getsize(full)
            found.append([path, size])
    return sorted(found)


def infos(listing: list[object]) -> list[list[object]]:
    """A list of FileInfo as ``[path, is_dir, file_size]`` with uuids replaced, sizes of binary
    files dropped."""
    out = []
    for info in listing:
        path = UUID.sub("<uuid>", info.path)  # type: ignore[attr-defined]
        size = None if path.endswith(BINARY) else info.file_size  # type: ignore[attr-defined]
        out.append([path, info.is_dir, size])  # type: ignore[attr-defined]
    return out
