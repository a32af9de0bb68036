"""The PyBox driver: the Python half of the guest ABI (see guest/ABI.md).

pybox.c calls the functions in the "ABI" section at the bottom. Each answers
with JSON as bytes, or a (json, attachment) tuple of bytes. Heavy modules
(asyncio above all) are imported only when code first needs them, so that
init stays fast.
"""

import builtins
import sys

import _pyboxhost as _host
from time import monotonic as _monotonic

import json as _json

_CO_COROUTINE = 0x80
_CO_ASYNC = 0x80 | 0x100 | 0x200  # coroutine, iterable coroutine, async generator
_PyCF_ONLY_AST = 0x400
_PyCF_ALLOW_TOP_LEVEL_AWAIT = 0x2000
_VALUE_NAME = "__pybox_value__"
_RECURSION_LIMIT = 1000  # CPython's default, restored before every exec

def _not_serialisable(o):
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


# The C encoder and scanner, called directly: json.dumps/loads add layers of
# Python per call that cost more than the encoding itself on the hot path.
_encode = _json.encoder.c_make_encoder(
    None, _not_serialisable, _json.encoder.c_encode_basestring, None, ":", ",", False, False, False
)
_scan = _json.scanner.c_make_scanner(_json.JSONDecoder())


def _dumps(obj):
    return "".join(_encode(obj, 0))


def _loads_fast(data):
    """Decodes the compact JSON the host sends (no surrounding whitespace)."""
    text = data.decode("utf-8", "surrogatepass")
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return _json.loads(text)
    if end != len(text):
        return _json.loads(text)
    return value


_loads = _json.loads

# Box-wide settings, changed by configure().
_settings = {
    "outputLimit": 1 << 20,  # characters of stdout+stderr per exec
    "resultLimit": 1 << 20,  # characters of a result's value JSON / repr
}


def _answer(obj):
    return _dumps(obj).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------
# Errors visible to user code


class ToolError(Exception):
    """A host tool failed with an error that has no Python builtin equivalent."""


class ProtectedNameError(NameError):
    """Raised when code tries to rebind or delete a name the host protected."""


class TimeLimitExceeded(BaseException):
    """Raised by the time limit. A BaseException so `except Exception` does
    not swallow it; the guest re-raises it at every check until the exec ends."""


builtins.ToolError = ToolError
builtins.ProtectedNameError = ProtectedNameError
_host.set_exceptions(TimeLimitExceeded, ProtectedNameError)


def _protected_error(name):
    return ProtectedNameError(
        f"'{name}' is protected in this context: it cannot be rebound or deleted"
    )


# ---------------------------------------------------------------------------
# Contexts

_contexts = {}  # id -> _Context
_next_context_id = 1
_GUARD = _host.GUARD_KEY  # the namespace entry that lists its protected names
_UNSET = ...  # the value of a name protected before it was set


class _Inherit(dict):
    """The builtins of a child context.

    A context's globals stay a plain dict (CPython's fast paths apply). For a
    child, names it lacks are looked up here when used: in the parent chain
    first, then in the real builtins (live inheritance, also inside functions
    defined in the child; writes stay in the child)."""

    __slots__ = ("parent",)

    def __missing__(self, key):
        ctx = self.parent
        while ctx is not None:
            value = ctx.ns.get(key, _UNSET)
            if value is not _UNSET:
                return value
            ctx = ctx.parent
        return _builtins_dict[key]


_builtins_dict = builtins.__dict__


class _Context:
    __slots__ = ("id", "ns", "parent", "protected", "run", "loop")

    def __init__(self, cid, parent):
        self.id = cid
        self.parent = parent
        self.run = None  # the _Run in progress, if the exec is suspended
        self.loop = None
        self.protected = {}  # name -> value, checked by the guest's dict watcher
        self.ns = {"__name__": "__main__", _GUARD: self.protected}
        if parent is None:
            self.ns["__builtins__"] = builtins
        else:
            inherit = _Inherit()
            inherit.parent = parent
            self.ns["__builtins__"] = inherit
        for name, stub in _tools.items():
            self.bind(name, stub, protect=True)
        _host.guard(self.ns)

    def bind(self, name, value, protect=False):
        """The host's binding: allowed for protected names too."""
        self.ns[name] = value
        if protect or name in self.protected:
            self.protected[name] = value

    def lookup(self, name):
        """A name as code in this context sees it (own, then inherited)."""
        ctx = self
        while ctx is not None:
            value = ctx.ns.get(name, _UNSET)
            if value is not _UNSET and name != _GUARD:
                return value
            ctx = ctx.parent
        raise KeyError(name)


