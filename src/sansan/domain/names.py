"""How two names are told apart: by what a person sees, not by the spaces typed around them.

A name is typed by hand, pasted from a spreadsheet or padded to line up in a printed list:
“张三 ”, “张三　” (a full-width space) and “张　三” (a two-character name padded to the
width of three, as Chinese lists do) are one person. Only spacing is normalised: the Chinese
text itself is kept as typed (no NFKC, which would turn （二） into (二)).
"""

import re

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
