"""``python -m geostrike``: the same command as the ``geostrike`` console script."""

from geostrike.cli import main

if __name__ == "__main__":
    main()
