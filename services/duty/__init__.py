"""The duty service."""
