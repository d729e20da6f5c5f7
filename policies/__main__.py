"""The mailzone policy pack: mail DNS and mail settings that every preview must pass.

The Pulumi CLI starts this file with ``python -u -m pulumi.policy <engine> .`` in
this directory; ``pulumi_policy.PolicyPack`` then serves the Analyzer gRPC
protocol and prints its port on stdout. The policies live by subject (``spf``,
``mail``, ``stack``) and are registered here, in one place; each maps the
resources it inspects (by type token and the engine's camelCase property names,
``resources`` and ``mailzone.providers``) to plain values and calls the core's
rule functions, so the pack, the components and the CLI judge alike. ``base``
holds what they share. Nothing here imports a provider SDK: the pack starts in
well under a second.

Values unknown during a preview are never violations. A policy whose config is
wrong fails loudly with the config key and the fix.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    # The pack judges with the core of the same checkout (mailzone/ beside policies/).
    sys.path.insert(0, str(_ROOT))

from pulumi_policy import EnforcementLevel, Policy, PolicyPack  # noqa: E402

from policies import mail, spf, stack  # noqa: E402
from policies.secrets import keep_secret_marks  # noqa: E402

PACK_NAME = "mailzone"

#: Every policy, registered in one place, in the order the registry declares them.
POLICIES: list[Policy] = [*spf.POLICIES, *mail.POLICIES, *stack.POLICIES]


if __name__ == "__main__":
    keep_secret_marks()  # secrets reach the rules marked, so they are judged and never printed
    PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        enforcement_level=EnforcementLevel.ADVISORY,
        description="mailzone: mail DNS (SPF, DKIM, DMARC, SES) and SMTP settings that "
                    "every preview must pass.",
    )