# ---------------------------------------------------------------------------
# Output: sys.stdout / sys.stderr write straight to the host, within a cap


class _Output:
    """Per-exec output budget shared by stdout and stderr."""

    left = 0
    truncated = False


_output = _Output()


class _Stream:
    encoding = "utf-8"
    errors = "replace"
    newlines = None
    closed = False

    def __init__(self, fd, name):
        self._fd = fd
        self.name = name

    def write(self, s):
        if type(s) is not str:
            if not isinstance(s, str):
                raise TypeError(f"write() argument must be str, not {type(s).__name__}")
            s = str(s)
        n = len(s)
        out = _output
        if n > out.left:
            if out.truncated:
                return n
            s = s[: max(out.left, 0)] + "\n[output truncated: the exec's output limit was reached]\n"
            out.truncated = True
        out.left -= n
        _host.output(self._fd, s.encode("utf-8", "replace"))
        return n

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False

    def fileno(self):
        import io

        raise io.UnsupportedOperation("fileno")


sys.stdout = sys.__stdout__ = _Stream(1, "<stdout>")
sys.stderr = sys.__stderr__ = _Stream(2, "<stderr>")


# ---------------------------------------------------------------------------
# Compiling user code


def _iter_child_nodes(node):
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if hasattr(item, "_fields"):
                    yield item
        elif hasattr(value, "_fields"):
            yield value


class _CompiledCode:
    __slots__ = ("code", "has_value", "binds", "is_async", "lines")


_code_cache = {}
_CODE_CACHE_SIZE = 256


def _bound_names(tree):
    """Names a module binds or deletes in its global scope, statically."""
    import _ast as A

    names = set()
    scopes = (A.FunctionDef, A.AsyncFunctionDef, A.Lambda, A.ClassDef)

    def visit(node, top):
        if isinstance(node, A.Name):
            if top and not isinstance(node.ctx, A.Load):
                names.add(node.id)
        elif isinstance(node, (A.Import, A.ImportFrom)):
            if top:
                for alias in node.names:
                    if alias.name != "*":
                        names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, A.ExceptHandler):
            if top and node.name:
                names.add(node.name)
        elif isinstance(node, (A.MatchAs, A.MatchStar)):
            if top and node.name:
                names.add(node.name)
        elif isinstance(node, A.MatchMapping):
            if top and node.rest:
                names.add(node.rest)
        elif isinstance(node, A.Global):
            names.update(node.names)  # a global declaration anywhere may rebind
        elif isinstance(node, (A.ListComp, A.SetComp, A.DictComp, A.GeneratorExp)):
            # comprehension targets are local, but a walrus inside binds outside
            for child in _iter_child_nodes(node):
                visit_comprehension(child, top)
            return
        if isinstance(node, scopes):
            if top:
                names.add(node.name) if not isinstance(node, A.Lambda) else None
            for child in _iter_child_nodes(node):
                visit(child, False)
            return
        if isinstance(node, getattr(A, "TypeAlias", ())) and top:
            names.add(node.name.id)
        for child in _iter_child_nodes(node):
            visit(child, top)

    def visit_comprehension(node, top):
        if isinstance(node, A.NamedExpr):
            if top:
                names.add(node.target.id)
            visit(node.value, top)
        elif isinstance(node, A.comprehension):
            visit_comprehension(node.iter, top)
            for cond in node.ifs:
                visit_comprehension(cond, top)
        elif isinstance(node, A.Name):
            return
        else:
            for child in _iter_child_nodes(node):
                visit_comprehension(child, top)

    for stmt in tree.body:
        visit(stmt, True)
    return names


def _rewrite_asyncio_run(tree):
    """`asyncio.run(x)` at module level becomes `await x`: the exec already
    runs in an event loop, and this is how agents usually write async code."""
    import _ast as A

    def is_asyncio_run(node):
        return (
            isinstance(node, A.Call)
            and isinstance(node.func, A.Attribute)
            and node.func.attr == "run"
            and isinstance(node.func.value, A.Name)
            and node.func.value.id == "asyncio"
            and len(node.args) == 1
            and not node.keywords
        )

    def transform(node):
        if isinstance(node, (A.FunctionDef, A.AsyncFunctionDef, A.Lambda, A.ClassDef)):
            return node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if hasattr(item, "_fields"):
                        value[i] = transform(item)
            elif hasattr(value, "_fields"):
                setattr(node, field, transform(value))
        if is_asyncio_run(node):
            new = A.Await(value=node.args[0])
            new.lineno, new.col_offset = node.lineno, node.col_offset
            new.end_lineno, new.end_col_offset = node.end_lineno, node.end_col_offset
            return new
        return node

    transform(tree)


