"""Routes of the session_views part of issue 19 (on the auth blueprint)."""
