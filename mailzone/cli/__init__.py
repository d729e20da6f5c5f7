"""The ``mailzone`` command line: ``main`` parses and dispatches; each command
group (``spf``, ``plan``, ``check``) lives in its own module and imports what it
needs only when it runs; ``output`` and ``render`` draw for people and programs."""
