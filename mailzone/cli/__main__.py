"""``python -m mailzone.cli``: the same as the ``mailzone`` command."""

from mailzone.cli.main import main

raise SystemExit(main())
