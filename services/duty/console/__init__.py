"""The duty console: server-rendered pages, a JSON API, and the confirm page of signed links."""
