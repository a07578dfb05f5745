"""What every service shares: settings, logging, metrics, database, broker and messaging helpers."""
