"""Chinese text in the web UI is set with full-width punctuation: a half-width , : ; ( ) ! ?
beside a Chinese character in a string literal of the dashboard's JavaScript is a typo
(“补录,晚 3 天” reads as 补录，晚3天). labels.js is generated from the domain's labels, so its
source is held to the same rule."""

import re
from dataclasses import dataclass
from pathlib import Path

WEB_JS = Path(__file__).resolve().parents[2] / "src" / "sansan" / "web" / "js"
CJK = "\u3400-\u9fff\uff00-\uffef\u3000-\u303f“”‘’…"
HALF_WIDTH = re.escape(",:;()!?")
FULL_WIDTH = dict(zip(",:;()!?", "，：；（）！？", strict=True))
PLACEHOLDER = "\x00"  # a template's ${…}: in a Chinese string, a value read as Chinese
# a half-width mark with a Chinese character (or Chinese punctuation) right before or after it
BESIDE_CJK = re.compile(
    rf"(?<=[{CJK}{PLACEHOLDER}])\s*[{HALF_WIDTH}]\s*|\s*[{HALF_WIDTH}]\s*(?=[{CJK}{PLACEHOLDER}])"
)
HAS_CJK = re.compile(r"[\u3400-\u9fff]")
# after these a "/" starts a regular expression, not a division
REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


@dataclass
class Literal:
    line: int
    pieces: list[tuple[int, int]]  # the literal's text in the source, around its ${…}s

    def text(self, source: str) -> str:
        return PLACEHOLDER.join(source[a:b] for a, b in self.pieces)


def string_literals(source: str, begin: int = 0, end: int | None = None) -> list[Literal]:
    """Every string and template literal between begin and end (those inside a template's
    ${…} too); comments and regular expressions are skipped."""
    found: list[Literal] = []
    i, n, last = begin, len(source) if end is None else end, ""
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i, n) if "\n" in source[i:n] else n
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif c == "/" and last in REGEX_BEFORE:
            i += 1
            in_class = False
            while source[i] != "/" or in_class:
                in_class = (in_class or source[i] == "[") and source[i] != "]"
                i += 2 if source[i] == "\\" else 1
            i += 1
            last = "/"
        elif c in "'\"`":
            literal = Literal(source.count("\n", 0, i) + 1, [])
            i += 1
            piece = i
            while source[i] != c:
                if source[i] == "\\":
                    i += 2
                elif c == "`" and source.startswith("${", i):
                    literal.pieces.append((piece, i))
                    depth, j = 1, i + 2
                    while depth:
                        depth += {"{": 1, "}": -1}.get(source[j], 0)
                        j += 1
                    inner = string_literals(source, i + 2, j - 1)
                    found.extend(inner)
                    i = piece = j
                else:
                    i += 1
            literal.pieces.append((piece, i))
            found.append(literal)
            i += 1
            last = "x"
        else:
            if not c.isspace():
                last = c if not (c.isalnum() or c in "_$.)]") else "x"
            i += 1
    return found


def chinese_with_half_width(source: str) -> list[Literal]:
    return [
        literal
        for literal in string_literals(source)
        if HAS_CJK.search(text := literal.text(source)) and BESIDE_CJK.search(text)
    ]


def full_width(text: str) -> str:
    """The text as it should read (for the failure's message)."""
    return BESIDE_CJK.sub(lambda m: FULL_WIDTH[m.group().strip()], text)


def half_width_beside_chinese(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.js")):
        source = path.read_text(encoding="utf-8")
        for literal in chinese_with_half_width(source):
            text = literal.text(source)
            found.append(
                f"{path.relative_to(folder)}:{literal.line}: {text!r} → {full_width(text)!r}"
            )
    return found


def test_the_scanner_finds_half_width_marks_beside_chinese_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text(
        "// 注释,不算\n"
        "const a = `补录,晚 ${lagDays} 天`;\n"
        'const b = "已记录(3 条)", c = /[,:]年/;\n'
        "const d = `${x}:${y}`, e = 'a, b (c)', f = '补录，晚3天';\n"
        "const g = n / 2, h = `${d ? `(自身期限 ${d})` : ''}`;\n",
        encoding="utf-8",
    )
    assert half_width_beside_chinese(tmp_path) == [
        "a.js:2: '补录,晚 \\x00 天' → '补录，晚 \\x00 天'",
        "a.js:3: '已记录(3 条)' → '已记录（3 条）'",
        "a.js:5: '(自身期限 \\x00)' → '（自身期限 \\x00）'",  # inside a template's ${…}
    ]


def test_chinese_text_in_the_web_ui_uses_full_width_punctuation() -> None:
    assert half_width_beside_chinese(WEB_JS) == []
