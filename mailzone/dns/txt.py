"""TXT character-strings: split a value into <=255-octet strings and join them back.

DNS stores a TXT record as a sequence of character-strings of at most 255
octets each; receivers of SPF join them with nothing between (RFC 7208 3.3).
Splitting prefers the last space within the limit, so each string ends on a
term boundary and stays readable, and joining restores the text exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_STRING = 255


def split_txt(text: str, limit: int = MAX_STRING) -> list[str]:
    """Split ``text`` into strings of at most ``limit`` UTF-8 octets.

    ``"".join(split_txt(t)) == t`` always holds. An empty text is one empty string.
    """
    if limit < 4:
        raise ValueError("limit must leave room for a UTF-8 character")
    data = text.encode("utf-8")
    if len(data) <= limit:
        return [text]
    out: list[str] = []
    start = 0
    while len(data) - start > limit:
        end = start + limit
        space = data.rfind(b" ", start, end)
        if space > start:
            end = space + 1  # keep the space at the end of this string
        else:
            while end > start and (data[end] & 0xC0) == 0x80:
                end -= 1  # never cut a UTF-8 sequence in two
        out.append(data[start:end].decode("utf-8"))
        start = end
    out.append(data[start:].decode("utf-8"))
    return out


def join_txt(strings: Iterable[str]) -> str:
    """Join character-strings the way SPF receivers do: with nothing between."""
    return "".join(strings)


def octets(text: str) -> int:
    return len(text.encode("utf-8"))
