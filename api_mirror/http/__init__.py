"""The mirror as an HTTP service: the app, its server, the fast path, metrics and the routes."""