def _compile(source, filename):
    key = (source, filename)
    cached = _code_cache.get(key)
    if cached is not None:
        return cached
    import _ast as A

    tree = compile(source, filename, "exec", _PyCF_ONLY_AST | _PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if "asyncio" in source:
        _rewrite_asyncio_run(tree)
    c = _CompiledCode()
    c.binds = frozenset(_bound_names(tree))
    c.has_value = bool(tree.body) and isinstance(tree.body[-1], A.Expr)
    if c.has_value:
        last = tree.body[-1]
        assign = A.Assign(
            targets=[A.Name(id=_VALUE_NAME, ctx=A.Store())], value=last.value, type_comment=None
        )
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            setattr(assign, attr, getattr(last, attr))
            setattr(assign.targets[0], attr, getattr(last, attr))
        tree.body[-1] = assign
    c.code = compile(tree, filename, "exec", _PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    c.is_async = bool(c.code.co_flags & _CO_COROUTINE)
    c.lines = source.splitlines()
    if len(_code_cache) >= _CODE_CACHE_SIZE:
        _code_cache.pop(next(iter(_code_cache)))
    _code_cache[key] = c
    return c


# ---------------------------------------------------------------------------
# Tracebacks that point into the user's code, not the driver

_sources = {}  # filename -> source lines of its latest exec
_driver_file = _answer.__code__.co_filename  # frames of this module are hidden


def _format_exception(exc):
    parts = []
    seen = set()

    def one(e):
        seen.add(id(e))
        cause = e.__cause__
        context = None if e.__suppress_context__ else e.__context__
        if cause is not None and id(cause) not in seen:
            one(cause)
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif context is not None and id(context) not in seen:
            one(context)
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        frames = []
        tb = e.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename != _driver_file and not code.co_filename.startswith("<tool "):
                frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        if frames:
            parts.append("Traceback (most recent call last):\n")
            for filename, lineno, name in frames:
                parts.append(f'  File "{filename}", line {lineno}, in {name}\n')
                line = _source_line(filename, lineno)
                if line:
                    parts.append(f"    {line}\n")
        if isinstance(e, SyntaxError) and e.lineno:
            parts.append(f'  File "{e.filename}", line {e.lineno}\n')
            text = (e.text or _source_line(e.filename, e.lineno) or "").rstrip("\n")
            if text:
                stripped = text.lstrip()
                parts.append(f"    {stripped}\n")
                if e.offset:
                    caret = max(e.offset - 1 - (len(text) - len(stripped)), 0)
                    width = 1
                    if e.end_offset and e.end_lineno == e.lineno and e.end_offset > e.offset:
                        width = e.end_offset - e.offset
                    parts.append("    " + " " * caret + "^" * width + "\n")
        parts.append(f"{_type_name(e)}: {_message(e)}\n" if _message(e) else f"{_type_name(e)}\n")

    one(exc)
    return "".join(parts)


def _source_line(filename, lineno):
    lines = _sources.get(filename)
    if lines and 0 < lineno <= len(lines):
        return lines[lineno - 1].strip()
    return None


def _type_name(e):
    t = type(e)
    mod = t.__module__
    if mod in ("builtins", "__main__", "_pybox") or mod is None:
        return t.__qualname__
    return f"{mod}.{t.__qualname__}"


def _message(e):
    if isinstance(e, SyntaxError):
        return e.msg or ""
    if isinstance(e, KeyError) and len(e.args) == 1:
        return repr(e.args[0])
    try:
        return str(e)
    except Exception:
        return "<unprintable exception>"


def _error(exc, kind=None):
    return {
        "status": "error",
        "error": {
            "type": kind or _type_name(exc),
            "message": _message(exc),
            "traceback": _format_exception(exc),
        },
    }


def _fail(kind, message):
    return _answer({"status": "error", "error": {"type": kind, "message": message, "traceback": ""}})


# ---------------------------------------------------------------------------
# Values crossing to the host


def _value_fields(value, out):
    """Adds the JSON and repr of a value to `out`, within the result limit."""
    limit = _settings["resultLimit"]
    try:
        text = repr(value)
    except Exception as e:
        text = f"<repr failed: {_type_name(e)}: {_message(e)}>"
    if len(text) > limit:
        text = text[:limit] + "…[truncated]"
        out["truncated"] = True
    out["repr"] = text
    try:
        encoded = _dumps(value)
    except (TypeError, ValueError, RecursionError):
        return None
    if len(encoded) > limit:
        out["truncated"] = True
        return None
    return encoded


def _with_raw_value(answer, encoded):
    """Splices an already-encoded JSON value into an answer."""
    head = _dumps(answer)
    if encoded is None:
        return head.encode("utf-8", "surrogatepass")
    return (head[:-1] + ',"value":' + encoded + "}").encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------
# Tools

_tools = {}  # name -> stub function
_tool_specs = {}  # name -> spec dict


class _Sentinel:
    """Default of a tool parameter: shows as <optional> / <required> in help()."""

    __slots__ = ("label",)

    def __init__(self, label):
        self.label = label

    def __repr__(self):
        return self.label


_MISSING = _Sentinel("<optional>")
_REQUIRED = _Sentinel("<required>")
_PY_TYPES = {
    "string": "str", "integer": "int", "number": "float", "boolean": "bool",
    "array": "list", "object": "dict", "null": "None",
}
_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield".split()
)


def _make_stub(spec):
    name = spec["name"]
    params = spec.get("parameters") or {}
    props = params.get("properties") or {}
    required = set(params.get("required") or [])
    arg_names = [p for p in props if p.isidentifier() and p not in _KEYWORDS and not p.startswith("_")]
    sig = []
    seen_default = False
    for p in arg_names:
        if p in required and not seen_default:
            sig.append(p)
        else:
            seen_default = True
            sig.append(f"{p}=_REQUIRED" if p in required else f"{p}=_MISSING")
    extra = len(arg_names) != len(props) or params.get("additionalProperties") is True
    if extra:
        sig.append("**_extra")
    collect = ", ".join(f"({p!r}, {p})" for p in arg_names)
    src = (
        f"def {name}({', '.join(sig)}):\n"
        f"    args = {{k: v for k, v in ({collect}{',' if len(arg_names) == 1 else ''}) if v is not _MISSING}}\n"
        + ("    args.update(_extra)\n" if extra else "")
        + f"    return _call_tool({name!r}, args)\n"
    )
    scope = {"_MISSING": _MISSING, "_REQUIRED": _REQUIRED, "_call_tool": _call_tool}
    exec(compile(src, f"<tool {name}>", "exec"), scope)
    stub = scope[name]
    stub.__doc__ = _tool_doc(spec, props, required)
    stub.__module__ = "tools"
    stub.__qualname__ = name
    return stub


def _tool_doc(spec, props, required):
    lines = [spec.get("description") or f"The host tool {spec['name']}."]
    if props:
        lines += ["", "Args:"]
        for p, schema in props.items():
            schema = schema if isinstance(schema, dict) else {}
            t = schema.get("type")
            t = " | ".join(_PY_TYPES.get(x, x) for x in t) if isinstance(t, list) else _PY_TYPES.get(t, t or "any")
            opt = "" if p in required else ", optional"
            desc = schema.get("description", "")
            lines.append(f"    {p} ({t}{opt}): {desc}".rstrip().rstrip(":"))
    lines += ["", "Returns the tool's result (JSON: dict, list, str, number, bool or None).",
              "Await it in async code: `result = await " + spec["name"] + "(...)`."]
    return "\n".join(lines)


def _raise_tool_error(tool, err):
    name = err.get("name") or "ToolError"
    message = err.get("message") or f"tool {tool} failed"
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or cls in (SystemExit,):
        cls = ToolError
    if cls is KeyError:
        raise KeyError(message)
    exc = cls(message)
    exc.tool = tool
    raise exc


_JSON_TYPES = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list, tuple), "object": (dict,), "null": (type(None),),
}


