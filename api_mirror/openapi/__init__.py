"""The mirror described in OpenAPI 3.1 (``/openapi.json``, and the ``/docs`` page built on it)."""
