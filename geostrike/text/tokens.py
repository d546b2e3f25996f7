"""Text preparation for :mod:`geostrike.text.claims`: HTML stripping, junk detection, tokens, sentences.

Everything here is pure Python over the standard library (``html.parser`` for markup). Offsets
are character offsets into the prepared text (the text after HTML stripping, when the input
was HTML), so that ``text[start:end]`` is always the mention as written.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from html.parser import HTMLParser

from geostrike.errors import InputError

_HTML_SNIFF = re.compile(
    r"<(?:!doctype|html|head|body|p|div|br|span|a|script|style|table|li|ul|h[1-6]|article|section)\b",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "article", "section", "header", "footer", "blockquote", "title", "pre", "hr",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "template"}

# A word: letters/digits with inner apostrophes (hyphens split words: "Russia-Turkey"); or dotted initials "U.S." / "U.N.".
TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+(?:['’][^\W_]+)*")

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "capt", "maj", "sen", "rep", "gov",
    "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "etc", "inc", "co", "corp", "jr", "sr", "prof", "brig", "adm", "cmdr", "ft",
    "mt", "rev", "hon", "approx", "est", "fig", "al",
}  # fmt: skip
# A sentence end: only at the first mark of a run, possessive, so that a long run of
# full stops ("......") costs linear time instead of backtracking over itself.
#: Longest sentence span (characters); longer spans are cut at whitespace.
MAX_SENTENCE = 1000
_BOUNDARY = re.compile(r"(?<![.!?…])[.!?…]++[\"”’'»)\]]*+(?=\s)|\n\s*")


class _Stripper(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:  # type: ignore[override]
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:  # type: ignore[override]
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:  # type: ignore[override]
        if not self._skip:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    """True when the text carries HTML markup (a few known tags in its first 64 kB)."""
    return len(_HTML_SNIFF.findall(text[:65536])) >= 2 or bool(
        re.match(r"\s*<(?:!doctype|html)", text, re.IGNORECASE)
    )


def strip_html(text: str) -> str:
    """Return the readable text of an HTML document (scripts and styles dropped)."""
    parser = _Stripper()
    parser.feed(text)
    parser.close()
    out = "".join(parser.parts)
    out = re.sub(r"[ \t\r\f\v]+", " ", out)
    out = re.sub(r" *\n[ \n]*", "\n", out)
    return out.strip()


def check_not_junk(text: str, path: str | None = None) -> None:
    """Raise InputError when the text looks like binary data rather than prose."""
    sample = text[:65536]
    if not sample:
        return
    bad = sum(1 for c in sample if (c < " " and c not in "\n\r\t") or c == "\ufffd")
    if bad / len(sample) > 0.02:
        raise InputError(path, "looks like binary data, not text")


def prepare(text: str, path: str | None = None) -> tuple[str, list[str]]:
    """Return (prepared text, notes): HTML stripped when present, junk rejected.

    Raises
    ------
    InputError
        When the input is not a string or looks like binary data.
    """
    if not isinstance(text, str):
        raise InputError(path, f"expected text, got {type(text).__name__}")
    notes: list[str] = []
    check_not_junk(text, path)
    if looks_like_html(text):
        text = strip_html(text)
        notes.append("HTML tags were stripped; offsets refer to the stripped text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, notes


@dataclass
class Tokens:
    """Parallel lists of word tokens: strings, start and end offsets."""

    words: list[str]
    starts: list[int]
    ends: list[int]

    def __len__(self) -> int:
        return len(self.words)

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        i = bisect_right(self.starts, offset - 1)
        return i


def tokenize(text: str) -> Tokens:
    """Split text into word tokens with character offsets."""
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in TOKEN_RE.finditer(text):
        words.append(m.group())
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(words, starts, ends)


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) covering the text, split on . ! ? and line breaks.

    A full stop after a known abbreviation ("Mr.", "Sept.", "Gen.") or a single initial
    ("George W. Bush") does not end a sentence. A span longer than :data:`MAX_SENTENCE`
    characters (a wall of text without full stops) is cut at the last whitespace before
    the limit, so that the work done per sentence stays bounded.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group()[0] == ".":
            # the word before the full stop
            j = m.start()
            k = j
            while k > 0 and (text[k - 1].isalpha() or text[k - 1] == "."):
                k -= 1
            word = text[k:j].lower().strip(".")
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or "." in word:
                # a following lowercase word or digit means the sentence goes on
                nxt = text[end : end + 3].lstrip()
                if not nxt or not nxt[0].isupper() or word in _ABBREVIATIONS or len(word) == 1:
                    continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    # trim leading whitespace from each span
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        while e - s > MAX_SENTENCE:
            cut = text.rfind(" ", s + MAX_SENTENCE // 2, s + MAX_SENTENCE)
            cut = cut if cut > s else s + MAX_SENTENCE
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out
