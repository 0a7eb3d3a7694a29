"""Split a long HTML reply into messages a chat can take (Telegram: 4096 characters)."""
from __future__ import annotations

TELEGRAM_LIMIT = 4096


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at paragraph (then line) boundaries so no chunk exceeds the limit or cuts a tag.

    Our tags never span lines, so any line boundary is a safe cut.
    """
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        pieces = [para] if len(para) <= limit else _split_lines(para, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_lines(para: str, limit: int) -> list[str]:
    out, current = [], ""
    for line in para.split("\n"):
        while len(line) > limit:  # a single over-long line: cut outside any tag
            cut = _safe_cut(line, limit)
            out.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out


def _safe_cut(line: str, limit: int) -> int:
    cut = limit
    # Never cut inside a tag or an entity; back off to before it.
    open_tag, amp = line.rfind("<", 0, cut), line.rfind("&", 0, cut)
    if open_tag > line.rfind(">", 0, cut):
        cut = open_tag
    if amp > line.rfind(";", 0, cut):
        cut = min(cut, amp)
    return max(cut, 1)
