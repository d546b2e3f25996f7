"""Normalising and transliterating place names: the key functions of the gazetteer.

Pure functions, no data files. Three levels of folding are applied identically to
gazetteer names and to queries:

``normalise``
    The exact key: Unicode NFKD with diacritics stripped, non-Latin scripts transliterated
    with ``anyascii``, case folded, apostrophes and ʿayn/hamza marks dropped, hyphens and
    punctuation turned into single spaces. "Ma‘arrat an Nu‘mān" → "maarrat an numan".
``fold``
    A romanisation-tolerant key: the Arabic article (al-, el-, ash-, ez- ...) removed, common
    name words unified (Tal/Tell/Tall, Deir/Dayr/Dair, Jisr/Jsr, Kafr/Kfar, Sheikh/Shaykh,
    Ain/Ayn/Ein ...), endings -ah/-eh/-a/-e and -iyah/-iyeh/-ieh unified, digraphs
    (kh, sh/ch, gh, dh, th, ou/oo, ee, ei/ay) unified, doubled letters collapsed, spaces
    removed. "Jisr al-Shughour" and "Jisr ash Shughūr" both fold to "jisrcugur".
``skeleton``
    A consonant skeleton of the fold (vowels, w and y removed). Many spellings share it, so
    a skeleton match is only accepted when the folds are also similar.

``STOPWORDS`` lists words and phrases that are never places (function words, weekdays,
months, the vocabulary of strike reports, demonyms); the geocoder refuses them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "normalise",
    "normalise_ascii_many",
    "normalise_many",
    "fold",
    "skeleton",
    "loose",
    "strip_articles",
    "script",
    "is_stopword",
    "STOPWORDS",
    "ARTICLES",
]

#: Arabic article forms as they appear in romanised names (al-, el-, assimilated ash-, ez- ...).
ARTICLES = frozenset(
    "al el il ul ol l ar er as es ash esh ad ed at et az ez an en ath adh ax ach ej ey"
    " aj ag".split()
)

# Characters deleted outright: apostrophes, ʿayn and hamza marks, modifier letters.
_DELETE = dict.fromkeys(
    map(ord, "'‘’`´ʹʻʼʽʾʿˀˁ′ʹ\u02bc\u02be\u02bf\u0654\u0655\u0670"),
    None,
)
# Arabic letters given a better Latin value than anyascii's before transliteration.
_ARABIC_PRE = str.maketrans({"ة": "a", "ى": "a", "ـ": "", "ء": "", "ع": "", "أ": "a", "إ": "i"})
_ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])ال(?=[\u0600-\u06ff])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LATIN_SPECIAL = str.maketrans(
    {"ı": "i", "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
     "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "ð": "d", "ħ": "h", "Ħ": "h"}
)  # fmt: skip


_NOT_LATIN = re.compile("[^\u0000-\u024f\u1e00-\u1eff]")


def script(text: str) -> str:
    """Return the dominant script of ``text``'s letters: 'latin', 'arabic', 'cyrillic', ...

    Letters below U+0250 count as Latin; others are named by the first word of their
    Unicode name (ARABIC, CYRILLIC, GREEK, CJK ...). Text without letters is 'latin'.
    """
    if not _NOT_LATIN.search(text):
        return "latin"  # every character Latin (or not a letter): no per-letter count
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        if ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF:
            name = "latin"
        else:
            try:
                name = unicodedata.name(ch).split(" ", 1)[0].lower()
            except ValueError:
                name = "other"
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "latin"
    return max(counts, key=lambda k: (counts[k], k == "latin"))


def normalise(text: str) -> str:
    """Return the exact lookup key of a place name.

    NFKD with combining marks removed, non-Latin scripts transliterated (anyascii), case
    folded, apostrophes/ʿayn/hamza dropped, every other non-alphanumeric run turned into
    one space, trimmed. Never raises: anything that is not a string gives ''.

    Examples
    --------
    >>> normalise("Ma‘arrat an Nu‘mān")
    'maarrat an numan'
    >>> normalise("Deir ez-Zor")
    'deir ez zor'
    """
    if not isinstance(text, str) or not text:
        return ""
    return _normalise(text)


@lru_cache(maxsize=1 << 18)  # a fuzzy batch meets a few hundred thousand distinct names
def _normalise(text: str) -> str:
    if text.isascii():
        s = text.translate(_DELETE).lower()
        return _NON_ALNUM.sub(" ", s).strip()
    s = text.translate(_DELETE).translate(_LATIN_SPECIAL)
    # symbols (emoji, flags, dingbats) and control/private characters are not name text
    s = "".join(ch if unicodedata.category(ch)[0] in "LNMP" else " " for ch in s)
    if any("\u0600" <= ch <= "\u06ff" for ch in s):
        s = _ARABIC_ARTICLE.sub("al ", s.translate(_ARABIC_PRE))
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    if not s.isascii():
        from anyascii import anyascii

        s = anyascii(s)
    s = s.translate(_DELETE).lower()
    return _NON_ALNUM.sub(" ", s).strip()


_NON_ALNUM_NL = re.compile(r"[^a-z0-9\n]+")
_ARABIC_BLOCK = re.compile("[\u0600-\u06ff]")
_DELETE_LATIN = {**_DELETE, **_LATIN_SPECIAL}


def normalise_ascii_many(texts: list[str]) -> list[str]:
    """:func:`normalise` of many printable-ASCII strings at once (one translate, one
    lowercase and one substitution over the joined text); same keys as one by one.

    Every string must be ASCII and printable (no newline): the batch is joined by
    newlines.
    """
    if not texts:
        return []
    blob = _NON_ALNUM_NL.sub(" ", "\n".join(texts).translate(_DELETE).lower())
    return [k.strip() for k in blob.split("\n")]


def normalise_many(texts: list[str]) -> list[str]:
    """:func:`normalise` of many strings at once: every step of the key function works
    character by character, so it runs once over the newline-joined batch; same keys as
    one by one (strings containing a newline are done one by one)."""
    if not texts:
        return []
    if any(not isinstance(t, str) or "\n" in t for t in texts):
        return [normalise(t) for t in texts]
    asc = [t.isascii() and t.isprintable() for t in texts]
    if all(asc):
        return normalise_ascii_many(texts)
    if any(asc):  # ASCII strings take the cheap path
        out = [""] * len(texts)
        ia = [i for i, a in enumerate(asc) if a]
        io = [i for i, a in enumerate(asc) if not a]
        for i, k in zip(ia, normalise_ascii_many([texts[i] for i in ia]), strict=True):
            out[i] = k
        for i, k in zip(io, normalise_many([texts[i] for i in io]), strict=True):
            out[i] = k
        return out
    # per-character steps as translate tables over the batch's distinct characters: the
    # deletions, the special Latin letters and symbols to spaces in one pass (what the
    # first two tables produce are letters, kept by the third step)
    s = "\n".join(texts)
    cat = unicodedata.category
    table = {
        ord(c): " "
        for c in set(s)
        if c != "\n" and ord(c) not in _DELETE_LATIN and cat(c)[0] not in "LNMP"
    }
    s = s.translate({**_DELETE_LATIN, **table})
    if _ARABIC_BLOCK.search(s):
        s = _ARABIC_ARTICLE.sub("al ", s.translate(_ARABIC_PRE))
    s = unicodedata.normalize("NFKD", s)
    s = s.translate(dict.fromkeys((ord(c) for c in set(s) if unicodedata.combining(c)), None))
    if not s.isascii():
        from anyascii import anyascii  # per character: one table over the distinct ones

        s = s.translate(
            {
                **_DELETE,
                **{ord(c): anyascii(c).translate(_DELETE) for c in set(s) if not c.isascii()},
            }
        )
    else:
        s = s.translate(_DELETE)
    s = _NON_ALNUM_NL.sub(" ", s.lower())
    return [k.strip() for k in s.split("\n")]


def strip_articles(key: str) -> str:
    """Remove Arabic article tokens from a normalised key (keeps a lone token)."""
    toks = key.split()
    kept = [t for t in toks if t not in ARTICLES]
    return " ".join(kept) if kept else key


# Name words with many romanisations, unified before folding (keys are normalised tokens).
_WORD_CANON: dict[str, str] = {}
for _canon, _variants in {
    "tal": "tal tall tell tel til tul",
    "dayr": "dayr deir dair deyr der dier deir",
    "jisr": "jisr jsr jisir jesr",
    "kafr": "kafr kfar kafar kefr kfr kufr kefar",
    "shaykh": "shaykh sheikh shaikh sheik shekh shaykh shiekh chaikh cheikh",
    "ayn": "ayn ain ein aain ayin aïn eyn",
    "bayt": "bayt beit bait beyt bet beth",
    "abu": "abu abou abo",
    "umm": "umm um om oum",
    "ras": "ras raas rass",
    "jabal": "jabal jebel jabel jbel djebel",
    "khirbat": "khirbat khirbet kherbet khirbit khirba khirbeh",
    "qasr": "qasr kasr qasser",
    "bir": "bir beer bi'r bir",
    "mazraat": "mazraat mazraa mazraah mazrat",
    "wadi": "wadi ouadi wady",
    "hammam": "hammam hamam",
    "qalat": "qalat qalaat kalaat qalaa",
    "madinat": "madinat medinat madina medina",
    "nahr": "nahr nahar",
    "saint": "saint st san",
}.items():
    for _v in _variants.split():
        _WORD_CANON[_v] = _canon

_ENDINGS = (
    (re.compile(r"(iyyah|iyyeh|iyah|iyeh|iyya|iyye|ieh|iya|iye|iyat)$"), "iya"),
    (re.compile(r"(?<=[a-z])(ah|eh|a|e)$"), "a"),
)
_DIGRAPHS = (
    ("sch", "c"),
    ("tch", "c"),
    ("dzh", "j"),
    ("kh", "x"),
    ("gh", "g"),
    ("sh", "c"),
    ("ch", "c"),
    ("zh", "j"),
    ("dj", "j"),
    ("dh", "z"),
    ("th", "t"),
    ("ph", "f"),
    ("ck", "k"),
    ("q", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "i"),
    ("ei", "ai"),
    ("ey", "ai"),
    ("ay", "ai"),
    ("iy", "i"),
    ("aa", "a"),
    ("o", "u"),
    ("v", "w"),
)
_DOUBLE = re.compile(r"(.)\1+")
_Y_GLIDE = re.compile(r"(?<=[^aeiou])y(?=[aeiou])")


@lru_cache(maxsize=65536)
def fold(key: str) -> str:
    """Return the romanisation-tolerant key of a normalised name (see module docstring).

    >>> fold(normalise("Jisr al-Shughour")) == fold(normalise("Jisr ash Shughūr"))
    True
    """
    toks = [t for t in key.split() if t not in ARTICLES] or key.split()
    out = []
    for t in toks:
        t = _WORD_CANON.get(t, t)
        if len(t) > 3 and not t.isdigit():
            for pat, rep in _ENDINGS:
                t2 = pat.sub(rep, t)
                if t2 != t:
                    t = t2
                    break
        if t[0] in "eiou" and len(t) > 2:
            t = "a" + t[1:]  # initial hamza/ʿayn vowels vary: Irbin/Arbeen, Efrin/Afrin
        out.append(t)
    s = "".join(out)
    for a, b in _DIGRAPHS:
        s = s.replace(a, b)
    s = _Y_GLIDE.sub("i", s)  # Abyad/Abiad, Suwayda/Suweida after "ay" → "ai"
    return _DOUBLE.sub(r"\1", s)


_VOWELS = re.compile(r"[aeiouyw]")
_VOWEL_RUNS = re.compile(r"[aeiou]+")


@lru_cache(maxsize=65536)
def skeleton(folded: str) -> str:
    """Return the consonant skeleton of a folded key (vowels, w, y dropped, no doubles;
    g and j unified, as Egyptian and Yemeni spellings write ج as g).

    >>> skeleton(fold("talbiseh")) == skeleton(fold("tallbisah"))
    True
    """
    s = _VOWELS.sub("", folded.replace("g", "j"))
    return _DOUBLE.sub(r"\1", s)


@lru_cache(maxsize=65536)
def loose(folded: str) -> str:
    """Vowel-blind form of a folded key for similarity scores: every vowel run becomes
    'a', g becomes j. "ersal" and "arsal" are equal; "tafes" and "tafas" too."""
    return _VOWEL_RUNS.sub("a", folded.replace("g", "j"))


# --------------------------------------------------------------------------- stopwords
_STOP_TEXT = """
a an the this that these those there here it its it's he she they them their his her we us our
you your i me my mine of in on at to from by for with without within into onto upon over under
near after before during since until till about above below between among across against along
around behind beyond through throughout toward towards via per and or nor but not no yes so as if
then than too very also only just even still yet again more most less least much many few some
any all each every both either neither other another such same own what which who whom whose
when where why how is are was were be been being am do does did done doing have has had having
will would shall should can could may might must ought let lets get got make made say said says
report reports reported reportedly according claimed claims claim alleged allegedly source sources
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight morning
afternoon evening night day days week weeks month months year years hour hours minute minutes
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
airstrike airstrikes air strike strikes struck strike raid raids bomb bombs bombing bombings
bombed bomber bombers bombardment shelling shelled shell shells missile missiles rocket rockets
barrel barrels attack attacks attacked attacker jet jets plane planes aircraft warplane warplanes
helicopter helicopters drone drones sortie sorties target targets targeted targeting killed kill
kills killing dead death deaths wounded injured casualties casualty civilian civilians fighter
fighters militant militants rebel rebels insurgent insurgents terrorist terrorists terrorism
troops troop soldier soldiers army armies military forces force regime government opposition
moderate moderate opposition coalition alliance group groups faction factions militia militias
islamist islamists jihadist jihadists extremist extremists state islamic islamic state isis isil
daesh daish is nusra al nusra nusra front jabhat al nusra al qaeda al qaida qaeda qaida hezbollah
hizbollah hizballah free syrian army fsa sdf ypg pkk ypj hts ahrar al sham ahrar jaish al fatah
army of conquest jaish al islam russian russians
syrian syrians turkish turks iraqi iraqis lebanese libyan libyans yemeni yemenis ukrainian
ukrainians american americans british french iranian iranians kurdish kurds kurd arab arabs
israeli israelis saudi saudis emirati western eastern northern southern central
ministry minister defence defense spokesman spokeswoman statement official officials president
hospital hospitals school schools mosque mosques market markets bakery bakeries village villages
town towns city cities province provinces governorate governorates region regions district
districts area areas countryside outskirts suburb suburbs border borders frontier road roads
highway bridge bridges building buildings house houses home homes camp camps base bases airbase
airport airports headquarters hq depot depots warehouse checkpoint checkpoints position positions
north south east west northeast northwest southeast southwest north east north west south east
south west km kilometres kilometers kilometre kilometer miles mile metres meters
people person men women children child family families man woman boy girl
new old first second third last next one two three four five six seven eight nine ten
hundred hundreds thousand thousands dozen dozens several
unknown unclear unconfirmed confirmed none null nan n a na tbd unspecified various multiple
location locations place places site sites
assad bashar putin obama erdogan biden trump baghdadi nasrallah zelensky zelenskyy lavrov shoigu
kerry clinton netanyahu khamenei soleimani haftar sarraj houthi houthis
hamas hezbollah hizbollah hizballah shia shiite shiites shia's shiism sunni sunnis alawite alawites
alawi druze bedouin bedouins kurd kurds kurdish yazidi yazidis christian christians muslim muslims
caliph caliphate jihad jihadi jihadis jihadist jihadists mujahideen islamist islamists emir emirate
tank tanks sarin chlorine barrel barrels bomb bombs bombing missile missiles rocket rockets mortar
mortars drone drones artillery shell shells shelling helicopter helicopters jet jets warplane warplanes
police mission liberty union army armies militia militias jazeera reuters agency ministry afp ap
tass interfax bbc cnn news press report reports reported media channel television tv
government regime rebels rebel insurgents insurgent fighters fighter troops soldiers forces
coalition brigade brigades battalion regiment commander general colonel
ali bin abu ben ibn umm mohammed muhammad ahmed ahmad hassan hussein omar umar
saleh asma musa isa samir amir karim salim jamil rashid mansour hamid mahmoud mustafa ibrahim
khalid walid tariq ziad nabil fadi rami majid nasser fahd faisal hamad yusuf uthman
mullah mullahs imam imams tomahawk tomahawks fleet university universities ocha levant mesopotamia
maghreb sahara golan uzbek uzbeks uighur uighurs uyghur uyghurs qatari qataris saudis emirati
emiratis jordanian jordanians egyptian egyptians lebanese iraqi iraqis libyan libyans yemeni
yemenis chechen chechens afghan afghans tajik tajiks pakistani pakistanis hermon deal deals
"""
STOPWORDS: frozenset[str] = frozenset(_STOP_TEXT.split())


def is_stopword(key: str) -> bool:
    """True when a normalised query is not a place: a stopword, or made only of stopwords."""
    if not key:
        return True
    if key in STOPWORDS:
        return True
    toks = key.split()
    return all(t in STOPWORDS or t in ARTICLES for t in toks)
