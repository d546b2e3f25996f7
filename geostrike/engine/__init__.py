"""geostrike.engine."""
