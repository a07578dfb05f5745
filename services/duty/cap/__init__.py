"""CAP 1.2 out: duty's activations, launches and stand-downs as Common Alerting Protocol alerts.

`view` derives the messages from what duty stores, `mapping` and `words` say what each
CAP field holds, `render` writes CAP and Atom XML, and `router` serves them read-only.
"""
