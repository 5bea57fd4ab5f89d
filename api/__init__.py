"""The HTTP API: a Falcon app over search/ and index/, served by gunicorn."""
