"""geostrike.text."""