def _arg_types(spec):
    """{parameter: (accepted Python types, schema type names)} from a tool's schema."""
    out = {}
    props = (spec.get("parameters") or {}).get("properties") or {}
    for prop, schema in props.items():
        t = schema.get("type") if isinstance(schema, dict) else None
        names = [t] if isinstance(t, str) else t if isinstance(t, list) else []
        if names and all(n in _JSON_TYPES for n in names):
            out[prop] = (tuple(x for n in names for x in _JSON_TYPES[n]), names)
    return out


def _has_required_default(stub):
    return any(d is _REQUIRED for d in (stub.__defaults__ or ()))


def _check_args(name, args, types):
    for key, value in args.items():
        if value is _REQUIRED:
            raise TypeError(f"{name}() missing required argument: '{key}'")
        expected = types.get(key)
        if expected is None:
            continue
        ok = isinstance(value, expected[0])
        if ok and type(value) is bool and "boolean" not in expected[1]:
            ok = False  # JSON Schema integers and numbers are not booleans
        if not ok:
            raise TypeError(
                f"{name}(): argument '{key}' must be {' or '.join(expected[1])}, not {type(value).__name__}"
            )


def _call_tool(name, args):
    spec = _tool_specs[name]
    if spec["check"]:
        _check_args(name, args, spec["types"])
    frame = sys._getframe(2)
    in_async = bool(frame.f_code.co_flags & _CO_ASYNC)
    if spec.get("sync"):
        try:
            request = _dumps({"tool": name, "args": args})
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}(): arguments must be JSON-serialisable ({e})") from None
        response = _host.call_tool(request.encode("utf-8", "surrogatepass"))
        if response is not None:
            reply = _loads_fast(response)
            if "pending" in reply:
                # The handler answered with a promise: the host keeps it
                # under this id, and Python must await the call.
                run = _active_run
                if run is None or not in_async:
                    raise RuntimeError(
                        f"{name}() returned a promise: write `await {name}(...)`"
                    )
                return _await_call(run.adopt_call(reply["pending"], name, args))
            if reply.get("ok"):
                value = reply.get("value")
                return _ready(value) if in_async else value
            if in_async:
                return _ready_error(name, reply.get("error") or {})
            _raise_tool_error(name, reply.get("error") or {})
    run = _active_run
    if run is None or (not in_async and run.loop is None):
        raise RuntimeError(
            f"{name}() is asynchronous here: write `await {name}(...)` "
            "(top-level await works; use asyncio.gather to run calls concurrently)"
        )
    return _await_call(run.new_call(name, args))


