"""The page where a member manages the mail they get, served by the notifier (decision 0401).

A signed link names one contact (`guard.py`); GET shows the form and changes nothing (mail
scanners fetch links), POST saves it, and the RFC 8058 one-click POST to `/unsubscribe` stops
all mail (`pages.py`). Without a link, a member asks for their own by mail (`links.py`): the
page only asks the notifier's link mail port to send it, it composes and sends no mail itself.
`deps.py` holds what every route depends on, `app.py` assembles them, as in the console.
"""
