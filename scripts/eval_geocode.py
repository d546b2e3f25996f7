#!/usr/bin/env python3
"""Evaluate the geocoder on news spellings of places in conflict zones.

Each entry is a spelling as news reports print it and a reference position (GeoNames
coordinates of the intended place, rounded to 0.01°, written from general knowledge; a
governorate at GeoNames' own ADM1 point, not its seat). A
hit is a match within 10 km (geodesic) of the reference. Non-place words must not
resolve at all. Prints the within-10-km rate, each miss, and any non-place resolution.

Usage: .venv/bin/python scripts/eval_geocode.py [--country-hints] [--verbose]
"""

from __future__ import annotations

import argparse
import sys
import time

# spelling(s) separated by "|", latitude, longitude, ISO country (used only with --country-hints)
PLACES = """
Homs|Hims|Homs city|34.73|36.72|SY
Hama|Hamah|Hamaa|35.13|36.76|SY
Latakia|Lattakia|Lattaquie|Al-Ladhiqiyah|35.52|35.79|SY
Aleppo|Halab|36.20|37.16|SY
Damascus|Dimashq|33.51|36.29|SY
Palmyra|Tadmur|Tadmor|34.56|38.28|SY
Talbiseh|Talbisah|Telbiseh|34.84|36.73|SY
Rastan|Al-Rastan|Ar-Rastan|34.92|36.73|SY
Jisr al-Shughour|Jisr al-Shughur|Jisr ash-Shughur|Jisr el-Shoghour|35.81|36.32|SY
Deir al-Zour|Deir ez-Zor|Deir Ezzor|Dayr az-Zawr|Deir el-Zor|35.34|40.14|SY
Raqqa|Raqqah|Al-Raqqa|Rakka|35.95|39.01|SY
Idleb|Idlib|35.93|36.63|SY
Maarat al-Numan|Maarat al-Nouman|Maaret al-Numan|Ma'arrat al-Nu'man|35.65|36.67|SY
Khan Sheikhoun|Khan Shaykhun|Khan Sheikhun|35.44|36.65|SY
Manbij|Menbij|Manbej|36.53|37.95|SY
Kobani|Kobane|Ain al-Arab|Ayn al-Arab|36.89|38.35|SY
Afrin|Efrin|36.51|36.87|SY
Azaz|A'zaz|Aazaz|36.59|37.05|SY
Hasakah|Al-Hasakah|Hassakeh|Hasaka|36.50|40.75|SY
Qamishli|Qamishlo|Kamishli|Al-Qamishli|37.05|41.23|SY
Tal Abyad|Tell Abyad|Tel Abyad|Tall Abyad|36.70|38.95|SY
Sukhna|Al-Sukhnah|Sukhnah|34.89|38.87|SY
Qaryatain|Al-Qaryatayn|Qaryatayn|Al Qaryatain|34.23|37.24|SY
Qusayr|Al-Qusayr|Qusair|Al Qusair|34.51|36.58|SY
Zabadani|Al-Zabadani|Zebdani|33.72|36.10|SY
Douma|Duma|33.57|36.40|SY
Daraya|Darayya|33.46|36.24|SY
Harasta|Harastа|33.56|36.37|SY
Daraa|Deraa|Dar'a|Deraah|32.62|36.10|SY
Busra al-Sham|Bosra|Bosra al-Sham|32.52|36.48|SY
Suwayda|Sweida|As-Suwayda|Suweida|32.71|36.57|SY
Tartus|Tartous|Tartous|34.89|35.89|SY
Baniyas|Banias|35.18|35.94|SY
Jableh|Jablah|Jebleh|35.36|35.93|SY
Qardaha|Al-Qardaha|Qurdaha|35.45|36.06|SY
Masyaf|Misyaf|Masyaf town|35.07|36.34|SY
Salamiyah|Salamieh|Salamiyeh|Al-Salamiyah|35.01|37.05|SY
Mhardeh|Mahardah|Muhradah|35.25|36.57|SY
Suqaylabiyah|Skelbieh|Al-Suqaylabiyah|35.37|36.38|SY
Kafranbel|Kafr Nabl|Kafrnabel|35.61|36.56|SY
Saraqeb|Saraqib|35.86|36.80|SY
Ariha|Areeha|35.81|36.61|SY
Atarib|Al-Atarib|Atareb|36.14|36.83|SY
Jarablus|Jarabulus|Jerablus|36.82|38.01|SY
Al-Bab|Al Bab|36.37|37.52|SY
Tabqa|Al-Tabqa|Tabaqa|35.84|38.55|SY
Mayadin|Al-Mayadin|Al Mayadeen|Mayadeen|35.02|40.45|SY
Albu Kamal|Abu Kamal|Al-Bukamal|Boukamal|34.45|40.92|SY
Hajin|Hajeen|34.70|40.83|SY
Shaddadi|Al-Shaddadi|Shadadi|Al-Shaddadah|36.06|40.73|SY
Ras al-Ain|Ras al-Ayn|Ras al Ain|36.85|40.07|SY
Amuda|Amouda|37.10|40.93|SY
Yabroud|Yabrud|33.97|36.66|SY
Nabk|An-Nabk|Al-Nabk|34.02|36.73|SY
Deir Hafer|Dayr Hafir|Deir Hafir|36.16|37.70|SY
Nubl|Nubol|36.37|36.99|SY
Tal Rifaat|Tell Rifaat|Tall Rifat|36.47|37.10|SY
Jindires|Jinderes|Jandairis|36.39|36.69|SY
Salqin|Salqeen|36.14|36.45|SY
Harem|Harim|36.21|36.52|SY
Kafr Zita|Kafr Zeita|Kafrzita|35.37|36.60|SY
Morek|Murak|Mourek|35.38|36.69|SY
Halfaya|Halfaia|35.26|36.61|SY
Latamneh|Al-Latamneh|Lataminah|35.32|36.62|SY
Kafr Nabuda|Kafr Nabudah|Kafrnabuda|35.43|36.50|SY
Talkalakh|Tell Kalakh|Tal Kalakh|Tall Kalakh|34.67|36.26|SY
Madaya|Madaya town|33.69|36.10|SY
Inkhil|Inkhel|33.02|36.13|SY
Jasim|Jassem|32.99|36.06|SY
Sheikh Miskin|Shaykh Maskin|32.83|36.16|SY
Tafas|Tafes|32.74|36.07|SY
Shahba|Shahbaa|32.85|36.63|SY
Salkhad|Salkhad town|32.49|36.71|SY
Sanamayn|Al-Sanamayn|Sanamein|33.07|36.18|SY
Safita|Safita town|34.82|36.12|SY
Quneitra|Al-Quneitra|Qunaytirah|33.13|35.82|SY
Zaafaraniyah|Az-Zaafaraniyah|34.87|36.80|SY
Mosul|Al-Mosul|Mawsil|36.34|43.12|IQ
Fallujah|Falluja|Al-Fallujah|33.35|43.78|IQ
Ramadi|Al-Ramadi|Ar Ramadi|33.43|43.30|IQ
Tikrit|Tekrit|34.60|43.68|IQ
Kirkuk|Kerkuk|35.47|44.39|IQ
Erbil|Arbil|Irbil|Hawler|36.19|44.01|IQ
Baghdad|Bagdad|33.34|44.40|IQ
Basra|Basrah|Al-Basrah|30.51|47.78|IQ
Samarra|Samara Iraq|34.20|43.87|IQ
Baiji|Bayji|Beiji|34.93|43.49|IQ
Haditha|Hadithah|34.14|42.38|IQ
Hit|Heet|33.64|42.83|IQ
Tal Afar|Tall Afar|Telafer|36.38|42.45|IQ
Sinjar|Shingal|36.32|41.88|IQ
Karbala|Kerbala|32.62|44.02|IQ
Nasiriyah|Nasiriya|Al-Nasiriyah|31.05|46.26|IQ
Kut|Al-Kut|32.51|45.82|IQ
Baqubah|Baquba|Baqouba|33.75|44.64|IQ
Sulaymaniyah|Sulaimaniya|Slemani|35.56|45.44|IQ
Dohuk|Duhok|Dahuk|36.87|42.99|IQ
Hilla|Al-Hillah|Hillah|32.48|44.42|IQ
Qayyarah|Qayara|35.80|43.29|IQ
Hawija|Al-Hawija|Hawijah|35.32|43.76|IQ
Tuz Khurmatu|Tuz Khurmato|34.89|44.63|IQ
Beirut|Beyrouth|33.89|35.50|LB
Baalbek|Baalbeck|Ba'albek|34.01|36.21|LB
Tyre|Sour|Sur Lebanon|33.27|35.20|LB
Sidon|Saida|Sayda|33.56|35.37|LB
Arsal|Ersal|Aarsal|34.18|36.42|LB
Hermel|Al-Hermel|34.39|36.38|LB
Nabatieh|Nabatiyeh|Al-Nabatieh|33.38|35.48|LB
Zahle|Zahleh|33.85|35.90|LB
Jounieh|Juniyah|33.98|35.62|LB
Bint Jbeil|Bint Jubayl|33.12|35.43|LB
Gaziantep|Antep|Gaziantep city|37.06|37.38|TR
Sanliurfa|Şanlıurfa|Urfa|37.17|38.79|TR
Kilis|Kilis town|36.72|37.12|TR
Akcakale|Akçakale|36.71|38.95|TR
Reyhanli|Reyhanlı|36.27|36.57|TR
Antakya|Antioch|36.20|36.16|TR
Suruc|Suruç|36.98|38.42|TR
Nusaybin|Nusaybin town|37.08|41.22|TR
Cizre|37.33|42.19|TR
Diyarbakir|Diyarbakır|Amed|37.91|40.22|TR
Iskenderun|Alexandretta|36.59|36.17|TR
Tripoli|Tarabulus|Tripoli Libya|32.89|13.19|LY
Benghazi|Bengazi|Banghazi|32.12|20.07|LY
Misrata|Misurata|Misratah|32.38|15.09|LY
Sirte|Surt|Sirt|31.21|16.59|LY
Derna|Darnah|Darna|32.77|22.64|LY
Tobruk|Tubruq|32.08|23.96|LY
Ajdabiya|Ajdabiyah|Ajdabia|30.76|20.23|LY
Sabha|Sebha|27.04|14.43|LY
Zawiya|Az-Zawiyah|Zawiyah|32.76|12.73|LY
Gharyan|Gharian|32.17|13.02|LY
Bani Walid|Beni Walid|31.76|13.99|LY
Zintan|Az-Zintan|31.93|12.25|LY
Sabratha|Sabratah|32.79|12.49|LY
Sanaa|Sana'a|Sana|15.35|44.21|YE
Hodeidah|Hudaydah|Al-Hudaydah|Hodeida|14.80|42.95|YE
Aden|Adan|12.78|45.04|YE
Taiz|Ta'izz|Taizz|13.58|44.02|YE
Marib|Ma'rib|Mareb|15.46|45.32|YE
Saada|Sa'dah|Saadah|16.94|43.76|YE
Mukalla|Al-Mukalla|14.54|49.12|YE
Ibb|Ibb city|13.97|44.18|YE
Dhamar|Damar|14.54|44.40|YE
Hajjah|Hajja|15.69|43.60|YE
Amran|Omran|15.66|43.94|YE
Zinjibar|Zingibar|13.13|45.38|YE
Mocha|Mokha|Al-Mukha|13.32|43.25|YE
Ataq|Ataq town|14.54|46.83|YE
Kharkiv|Kharkov|Харків|49.98|36.25|UA
Mariupol|Mariupol city|47.10|37.55|UA
Donetsk|Donetsk city|48.02|37.80|UA
Luhansk|Lugansk|48.57|39.32|UA
Bakhmut|Artemivsk|Artemovsk|48.60|38.00|UA
Kyiv|Kiev|Київ|50.45|30.52|UA
Odesa|Odessa|46.48|30.73|UA
Kherson|Kherson city|46.64|32.61|UA
Zaporizhzhia|Zaporizhia|Zaporozhye|47.84|35.14|UA
Dnipro|Dnipropetrovsk|Dnepropetrovsk|48.45|34.98|UA
Mykolaiv|Nikolaev|Mykolayiv|46.97|32.00|UA
Kramatorsk|Kramatorsk city|48.72|37.56|UA
Sloviansk|Slavyansk|Slovyansk|48.85|37.60|UA
Avdiivka|Avdeevka|Avdiyivka|48.14|37.74|UA
Izium|Izyum|49.21|37.26|UA
Lysychansk|Lisichansk|48.90|38.43|UA
Sievierodonetsk|Severodonetsk|48.95|38.49|UA
Melitopol|Melitopol city|46.85|35.37|UA
Chernihiv|Chernigov|51.50|31.30|UA
Horlivka|Gorlovka|48.30|38.05|UA
Pokrovsk|Krasnoarmeysk|48.28|37.18|UA
Bucha|Bucha town|50.54|30.22|UA
Kufra|Al Kufrah|Kufrah|24.18|23.28|LY
Amerli|Amirli|34.72|44.59|IQ
Vinnitsa|Vinnytsia|Vinnytsya|49.23|28.47|UA
Aden|عدن|12.78|45.04|YE
Saqba|Saqbah|33.50|36.38|SY
Markadeh|Markadah|35.73|40.77|SY
Nineveh|Nineveh province|Ninawa|36.17|42.58|IQ
Rif Dimashq|Damascus countryside|rural Damascus|33.50|37.00|SY
"""