# In async code a tool call is a coroutine, like any `async def` would give:
# it works with await, gather, create_task and TaskGroup alike.
async def _await_call(call):
    return await call


async def _ready(value):
    return value


async def _ready_error(name, err):
    _raise_tool_error(name, err)


# ---------------------------------------------------------------------------
# The event loop: asyncio without threads, sockets or blocking. When nothing
# is ready, the exec suspends and hands pending tool calls (and the time of
# the next timer) to the host; resume() feeds results back in.

_asyncio_ready = False
_Loop = None
_ToolCall = None
_events = None


class _Suspend(BaseException):
    def __init__(self, timeout):
        self.timeout = timeout


def _asyncio():
    """Imports asyncio and defines the loop classes, once."""
    global _asyncio_ready, _Loop, _ToolCall, _events
    if _asyncio_ready:
        return
    import asyncio
    import asyncio.base_events as base_events
    import time

    class Selector:
        def __init__(self, loop):
            self.loop = loop

        def select(self, timeout):
            if timeout == 0:
                return []
            if self.loop._pybox_stepping:
                raise _Suspend(timeout)
            # A loop run synchronously (asyncio.run inside a plain function):
            # only timers can make progress.
            if timeout is None:
                raise RuntimeError(
                    "this event loop is waiting on a tool call that cannot complete inside "
                    "asyncio.run() called from a function: await the coroutine at top level instead"
                )
            time.sleep(timeout)
            return []

        def close(self):
            pass

    class Loop(base_events.BaseEventLoop):
        _pybox_stepping = False

        def __init__(self):
            super().__init__()
            self._selector = Selector(self)

        def _process_events(self, event_list):
            pass

        def _write_to_self(self):
            pass

        def _make_self_pipe(self):
            pass

        def close(self):
            super().close()

    class ToolCall(asyncio.Future):
        """A pending call of a host tool: an asyncio Future the host completes."""

        __slots__ = ("_pybox_id", "_pybox_tool")

        def __repr__(self):
            state = "pending" if not self.done() else "done"
            return f"<tool call {self._pybox_tool}() {state}: use await>"

    class Policy(asyncio.DefaultEventLoopPolicy):
        _loop_factory = Loop

    asyncio.set_event_loop_policy(Policy())
    _Loop, _ToolCall = Loop, ToolCall
    _events = asyncio.events
    _asyncio_ready = True


_active_run = None  # the _Run whose code is executing right now
_next_call_id = 1


