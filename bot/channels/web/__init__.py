"""The web page: a second channel over the same engine, for phones (WeChat's in-app browser).

app.py wires routes and middlewares; access.py decides who may see what; pages.py renders
HTML on the server (JavaScript in static/ only makes it smoother); api.py is the JSON API
and the feedback both share; run.py is `python -m bot web`.
"""
