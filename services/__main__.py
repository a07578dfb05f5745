"""`python -m services` is the `standby` command (the runtime starts its children this way)."""

import sys

if sys.argv[1:2] == ["smtp-sink"] and "--help" not in sys.argv:
    # The sink needs aiosmtpd alone: the CLI would load settings, typer and every tool.
    from services.runtime.smtp_sink import main as sink

    sink(sys.argv[2:])
elif sys.argv[1:] == ["spare"]:
    # A service process waiting for its role, started by `standby run` (runtime/spare.py).
    from services.runtime.spare import main as spare

    spare()
else:
    from services.cli import main

    main()
