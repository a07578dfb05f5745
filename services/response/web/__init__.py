"""The response service's pages: members answer the roll-call, officers see the board and decide.

Served by the service's own app and reached through the console's origin (decision 0703):
`/respond/...` is public and guarded by the signed answer link (`guard.py`, `links.py`);
`/rollcall/...` needs the officer identity the console forwards in a signed header
(`auth.py`, `pages.py`, `decisions.py`). `deps.py` holds what every route depends on, `app.py`
assembles them: nothing imports back up, as in the console.
"""