class _Run:
    """One exec in progress: the coroutine, its loop and its tool calls."""

    __slots__ = ("ctx", "compiled", "coro", "waiting", "task", "loop", "calls", "unsent",
                 "time_ms", "memory")

    def __init__(self, ctx, compiled, coro, loop):
        self.ctx = ctx
        self.compiled = compiled
        self.coro = coro
        self.waiting = None  # fast path: the ToolCall the coroutine waits on
        self.task = None  # loop mode: the Task driving the coroutine
        self.loop = loop
        self.calls = {}  # id -> (ToolCall, tool, args) not yet answered
        self.unsent = []  # ids of calls not yet handed to the host
        self.time_ms = 0.0
        self.memory = 0

    def adopt_call(self, cid, name, args):
        """A call the host already started (a sync handler that went async)."""
        call = _ToolCall(loop=self.loop)
        call._pybox_id = cid
        call._pybox_tool = name
        self.calls[cid] = (call, name, args)
        return call

    def new_call(self, name, args):
        global _next_call_id
        call = _ToolCall(loop=self.loop)
        call._pybox_id = cid = _next_call_id
        call._pybox_tool = name
        _next_call_id += 1
        self.calls[cid] = (call, name, args)
        self.unsent.append(cid)
        return call


async def _adopt(coro, fut):
    """Continues, inside a Task, a coroutine the driver stepped by hand, once
    it awaits something other than a tool call (gather, sleep, a task...).
    Each future the coroutine yields is awaited here on its behalf."""
    while True:
        if fut is None:
            await _YieldOnce()  # a bare `yield` (asyncio.sleep(0))
        else:
            fut._asyncio_future_blocking = False  # the coroutine's own await set it
            try:
                await fut
            except BaseException:
                pass  # the coroutine sees the outcome itself, through fut.result()
        try:
            fut = coro.send(None)
        except StopIteration as stop:
            return stop.value


class _YieldOnce:
    __slots__ = ()

    def __await__(self):
        yield



def _step(run):
    """Runs the exec until it finishes or must wait for the host.

    Limits are armed only while user code (or the event loop running it)
    executes: `_host.pause()` is the first call after control comes back."""
    events = _events
    loop = run.loop
    while run.task is None:
        # Fast path: step the coroutine by hand while it awaits tool calls.
        waiting = run.waiting
        if waiting is not None and not waiting.done():
            return _suspended(run, None)
        run.waiting = None
        events._set_running_loop(loop)
        _host.arm(run.time_ms, run.memory)
        try:
            yielded = run.coro.send(None)
        except StopIteration:
            run.time_ms = _host.pause()
            events._set_running_loop(None)
            return _finished(run, None)
        except BaseException as e:
            run.time_ms = _host.pause()
            events._set_running_loop(None)
            return _finished(run, e)
        run.time_ms = _host.pause()
        events._set_running_loop(None)
        if type(yielded) is _ToolCall:
            run.waiting = yielded
        else:
            run.task = loop.create_task(_adopt(run.coro, yielded))
            run.task.add_done_callback(_stop_loop)
    loop._pybox_stepping = True
    _host.arm(run.time_ms, run.memory)
    try:
        loop.run_forever()
    except _Suspend as s:
        run.time_ms = _host.pause()
        loop._pybox_stepping = False
        return _suspended(run, s.timeout)
    except BaseException as e:
        run.time_ms = _host.pause()
        loop._pybox_stepping = False
        return _finished(run, e)
    run.time_ms = _host.pause()
    loop._pybox_stepping = False
    if not run.task.done():
        return _suspended(run, None)
    try:
        run.task.result()
    except BaseException as e:
        return _finished(run, e)
    return _finished(run, None)


def _stop_loop(task):
    task.get_loop().stop()


def _suspended(run, timeout):
    unsent = run.unsent
    if timeout is None and len(unsent) == 1 and unsent[0] in run.calls:
        # The common case (`await tool(...)` in a loop): one request, encoded directly.
        cid = unsent[0]
        run.unsent = []
        _call, tool, args = run.calls[cid]
        try:
            encoded = _dumps(args)
        except (TypeError, ValueError) as e:
            return _finished(run, TypeError(f"tool arguments must be JSON-serialisable ({e})"))
        return f'{{"status":"suspended","requests":[{{"id":{cid},"tool":"{tool}","args":{encoded}}}]}}'.encode(
            "utf-8", "surrogatepass"
        )
    requests = []
    for cid in run.unsent:
        entry = run.calls.get(cid)
        if entry is not None:
            requests.append({"id": cid, "tool": entry[1], "args": entry[2]})
    run.unsent = []
    if not requests and not run.calls and timeout is None:
        return _finished(run, RuntimeError("deadlock: the code awaits something that can never complete"))
    answer = {"status": "suspended", "requests": requests}
    if timeout is not None:
        answer["wakeAfterMs"] = timeout * 1000.0
    try:
        return _answer(answer)
    except (TypeError, ValueError) as e:
        return _finished(run, TypeError(f"tool arguments must be JSON-serialisable ({e})"))


