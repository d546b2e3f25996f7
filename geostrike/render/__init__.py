"""geostrike.render."""