NON_PLACES = """the|The|THE|Wednesday|airstrike|airstrikes|moderate opposition|Islamic State|ISIS|Daesh|
al-Nusra|Nusra Front|Free Syrian Army|rebels|civilians|hospital|Russian|Syrian|jets|warplanes|
bombing|killed|ministry|spokesman|Tuesday|October|government|regime|coalition|reported|
according to|unknown|n/a|Jaish al-Fatah|Ahrar al-Sham|Hezbollah|Kurdish|YPG|SDF|artillery|
checkpoint|convoy|mosque|bakery|market|school|village|town|countryside|Thursday|September|
yesterday|sources|activists|observatory|Syrian Observatory for Human Rights|monitor|drone|
barrel bombs|cluster munitions|positions|targets|terrorists|Sukhoi|Pentagon|militants|
insurgents|air raid|ceasefire|humanitarian|refugees|fighters|Russian Defence Ministry|
Army of Conquest|Jabhat Fateh al-Sham|Islamist|jihadists|command post|ammunition depot|
weapons|training camp|headquarters|residential area|Monday|Friday|Saturday|Sunday|March|
airbase|helicopter|Su-24|Su-34|cruise missiles|Kalibr|Caspian Sea flotilla|witnesses|
local media|state media|opposition fighters|government forces|pro-government|loyalist|
Assad|Putin|the Kremlin said|ISIL|IS|al-Qaeda|Daish|Jaish al-Islam|Brigade|
Division|battalion|Liwa al-Quds|Hamas|SAA|BEN|Al Jazeera|Shia|Shiite|Sunni|Alawite|Druze|
Bedouin|Bedouins|caliph|caliphate|jihad|tank|tanks|sarin|chlorine|Khoja|Ali|Bin|Abu|Ben|Umm|
police|mission|liberty|union|BEY|ALP|ADE|SAH|Kurds|Reuters|AFP|agency|militia|army|
Hezbollah positions|Hamas fighters|Wagner|PKK|Peshmerga|Houthis|TASS|Interfax|mortar|
rockets|missile|shelling|Mohammed|Ahmed|Hassan|Hussein|Omar|"""


