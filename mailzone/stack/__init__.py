"""A stack as mailzone reads it: the validated ``mailzone:domains`` config
(``config``) and the records each domain needs (``desired``), the one place both
the components and ``mailzone plan`` take them from."""
