"""Domain more than one service shares: response plans and the answer links members follow.

Pure rules and a signed format, no database, broker or web: a service imports them as it
imports `schemas/`.
"""
