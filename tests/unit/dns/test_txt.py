"""TXT character-strings: split, join, and the zone-file quoted form both ways."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailzone.dns.txt import join_txt, octets, quote_txt, split_txt, unquote_txt

TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=900)


def test_split_prefers_a_space_and_keeps_every_octet() -> None:
    value = "k=" + "a" * 300 + ' say "hi" \\ ok'
    parts = split_txt(value)
    assert len(parts) == 2
    assert all(octets(p) <= 255 for p in parts)
    assert join_txt(parts) == value
    assert split_txt("short") == ["short"]


def test_quoted_form_escapes_quotes_and_backslashes() -> None:
    value = "k=" + "a" * 300 + ' say "hi" \\ ok'
    escaped = [p.replace("\\", "\\\\").replace('"', '\\"') for p in split_txt(value)]
    assert quote_txt(value) == " ".join(f'"{p}"' for p in escaped)
    assert quote_txt("short") == '"short"'


def test_unquote_reads_strings_escapes_and_bare_values() -> None:
    assert unquote_txt('"v=spf1 " "include:a.example.com -all"') == (
        "v=spf1 include:a.example.com -all", ("v=spf1 ", "include:a.example.com -all"))
    assert unquote_txt(r'"say \"hi\"\032ok"')[0] == 'say "hi" ok'
    assert unquote_txt("v=spf1 -all") == ("v=spf1 -all", ("v=spf1 -all",))


@given(TEXT)
def test_quoted_form_round_trips(value: str) -> None:
    joined, strings = unquote_txt(quote_txt(value))
    assert joined == value
    assert list(strings) == split_txt(value)
    assert all(octets(s) <= 255 for s in strings)


@given(TEXT)
def test_split_joins_back(value: str) -> None:
    assert join_txt(split_txt(value)) == value
