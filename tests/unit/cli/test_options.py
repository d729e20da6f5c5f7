"""The checks the commands share: one wording for a bad number, whichever command."""

from __future__ import annotations

import pytest

from mailzone.cli.options import checked_count, checked_seconds
from mailzone.errors import UsageError


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_seconds_must_be_finite_and_above_0(value: float) -> None:
    with pytest.raises(UsageError) as raised:
        checked_seconds("--timeout", value)
    assert str(raised.value) == f"--timeout {value:g}: give a number of seconds above 0"


def test_good_values_pass_through() -> None:
    assert checked_seconds("--timeout", 0.25) == 0.25
    assert checked_count("--retries", 0, 0) == 0
    assert checked_count("--concurrency", 8, 1) == 8


def test_counts_name_their_minimum() -> None:
    with pytest.raises(UsageError, match=r"^--concurrency 0: give 1 or more$"):
        checked_count("--concurrency", 0, 1)
    with pytest.raises(UsageError, match=r"^--retries -1: give 0 or more$"):
        checked_count("--retries", -1, 0)
