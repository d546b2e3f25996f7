"""geostrike.places."""
