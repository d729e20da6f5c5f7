"""Amazon SES by region: where Easy DKIM keys live and where bounces go.

An SES domain identity exists per region. Its Easy DKIM CNAMEs point at
``<token>.<hosted zone>``, and the hosted zone is ``dkim.amazonses.com`` in most
regions but a region's own zone in some (the AWS General Reference, "Amazon Simple
Email Service endpoints and quotas", the Easy DKIM domains table; the SES API
reports it as ``DkimAttributes.SigningHostedZone``, which pulumi-aws 7 does not
expose). A CNAME to the wrong zone never verifies, so the table is data here,
dated like the sender catalogue, and a region outside it is refused rather than
guessed (``UnknownSesRegion``).

The table lists the regions SES sends from as of ``EASY_DKIM_AS_OF``; it was read
from the General Reference's table as reproduced in public infrastructure code
(this machine cannot reach AWS), and a region AWS adds later needs a row here.
A custom MAIL FROM domain's MX points at the region's feedback endpoint,
``feedback-smtp.<region>.amazonses.com``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from mailzone.errors import MailzoneError

#: The date the Easy DKIM table was read.
EASY_DKIM_AS_OF = date(2025, 12, 1)

_SHARED_ZONE = "dkim.amazonses.com"
# Regions whose Easy DKIM hosted zone is their own.
_OWN_ZONE = ("af-south-1", "ap-northeast-3", "ap-south-2", "ap-southeast-3", "ap-southeast-5",
             "ca-west-1", "eu-central-2", "eu-south-1", "il-central-1", "me-central-1",
             "us-gov-east-1")
_SHARED = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
           "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
           "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "me-south-1", "sa-east-1",
           "us-gov-west-1")

#: Every SES region the table knows, to its Easy DKIM hosted zone.
EASY_DKIM_ZONES: Mapping[str, str] = MappingProxyType({
    **{region: _SHARED_ZONE for region in _SHARED},
    **{region: f"dkim.{region}.amazonses.com" for region in _OWN_ZONE},
})


class UnknownSesRegion(MailzoneError):
    """A region the Easy DKIM table does not list: its DKIM target cannot be known."""

    def __init__(self, region: str) -> None:
        self.region = region
        super().__init__(
            f"{region!r} is not an SES region in mailzone's Easy DKIM table (as of "
            f"{EASY_DKIM_AS_OF.isoformat()}): its DKIM CNAME target is not known, and a guess "
            "would never verify. Use one of " + ", ".join(sorted(EASY_DKIM_ZONES))
            + ", or add the region's row (AWS General Reference, Amazon SES endpoints, "
            "Easy DKIM domains) to mailzone/mail/ses.py")


def easy_dkim_zone(region: str) -> str:
    """The Easy DKIM hosted zone of ``region``; ``UnknownSesRegion`` when not in the table."""
    zone = EASY_DKIM_ZONES.get(region.strip().lower())
    if zone is None:
        raise UnknownSesRegion(region)
    return zone


def dkim_target(token: str, region: str) -> str:
    """Where ``<token>._domainkey.<domain>`` points for an identity in ``region``."""
    return f"{token}.{easy_dkim_zone(region)}"


def feedback_host(region: str) -> str:
    """The MX host of a custom MAIL FROM domain for an identity in ``region``."""
    return f"feedback-smtp.{region}.amazonses.com"
