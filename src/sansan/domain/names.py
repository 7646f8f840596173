"""How two names are told apart: by what a person sees, not by the spaces typed around them.

A name is typed by hand, pasted from a spreadsheet or padded to line up in a printed list:
“张三 ”, “张三　” (a full-width space) and “张　三” (a two-character name padded to the
width of three, as Chinese lists do) are one person. Only spacing is normalised: the Chinese
text itself is kept as typed (no NFKC, which would turn （二） into (二)). Uniqueness is
judged on a folded copy (``folded_name``), so that “(二)” cannot sit beside “（二）”.
"""

import re
import unicodedata

# Unicode's space separators (category Zs): ASCII and no-break spaces, the typographic spaces,
# the ideographic space U+3000. Control characters (tabs, line breaks) are not among them: a
# name holding one is refused by the command's pattern, not quietly mended.
_SPACES = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# A space between two Han characters is padding: no Chinese name holds one.
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_PADDING = re.compile(rf"(?<={_HAN}) (?={_HAN})")


def normal_name(name: str) -> str:
    """The name as stored and compared: no spaces around it, each inner run of spaces one
    ASCII space, and none between two Han characters (“张　三” is 张三; “John  Smith” is
    “John Smith”)."""
    return _PADDING.sub("", _SPACES.sub(" ", name).strip(" "))


# Every white space, not only the separators: a folded name compares what is visible.
_ANY_SPACE = re.compile(r"\s+")


def folded_name(name: str) -> str:
    """A name as a reader tells names apart, for uniqueness only (never stored or shown):
    full- and half-width forms one (NFKC: “（演示）” and “(演示)”, “Ａ” and “A”), letters in one
    case, and no white space at all. Two names alike once folded print alike in a timeline or
    a list, so only one of them may be held at a time."""
    return _ANY_SPACE.sub("", unicodedata.normalize("NFKC", name).casefold())
