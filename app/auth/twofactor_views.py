"""Routes of the twofactor_views part of issue 19 (on the auth blueprint)."""
