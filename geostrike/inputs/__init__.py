"""geostrike.inputs."""
