"""Error messages name their input by a short prefix, and never cut prose."""

from __future__ import annotations

from mailzone.errors import MESSAGE_LIMIT, QUOTE_LIMIT, ConfigError, clip


def test_a_long_quoted_value_is_cut_to_a_prefix() -> None:
    value = "v=spf1 " + "include:a.example.com " * 20
    clipped = clip(f"bad record {value!r}: fix it")
    assert clipped == f"bad record {value!r}"[:11 + QUOTE_LIMIT] + "…': fix it"
    assert clip(f'bad record "{value}"').endswith('…"')


def test_short_values_and_apostrophes_in_prose_are_left_alone() -> None:
    # Regression: the apostrophe of "server's" once paired with the quote before it.
    message = ("bad nameserver 'nohost.invalid': host name 'nohost.invalid' does not "
               "resolve (Name or service not known); give the server's IP address, or "
               "the resolver's, or the domain's own")
    assert clip(message) == message


def test_the_whole_message_is_bounded() -> None:
    long = "word " * 1000
    assert clip(long) == long[:MESSAGE_LIMIT] + "…"


def test_config_problems_are_each_clipped() -> None:
    value = "x" * 200
    error = ConfigError([("domains[0].name", f"{value!r} is not a domain"), ("", "plain")])
    assert error.problems[0][1] == f"'{value[:QUOTE_LIMIT - 1]}…' is not a domain"
    assert str(error).splitlines() == [f"domains[0].name: {error.problems[0][1]}", "plain"]