def _parse_places():
    out = []
    for line in PLACES.strip().splitlines():
        f = line.split("|")
        names, lat, lon, cc = f[:-3], float(f[-3]), float(f[-2]), f[-1]
        for n in names:
            out.append((n, lat, lon, cc))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--country-hints", action="store_true", help="pass each place's country")
    ap.add_argument("--verbose", action="store_true", help="print every result")
    ap.add_argument("--km", type=float, default=10.0, help="hit radius (default 10 km)")
    args = ap.parse_args(argv)

    from pyproj import Geod

    from geostrike.places.geocoder import geocode

    geod = Geod(ellps="WGS84")
    places = _parse_places()
    non = [w.strip() for w in NON_PLACES.replace("\n", "").split("|") if w.strip()]
    t0 = time.perf_counter()
    hits, misses = 0, []
    for name, lat, lon, cc in places:
        m = geocode(name, country=cc if args.country_hints else None)
        if m is None:
            misses.append((name, "not found", ""))
            continue
        _, _, d = geod.inv(lon, lat, m.longitude, m.latitude)
        d /= 1000.0
        if d <= args.km:
            hits += 1
        else:
            misses.append(
                (name, f"{d:.0f} km off", f"{m.name}, {m.country_code} [{m.raw['level']}]")
            )
        if args.verbose:
            print(
                f"{name:28s} {d:7.1f} km  {m.name}, {m.country_code} [{m.raw['level']} {m.score}]"
            )
    bad = []
    for w in non:
        m = geocode(w)
        if m is not None:
            bad.append((w, f"{m.name}, {m.country_code} [{m.raw['level']} {m.score}]"))
    dt = time.perf_counter() - t0
    n = len(places)
    print(f"places: {n} spellings of {len(PLACES.strip().splitlines())} places")
    print(f"within {args.km:g} km: {hits}/{n} = {100.0 * hits / n:.1f}%")
    for name, why, what in misses:
        print(f"  MISS {name!r}: {why} {what}")
    print(f"non-place words: {len(non)}, resolved (must be 0): {len(bad)}")
    for w, what in bad:
        print(f"  WRONG {w!r} -> {what}")
    print(f"time: {dt:.2f} s for {n + len(non)} queries")
    return 0 if (hits / n >= 0.98 and not bad) else 1


if __name__ == "__main__":
    sys.exit(main())
