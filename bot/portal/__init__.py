"""The NGO staff portal at /portal: the inbox of referred cases, the case page, the relay to the
worker, and administrators' pages. bot/__init__.py registers ``bot.portal.routes.bp``.
"""
