"""The corridor web app: an HTTP API and an offline map page over the public library.

    >>> from corridor.web import create_app, serve
    >>> serve()          # http://127.0.0.1:8000
"""

from .app import create_app, serve

__all__ = ["create_app", "serve"]
