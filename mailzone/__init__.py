"""mailzone: mail DNS for applications that send from their own domains.

The core (this package) is pure Python plus dnspython. It never imports Pulumi:
the components, the policy pack and the CLI all build on it.
"""

__version__ = "0.1.0"
