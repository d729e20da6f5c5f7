"""SES by region: the Easy DKIM hosted zone table and the feedback endpoint."""

from __future__ import annotations

import pytest

from mailzone.errors import MailzoneError
from mailzone.mail.ses import (
    EASY_DKIM_AS_OF,
    EASY_DKIM_ZONES,
    UnknownSesRegion,
    dkim_target,
    easy_dkim_zone,
    feedback_host,
)


@pytest.mark.parametrize(("region", "zone"), [
    ("us-east-1", "dkim.amazonses.com"),
    ("eu-west-1", "dkim.amazonses.com"),
    ("af-south-1", "dkim.af-south-1.amazonses.com"),
    ("ap-northeast-3", "dkim.ap-northeast-3.amazonses.com"),
    ("il-central-1", "dkim.il-central-1.amazonses.com"),
    ("US-GOV-EAST-1", "dkim.us-gov-east-1.amazonses.com"),
])
def test_the_zone_of_a_region(region: str, zone: str) -> None:
    assert easy_dkim_zone(region) == zone
    assert dkim_target("tok", region) == f"tok.{zone}"


def test_every_zone_is_the_shared_one_or_the_region_s_own() -> None:
    for region, zone in EASY_DKIM_ZONES.items():
        assert zone in ("dkim.amazonses.com", f"dkim.{region}.amazonses.com")
    assert len(EASY_DKIM_ZONES) >= 29


def test_an_unknown_region_is_refused_with_the_table_s_date() -> None:
    with pytest.raises(UnknownSesRegion) as info:
        easy_dkim_zone("xx-nowhere-1")
    assert isinstance(info.value, MailzoneError) and info.value.region == "xx-nowhere-1"
    assert f"as of {EASY_DKIM_AS_OF.isoformat()}" in str(info.value)
    assert "eu-west-1" in str(info.value)


def test_feedback_host() -> None:
    assert feedback_host("af-south-1") == "feedback-smtp.af-south-1.amazonses.com"
