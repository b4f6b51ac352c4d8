"""The text of the project's PDFs, read back in tests.

The papers' PDFs are written without page compression (govflow/applications/pdf.py), so their
text is in the file as ``(…) Tj`` literal strings: in the CID font STSong-Light as UTF-16BE, in a
Latin font as Latin-1. This reads every such string back, in drawing order, one per line drawn.
"""
from __future__ import annotations

import re

_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
            ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """The bytes of the literal string opening at ``data[start] == b"("``, and where it ends."""
    out = bytearray()
    depth, i = 1, start + 1
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            nxt = data[i + 1]
            if 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[i + 1:i + 4]).group()
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
                continue
            out += _ESCAPES.get(nxt, b"")
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    raise ValueError("unterminated string")


def pdf_lines(content: bytes) -> list[str]:
    """Every line of text drawn, in order."""
    lines: list[str] = []
    for match in re.finditer(rb"Tf [0-9.]+ TL \(", content):
        raw, end = _literal(content, match.end() - 1)
        if not content[end:end + 4].lstrip().startswith(b"Tj"):
            continue
        font = re.search(rb"/F(\d+) [0-9.]+ Tf [0-9.]+ TL \($", content[max(0, match.start() - 40):match.end()])
        is_cid = len(raw) % 2 == 0 and (b"\x00" in raw or any(b >= 0x4E for b in raw[::2]))
        lines.append(raw.decode("utf-16-be") if is_cid and font else raw.decode("latin-1"))
    return lines


def pdf_text(content: bytes) -> str:
    """All the text, lines joined by newlines; wrapped lines joined again with ``join``."""
    return "\n".join(pdf_lines(content))
