"""The Pulumi program: ``mailzone:domains`` -> one ``MailDomain`` per entry.

The whole list is validated first (``mailzone.stack.config``). On a bad config every
problem is printed with its path and the program stops before declaring any
resource.
"""

from __future__ import annotations

import sys

import pulumi

from components import MailDomain, MailDomainArgs
from mailzone.errors import ConfigError
from mailzone.stack.config import CONFIG_KEY, config_warnings, parse_domains


def main() -> None:
    raw = pulumi.Config("mailzone").get("domains")
    aws_region = pulumi.Config("aws").get("region")
    try:
        domains = parse_domains(raw, default_region=aws_region)
    except ConfigError as exc:
        for path, message in exc.problems:
            print(f"error: {path}: {message}", file=sys.stderr)
        count = len(exc.problems)
        raise pulumi.RunError(
            f"{CONFIG_KEY} has {count} problem{'s' if count != 1 else ''}; nothing was "
            f"declared:\n{exc}"
        ) from None
    for finding in config_warnings(domains):
        pulumi.log.warn(f"{finding.where}: {finding.message} [{finding.code}]")
    for domain in domains:
        mail = MailDomain(
            domain.domain, MailDomainArgs(config=domain, provider_region=aws_region)
        )
        pulumi.export(domain.domain, mail.exports())


main()
