"""Text from files and users, made safe for file names and the terminal.

Standard library only (imported by the CLI at start-up).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

NAME_LIMIT = 80
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A file-name-safe form of a scenario name: only [A-Za-z0-9._-], no leading dot or dash,
    at most `limit` characters (a long name keeps a short hash of the whole so names stay apart)."""
    s = _SAFE.sub("_", str(name)).lstrip("._-").rstrip("_-") or "scenario"
    if len(s) > limit:
        digest = hashlib.sha256(str(name).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        s = f"{s[:limit - 9]}-{digest}"
    return s


def escaped(ch: str) -> str:
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def unsafe(ch: str) -> bool:
    """A character that must not reach a terminal or a figure raw: control, format (bidi
    overrides, zero-width), surrogate, private-use or unassigned characters, and separators
    other than the space."""
    return ch not in "\n\t " and unicodedata.category(ch)[0] in "CZ"


def printable(text: str) -> bool:
    """No character that `unsafe` escapes (tabs and new lines are fine)."""
    return not any(unsafe(ch) for ch in text)


def term(text: Any, limit: int | None = 2000) -> str:
    """Text made safe to print: control characters, escape sequences, bidi and other format
    characters are shown as \\xNN / \\uNNNN; longer than `limit` characters, it is cut with '...'."""
    s = str(text)
    if limit is not None and len(s) > limit:
        s = s[:limit] + f"...[{len(s) - limit:,} more characters]"
    return "".join(escaped(ch) if unsafe(ch) else ch for ch in s)


def term_line(text: Any, limit: int | None = 2000) -> str:
    """`term` for one line: newlines are escaped too."""
    return term(text, limit).replace("\n", "\\n").replace("\t", "\\t")


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count with its noun in the right number: '1 run', '2,000 runs', '1 entry', '3 entries'
    (`many`: the plural when it is not word + 's')."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
