"""No SQL in src/sansan is assembled by formatting values (or anything else) into a string.

Statements are SQLAlchemy Core expressions with bound parameters; what Core cannot say is
a literal ``text``/``DDL`` (quoted by the dialect) or psycopg's ``sql.SQL`` composed with
``sql.Identifier``/``sql.Literal``. The check reads the source with ``ast``: every call of
``.execute``/``.executemany``/``text``/``SQL``/``DDL`` whose statement is an f-string, a
``%``-formatted or ``.format``-ted string, a ``.join`` or a concatenation with anything but
a literal — directly, or through a variable, a loop over a collection or a function of the
same module that gives one — is named by file and line.
"""

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sansan"
SQL_CALLS = frozenset({"execute", "executemany", "text", "SQL", "DDL"})

# Modules the other read-model helpers of issue 17 are still converting (the projector's,
# the standings', the import's, and the cursor's string path they use meanwhile). This list
# only shrinks: it must be empty before issue 17 closes.
NOT_YET_CONVERTED = frozenset({
})  # fmt: skip


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


class _Module:
    """One module's assignments and functions, to follow a statement to where it was made."""

    def __init__(self, tree: ast.Module) -> None:
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.calls: dict[str, list[ast.Call]] = {}  # by the called function's name
        self.parents: dict[ast.AST, ast.AST] = {}
        self._bound: dict[ast.AST, dict[str, list[ast.expr]]] = {}
        for node in ast.walk(tree):  # one pass: the modules are walked on every run
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.Call) and (called := _name(node.func)) is not None:
                self.calls.setdefault(called, []).append(node)
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def scopes(self, node: ast.AST) -> Iterator[ast.AST]:
        """The functions around ``node``, innermost first, then the module."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
                yield node

    def values_of(self, name: ast.Name) -> list[ast.expr]:
        """What the name is given in its scopes: assignments, loops' collections, and the
        arguments of calls when it is a function's parameter."""
        for scope in self.scopes(name):
            found = self._bindings(scope).get(name.id, [])
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                found = found + self._arguments_for(scope, name.id)
            if found:
                return found
        return []

    def _bindings(self, scope: ast.AST) -> dict[str, list[ast.expr]]:
        if scope in self._bound:
            return self._bound[scope]
        bound: dict[str, list[ast.expr]] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                pairs = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                pairs = [(node.target, node.value)]
            elif isinstance(node, ast.AugAssign):  # s += x concatenates
                pairs = [(node.target, node.value)]
                pairs.append((node.target, ast.BinOp(node.target, node.op, node.value)))
            elif isinstance(node, ast.For | ast.comprehension):
                pairs = [(node.target, node.iter)]
            else:
                continue
            for target, value in pairs:
                for named in ast.walk(target):
                    if isinstance(named, ast.Name):
                        bound.setdefault(named.id, []).append(value)
        self._bound[scope] = bound
        return bound

    def _arguments_for(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
    ) -> list[ast.expr]:
        """What the module's calls of ``function`` pass as its parameter ``name``: a statement
        formatted by a caller and run by a helper is the caller's."""
        parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if name not in parameters and name not in (a.arg for a in function.args.kwonlyargs):
            return []
        position = parameters.index(name) if name in parameters else None
        if position is not None and parameters[:1] in (["self"], ["cls"]):
            position -= 1  # called as a method: the instance is not among the arguments
        found: list[ast.expr] = []
        for call in self.calls.get(function.name, []):
            found += [k.value for k in call.keywords if k.arg == name]
            if position is not None and position < len(call.args):
                found.append(call.args[position])
        return found

    def formatted(self, node: ast.AST | None, seen: frozenset[int] = frozenset()) -> bool:
        """Whether ``node`` is (or can be) SQL text that was built by formatting."""
        if node is None or id(node) in seen:
            return False
        seen = seen | {id(node)}
        match node:
            case ast.JoinedStr(values=values):
                return any(isinstance(v, ast.FormattedValue) for v in values)
            case ast.BinOp(op=ast.Mod(), left=left):
                return self._is_text(left, seen) or self.formatted(left, seen)
            case ast.BinOp(op=ast.Add(), left=left, right=right) if _collection(
                left
            ) or _collection(right):  # lists of statements put together
                return self.formatted(left, seen) or self.formatted(right, seen)
            case ast.BinOp(op=ast.Add(), left=left, right=right):
                return not (self._literal(left, seen) and self._literal(right, seen))
            case ast.Call(func=ast.Attribute(attr="format", value=receiver)):
                # psycopg's sql.SQL(...).format quotes what it is given; a str's format does not
                return not (isinstance(receiver, ast.Call) and _name(receiver.func) == "SQL")
            case ast.Call(func=ast.Attribute(attr="join", value=receiver)):
                return self._is_text(receiver, seen)
            case ast.Call(func=ast.Name(id=called)) if called in self.functions:
                returns = ast.walk(self.functions[called])
                return any(
                    self.formatted(r.value, seen) for r in returns if isinstance(r, ast.Return)
                )
            case ast.Name():
                return any(self.formatted(v, seen) for v in self.values_of(node))
            case ast.IfExp(body=body, orelse=orelse):
                return self.formatted(body, seen) or self.formatted(orelse, seen)
            case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
                return any(self.formatted(e, seen) for e in elts)
            case ast.ListComp(elt=elt) | ast.GeneratorExp(elt=elt) | ast.SetComp(elt=elt):
                return self.formatted(elt, seen)
            case ast.Starred(value=value) | ast.Subscript(value=value):
                return self.formatted(value, seen)
        return False

    def _literal(self, node: ast.expr, seen: frozenset[int]) -> bool:
        """A string written out in full: a literal, or a name only ever given literals."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._literal(node.left, seen) and self._literal(node.right, seen)
        if isinstance(node, ast.Name):
            values = self.values_of(node)
            return bool(values) and all(self._literal(v, seen) for v in values)
        return False

    def _is_text(self, node: ast.expr, seen: frozenset[int]) -> bool:
        if isinstance(node, ast.Constant | ast.JoinedStr):
            return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
        if isinstance(node, ast.Name):
            return any(self._is_text(v, seen) for v in self.values_of(node))
        return False


def _collection(node: ast.expr) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.ListComp | ast.GeneratorExp)


def formatted_sql(source: str) -> list[int]:
    """The lines of ``source`` where a SQL call is given formatted text."""
    module = _Module(ast.parse(source))
    return sorted(
        call.lineno
        for name in SQL_CALLS
        for call in module.calls.get(name, [])
        if call.args and module.formatted(call.args[0])
    )


@cache
def _offences() -> dict[str, list[int]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        lines = formatted_sql(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(SRC).as_posix()] = lines
    return found


def test_no_sql_in_src_is_formatted_outside_the_modules_still_being_converted() -> None:
    offences = {
        f"src/sansan/{file}:{line}"
        for file, lines in _offences().items()
        if file not in NOT_YET_CONVERTED
        for line in lines
    }
    assert not offences, f"SQL built by formatting: {sorted(offences)}"


def test_the_list_of_modules_still_being_converted_only_shrinks() -> None:
    """A converted module leaves the list, so that it cannot slip back."""
    still = NOT_YET_CONVERTED & set(_offences())
    assert sorted(NOT_YET_CONVERTED - still) == [], "remove converted modules from the list"


def _lines(source: str) -> list[int]:
    return formatted_sql(source.strip() + "\n")


def test_each_way_of_formatting_sql_is_found() -> None:
    # the statement's line is named; each snippet formats in one way of its own
    assert _lines('c.execute(f"SELECT * FROM t WHERE id = {x}")') == [1]
    assert _lines('c.execute("SELECT * FROM t WHERE id = %s" % x)') == [1]
    assert _lines('c.execute("SELECT * FROM {}".format(name), ())') == [1]
    assert _lines('c.executemany("SELECT * FROM " + name, rows)') == [1]
    assert _lines('text(f"SELECT {column} FROM t")') == [1]
    assert _lines('c.execute(" AND ".join(clauses))') == [1]
    assert _lines('q = "SELECT 1"\nq += f" LIMIT {n}"\nc.execute(q)') == [3]
    assert _lines('s = f"DROP {t}"\nc.execute(s)') == [2]
    assert _lines('for s in (f"A {x}", "B"):\n    c.execute(s)') == [2]
    assert _lines(
        'def ddl(t):\n    return [f"CREATE TRIGGER x ON {t}"]\nfor s in ddl(t):\n    c.execute(s)'
    ) == [4]
    assert _lines('def run(c):\n    q = "SELECT " + col\n    c.execute(q, ())') == [3]
    # a helper runs what its callers formatted
    assert _lines(
        "class C:\n    def rows(self, statement):\n        return self.c.execute(statement)\n"
        'C().rows(f"SELECT {x}")'
    ) == [3]


def test_statements_that_bind_or_quote_their_values_pass() -> None:
    assert _lines("c.execute(select(t.c.id).where(t.c.id == x))") == []
    assert _lines('c.execute("SELECT pg_try_advisory_lock(%s)", (key,))') == []
    assert _lines('c.execute(sql.SQL("GRANT ALL ON {} TO {}").format(table, who))') == []
    assert _lines('PREFIX = "SELECT "\nc.execute(PREFIX + "1")') == []
    assert _lines('c.execute("SELECT " "1")') == []
    assert _lines("app.execute(command, actor=ACTOR)") == []
    assert _lines("c.execute(statements[0])\nstatements = [sql.SQL('X {}').format(t)]") == []
    assert _lines("def run(c, s):\n    c.execute(s)\nrun(c, select(t))") == []
