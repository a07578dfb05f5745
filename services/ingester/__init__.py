"""The ingester service."""
