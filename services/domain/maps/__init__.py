"""Incident maps drawn on the server from Natural Earth outlines: scene → SVG → PNG.

`scene.py` gathers what to show, `svg.py` draws it, `describe.py` says it in words and
`png.py` rasterises the drawing for mail. Nothing here fetches anything at run time.
"""