def _finished(run, exc):
    ctx = run.ctx
    cancel_run(ctx)
    if exc is not None:
        _host.take_violation()
        dict.pop(ctx.ns, _VALUE_NAME, None)
        return _answer(_error(exc))
    return _result_ok(ctx, run.compiled)


def _result_ok(ctx, compiled):
    changed = _host.take_violation()  # a protected name changed after the last check
    if changed is not None:
        dict.pop(ctx.ns, _VALUE_NAME, None)
        return _answer(_error(_protected_error(changed)))
    answer = {"status": "ok"}
    if compiled.has_value:
        value = dict.pop(ctx.ns, _VALUE_NAME, None)
        if value is not None:
            return _with_raw_value(answer, _value_fields(value, answer))
    return _answer(answer)


def _limits(opts):
    """(time_ms, memory_bytes) from exec options: `deadline` is on the host's
    monotonic clock, which is also ours (WASI's CLOCK_MONOTONIC)."""
    deadline = opts.get("deadline") or 0
    time_ms = max(deadline - _monotonic() * 1000.0, 0.001) if deadline else float(opts.get("timeMs") or 0)
    return time_ms, int(opts.get("memoryBytes") or 0)


def _begin_output():
    _output.left = _settings["outputLimit"]
    _output.truncated = False


# ---------------------------------------------------------------------------
# ABI: called from pybox.c


def _exit(status=0):
    """os._exit would end the WASI instance from under the host: raise instead."""
    raise SystemExit(status)


def init():
    # User code must not reach the driver or the host bridge through import.
    sys.modules.pop("_pybox", None)
    sys.modules.pop("_pyboxhost", None)
    import posix

    posix._exit = _exit
    return _answer({"status": "ok", "python": sys.version.split()[0], "abi": 1})


def configure(data):
    opts = _loads(data) if data else {}
    for key in ("outputLimit", "resultLimit"):
        if key in opts:
            _settings[key] = max(int(opts[key]), 0)
    return _answer({"status": "ok"})


def context_create(parent_id):
    global _next_context_id
    parent = None
    if parent_id:
        parent = _contexts.get(parent_id)
        if parent is None:
            return _fail("UnknownContext", f"no context {parent_id}")
    ctx = _Context(_next_context_id, parent)
    _contexts[ctx.id] = ctx
    _next_context_id += 1
    return _answer({"status": "ok", "id": ctx.id})


def context_delete(cid):
    ctx = _contexts.pop(cid, None)
    if ctx is None:
        return _fail("UnknownContext", f"no context {cid}")
    if ctx.run is not None:
        cancel_run(ctx)
    if ctx.loop is not None:
        ctx.loop.close()
    ctx.ns.clear()
    return _answer({"status": "ok"})


def exec_(cid, code, opts):
    global _active_run
    ctx = _contexts.get(cid)
    if ctx is None:
        return _fail("UnknownContext", f"no context {cid}")
    if ctx.run is not None:
        return _fail("ContextBusy", f"context {cid} is running an exec that has not finished")
    opts = _loads_fast(opts) if opts else {}
    filename = opts.get("filename") or "<exec>"
    time_ms, memory = _limits(opts)
    _begin_output()
    source = code.decode("utf-8", "replace")
    try:
        compiled = _compile(source, filename)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as e:
        _sources[filename] = source.splitlines()
        return _answer(_error(e))
    _sources[filename] = compiled.lines
    clash = compiled.binds & (ctx.protected.keys() | {_GUARD})
    if clash:
        return _answer(_error(_protected_error(sorted(clash)[0])))
    # sys.setrecursionlimit is interpreter-wide: one exec's raised limit must not
    # outlive it (past the default, deep recursion can overflow the host's stack).
    sys.setrecursionlimit(_RECURSION_LIMIT)
    previous = _active_run
    if not compiled.is_async:
        _active_run = None
        _host.arm(time_ms, memory)
        try:
            exec(compiled.code, ctx.ns)
        except BaseException as e:
            _host.pause()
            _host.take_violation()  # the protected values are back either way
            _active_run = previous
            return _answer(_error(e))
        _host.pause()
        _active_run = previous
        return _result_ok(ctx, compiled)
    _asyncio()
    if ctx.loop is None:
        ctx.loop = _Loop()
    run = _Run(ctx, compiled, eval(compiled.code, ctx.ns), ctx.loop)
    run.time_ms, run.memory = time_ms, memory
    ctx.run = run
    _active_run = run
    try:
        return _step(run)
    finally:
        _active_run = previous


