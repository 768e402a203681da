"""Serving under gunicorn: the command, plankg's worker class, its connections and sandbox."""
