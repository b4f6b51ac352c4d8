"""Reading an uploaded file safely: its type from its bytes (never its name), a safe display name,
its size and SHA-256 read in chunks with a size limit; storing it with its row so that no file
outlives a write that failed. Imports nothing of the project."""
from __future__ import annotations

import hashlib
import re
from typing import IO, Any

from django.core.files.storage import default_storage

#: What each accepted type looks like inside (sniffed from the bytes, never from the name).
MIME_BY_TYPE = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
_SAFE_NAME = re.compile(r"[^\w.\- ()\u4e00-\u9fff]+")


class TooLarge(Exception):
    """The stream is longer than the limit."""


def sniff_content_type(head: bytes) -> str | None:
    import filetype

    kind = filetype.guess(head)
    return kind.mime if kind else None


def sanitize_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").split("/")[-1]
    name = _SAFE_NAME.sub("_", name).strip(" .")
    return name[:200] or "document"


def read_upload(file: IO[bytes], *, limit: int) -> tuple[str | None, int, str]:
    """(sniffed content type, size, SHA-256 hex) of ``file``, read in chunks and rewound; raises
    :class:`TooLarge` as soon as more than ``limit`` bytes have been read."""
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise TooLarge
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(8192)
    mime = sniff_content_type(head)
    digest = hashlib.sha256(head)
    total = len(head)
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
        total += len(chunk)
        if total > limit:
            raise TooLarge
    file.seek(0)
    return mime, total, digest.hexdigest()


def save_with_file(instance: Any, field: str, name: str, content: Any) -> None:
    """Store ``content`` as the file of ``instance.<field>``, then save the row. When the row cannot
    be saved, the stored file is deleted again and the error raised: no file without its row."""
    file = getattr(instance, field)
    file.save(name, content, save=False)
    stored = file.name
    try:
        instance.save()
    except Exception:
        default_storage.delete(stored)
        raise