def resume(cid, data):
    global _active_run
    ctx = _contexts.get(cid)
    if ctx is None:
        return _fail("UnknownContext", f"no context {cid}")
    run = ctx.run
    if run is None:
        return _fail("NotSuspended", f"context {cid} has no suspended exec to resume")
    opts = _loads_fast(data) if data else {}
    for item in opts.get("results") or ():
        entry = run.calls.pop(item.get("id"), None)
        if entry is None or entry[0].done():
            continue
        if item.get("ok"):
            entry[0].set_result(item.get("value"))
        else:
            try:
                _raise_tool_error(entry[1], item.get("error") or {})
            except Exception as e:
                entry[0].set_exception(e)
    if "deadline" in opts or "timeMs" in opts:
        run.time_ms = _limits(opts)[0]
    _begin_output()
    previous = _active_run
    _active_run = run
    try:
        return _step(run)
    finally:
        _active_run = previous


def cancel_run(ctx):
    """Ends the context's exec: its task, its pending tool calls, its coroutine."""
    run = ctx.run
    if run is None:
        return
    ctx.run = None
    if run.task is not None and not run.task.done():
        run.task.cancel()
    for call, _n, _a in run.calls.values():
        call.cancel()
    try:
        run.coro.close()
    except BaseException:
        pass


def cancel(cid):
    ctx = _contexts.get(cid)
    if ctx is None:
        return _fail("UnknownContext", f"no context {cid}")
    if ctx.run is not None:
        cancel_run(ctx)
    return _answer({"status": "ok"})


def _name_arg(cid, name):
    ctx = _contexts.get(cid)
    if ctx is None:
        return None, None, _fail("UnknownContext", f"no context {cid}")
    name = name.decode("utf-8", "replace")
    if not name.isidentifier() or name.startswith("__pybox"):
        return None, None, _fail("ValueError", f"{name!r} is not a valid Python identifier for a value")
    return ctx, name, None


def set_json(cid, name, data):
    ctx, name, err = _name_arg(cid, name)
    if err:
        return err
    try:
        value = _loads(data)
    except ValueError as e:
        return _fail("ValueError", f"invalid JSON for {name}: {e}")
    ctx.bind(name, value)
    return _answer({"status": "ok"})


def set_bytes(cid, name, data):
    ctx, name, err = _name_arg(cid, name)
    if err:
        return err
    ctx.bind(name, bytes(data))
    return _answer({"status": "ok"})


def get(cid, name):
    ctx, name, err = _name_arg(cid, name)
    if err:
        return err
    try:
        value = ctx.lookup(name)
    except KeyError:
        return _fail("NameError", f"name '{name}' is not defined")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _answer({"status": "ok", "bytes": True}), bytes(value)
    answer = {"status": "ok"}
    encoded = _value_fields(value, answer)
    if encoded is None:
        answer["jsonError"] = f"a {type(value).__name__} is not JSON-serialisable"
    return _with_raw_value(answer, encoded)


def protect(cid, name):
    ctx, name, err = _name_arg(cid, name)
    if err:
        return err
    ctx.protected[name] = ctx.ns.get(name, _UNSET)
    return _answer({"status": "ok"})


def names(cid):
    ctx = _contexts.get(cid)
    if ctx is None:
        return _fail("UnknownContext", f"no context {cid}")
    own = [k for k in ctx.ns if isinstance(k, str) and not k.startswith("__") and k not in _tools]
    return _answer({"status": "ok", "names": own, "protected": sorted(ctx.protected)})


def define_tools(data):
    specs = _loads(data)
    made = {}
    for spec in specs:
        name = spec.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name in _KEYWORDS:
            return _fail("ValueError", f"tool name {name!r} is not a valid Python identifier")
        try:
            made[name] = _make_stub(spec)
        except SyntaxError as e:
            return _fail("ValueError", f"tool {name}: cannot build its signature ({e.msg})")
    for name, stub in made.items():
        _tools[name] = stub
        spec = next(s for s in specs if s["name"] == name)
        types = _arg_types(spec)
        # Arguments need checking when the schema types them or a required one may be left out.
        check = bool(types) or _has_required_default(made[name])
        _tool_specs[name] = {"name": name, "sync": bool(spec.get("sync")), "types": types, "check": check}
        for ctx in _contexts.values():
            ctx.bind(name, stub, protect=True)
    return _answer({"status": "ok", "tools": sorted(made)})


def reseed(seed):
    """Gives a restored snapshot its own random state."""
    mod = sys.modules.get("random")
    if mod is not None:
        mod.seed(int.from_bytes(seed, "little") if seed else None)
    return _answer({"status": "ok"})
