"""`python -m services` is the `standby` command (the runtime starts its children this way)."""

from services.cli import main

main()
