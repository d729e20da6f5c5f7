"""Domain names: the checks every face shares, and international names (UTS 46)."""

from __future__ import annotations

import pytest

from mailzone.names import display, domain_problem, to_ascii, to_unicode


@pytest.mark.parametrize(("given", "ascii_form"), [
    ("bücher.example", "xn--bcher-kva.example"),
    ("Bücher.EXAMPLE.", "xn--bcher-kva.example."),  # UTS 46 maps case; the dot is kept
    ("straße.example", "xn--strae-oqa.example"),  # nontransitional: ß is not ss
    ("_dmarc.bücher.example", "_dmarc.xn--bcher-kva.example"),  # ASCII labels as they are
    ("example.com", "example.com"),
])
def test_international_names_are_their_a_labels(given: str, ascii_form: str) -> None:
    assert to_ascii(given) == ascii_form
    assert domain_problem(given, underscores=True) is None


def test_both_forms_for_people() -> None:
    assert to_unicode("xn--bcher-kva.example") == "bücher.example"
    assert display("xn--bcher-kva.example") == "xn--bcher-kva.example (bücher.example)"
    assert display("example.com") == "example.com"
    assert to_unicode("xn--zz.example") == "xn--zz.example"  # not a valid A-label: as given


def test_a_name_uts_46_refuses_is_a_problem_that_says_why() -> None:
    with pytest.raises(ValueError, match="not a valid international name"):
        to_ascii("bü cher.example")
    problem = domain_problem("a\u200db.example")
    assert problem is not None and "international name" in problem
