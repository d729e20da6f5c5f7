"""TXT character-strings: split a value into <=255-octet strings, join, quote, unquote.

DNS stores a TXT record as a sequence of character-strings of at most 255
octets each; receivers of SPF join them with nothing between (RFC 7208 3.3).
Splitting prefers the last space within the limit, so each string ends on a
term boundary and stays readable, and joining restores the text exactly.
``quote_txt`` writes the zone-file form (``"part1" "part2"``) and ``unquote_txt``
reads it back; a provider's own form lives in its module (``mailzone.providers``).
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


def escape_string(part: str) -> str:
    """One character-string's text with ``\\`` and ``"`` escaped, as inside quotes."""
    return part.replace("\\", "\\\\").replace('"', '\\"')


def quote_txt(value: str) -> str:
    """A TXT value in zone-file form: ``"part1" "part2"``, each part <= 255 octets."""
    return " ".join(f'"{escape_string(part)}"' for part in split_txt(value))


def unquote_txt(value: str) -> tuple[str, tuple[str, ...]]:
    """The joined text and the character-strings of a TXT value in zone-file form.

    ``"v=spf1 include:a.example" " ~all"`` -> (``v=spf1 include:a.example ~all``,
    the two strings). Backslash escapes (``\\"``, ``\\\\``, ``\\DDD``) are decoded.
    A value not in quotes is one string, as written.
    """
    stripped = value.strip()
    if not stripped.startswith('"'):
        return value, (value,)
    inner = stripped[1:-1]
    if len(stripped) > 1 and stripped.endswith('"') and '"' not in inner and "\\" not in inner:
        return inner, (inner,)  # the common case: one string, nothing escaped
    strings: list[str] = []
    i = 0
    n = len(stripped)
    while i < n:
        while i < n and stripped[i] in " \t":
            i += 1
        if i >= n:
            break
        if stripped[i] != '"':
            # Unquoted trailing garbage: keep it verbatim as one more string.
            strings.append(stripped[i:])
            break
        i += 1
        # \DDD is an octet (RFC 1035 5.1): gather octets, then read them as UTF-8, so
        # "caf\195\169" is "café" (invalid bytes become U+FFFD, as in answers).
        chunk = bytearray()
        while i < n and stripped[i] != '"':
            ch = stripped[i]
            if ch == "\\" and i + 1 < n:
                digits = stripped[i + 1 : i + 4]
                if len(digits) == 3 and digits.isdigit() and int(digits) < 256:
                    chunk.append(int(digits))
                    i += 4
                    continue
                chunk += stripped[i + 1].encode()
                i += 2
                continue
            chunk += ch.encode()
            i += 1
        strings.append(chunk.decode("utf-8", errors="replace"))
        i += 1  # the closing quote
    return "".join(strings), tuple(strings)
