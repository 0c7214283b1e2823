"""WSGI entry point: ``gunicorn webhook:app`` (or ``puente serve``)."""

from bot import create_app

app = create_app()
