"""Compiling user code: top-level await, the trailing expression's value, `asyncio.run(x)`
at module level, and the static check that code does not bind a protected name."""

import _ast as A

from _pybox.errors import protected_error

_PyCF_ONLY_AST = 0x400
_PyCF_ALLOW_TOP_LEVEL_AWAIT = 0x2000
_CO_COROUTINE = 0x80
VALUE_NAME = "__pybox_value__"

# Captured at import: the classes are frozen by C right after, and the driver never looks
# them up again by name.
_Name, _Load, _Store, _Expr, _Assign, _Await, _Call, _Attribute = (
    A.Name, A.Load, A.Store, A.Expr, A.Assign, A.Await, A.Call, A.Attribute)
_Import, _ImportFrom, _ExceptHandler, _Global = A.Import, A.ImportFrom, A.ExceptHandler, A.Global
_MatchAs, _MatchStar, _MatchMapping, _NamedExpr = A.MatchAs, A.MatchStar, A.MatchMapping, A.NamedExpr
_Comprehensions = (A.ListComp, A.SetComp, A.DictComp, A.GeneratorExp)
_comprehension = A.comprehension
_Scopes = (A.FunctionDef, A.AsyncFunctionDef, A.Lambda, A.ClassDef)
_Lambda = A.Lambda
_TypeAlias = getattr(A, "TypeAlias", ())
_compile = compile

_cache = {}  # (source, filename) -> (code, is_async, has_value, lines, bound names)
_CACHE_SIZE = 256


def _children(node):
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            for item in value:
                if hasattr(item, "_fields"):
                    yield item
        elif hasattr(value, "_fields"):
            yield value


def _bound_names(tree):
    """Names a module binds or deletes in its global scope, statically."""
    names = set()

    def visit(node, top):
        if isinstance(node, _Name):
            if top and not isinstance(node.ctx, _Load):
                names.add(node.id)
        elif isinstance(node, (_Import, _ImportFrom)):
            if top:
                for alias in node.names:
                    if alias.name != "*":
                        names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, _ExceptHandler):
            if top and node.name:
                names.add(node.name)
        elif isinstance(node, (_MatchAs, _MatchStar)):
            if top and node.name:
                names.add(node.name)
        elif isinstance(node, _MatchMapping):
            if top and node.rest:
                names.add(node.rest)
        elif isinstance(node, _Global):
            names.update(node.names)  # a global declaration anywhere may rebind
        elif isinstance(node, _Comprehensions):
            # comprehension targets are local, but a walrus inside binds outside
            for child in _children(node):
                visit_comprehension(child, top)
            return
        if isinstance(node, _Scopes):
            if top and not isinstance(node, _Lambda):
                names.add(node.name)
            for child in _children(node):
                visit(child, False)
            return
        if _TypeAlias and isinstance(node, _TypeAlias) and top:
            names.add(node.name.id)
        for child in _children(node):
            visit(child, top)

    def visit_comprehension(node, top):
        if isinstance(node, _NamedExpr):
            if top:
                names.add(node.target.id)
            visit(node.value, top)
        elif isinstance(node, _comprehension):
            visit_comprehension(node.iter, top)
            for cond in node.ifs:
                visit_comprehension(cond, top)
        elif isinstance(node, _Name):
            return
        else:
            for child in _children(node):
                visit_comprehension(child, top)

    for stmt in tree.body:
        visit(stmt, True)
    return names


def _is_asyncio_run(node):
    return (
        isinstance(node, _Call)
        and isinstance(node.func, _Attribute)
        and node.func.attr == "run"
        and isinstance(node.func.value, _Name)
        and node.func.value.id == "asyncio"
        and len(node.args) == 1
        and not node.keywords
    )


def _rewrite_asyncio_run(node):
    """`asyncio.run(x)` outside functions becomes `await x`: the exec already runs in an
    event loop, and this is how agents usually write async code."""
    if isinstance(node, _Scopes):
        return node
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is list:
            for i, item in enumerate(value):
                if hasattr(item, "_fields"):
                    value[i] = _rewrite_asyncio_run(item)
        elif hasattr(value, "_fields"):
            setattr(node, field, _rewrite_asyncio_run(value))
    if _is_asyncio_run(node):
        new = _Await(value=node.args[0])
        new.lineno, new.col_offset = node.lineno, node.col_offset
        new.end_lineno, new.end_col_offset = node.end_lineno, node.end_col_offset
        return new
    return node


def _build(source, filename):
    tree = _compile(source, filename, "exec", _PyCF_ONLY_AST | _PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if "asyncio" in source:
        _rewrite_asyncio_run(tree)
    bound = frozenset(_bound_names(tree))
    has_value = bool(tree.body) and isinstance(tree.body[-1], _Expr)
    if has_value:
        last = tree.body[-1]
        assign = _Assign(targets=[_Name(id=VALUE_NAME, ctx=_Store())], value=last.value, type_comment=None)
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            setattr(assign, attr, getattr(last, attr))
            setattr(assign.targets[0], attr, getattr(last, attr))
        tree.body[-1] = assign
    code = _compile(tree, filename, "exec", _PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    is_async = bool(code.co_flags & _CO_COROUTINE)
    return code, is_async, has_value, source.splitlines(), bound


def compile_source(source, filename, protected):
    """(code, is_async, has_value, lines) for C to run; raises SyntaxError & co., or
    ProtectedNameError when the code binds one of `protected` (a tuple of names)."""
    key = (source, filename)
    built = _cache.get(key)
    if built is None:
        built = _build(source, filename)
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = built
    code, is_async, has_value, lines, bound = built
    clash = bound.intersection(protected)
    if clash:
        raise protected_error(sorted(clash)[0])
    return code, is_async, has_value, lines
