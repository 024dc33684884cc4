"""Routes of the throttle_views part of issue 19 (on the auth blueprint)."""
