"""The native-CPython side of `pnpm bench` (driven by run.mjs over stdin/stdout).

Reads one JSON command per line on stdin and answers with one `{"done": ...}` line.
While a host-call workload runs, it also writes `{"call": tool, "id": k, "arg": i}`
lines and reads `{"id": k, "value": v}` answers: the host's tools, reached over stdio.
Each run gets a fresh namespace; the value of the trailing expression is the result.
"""
import ast
import asyncio
import itertools
import json
import os
import signal
import sys
import time

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


class Lines:
    """A line reader over fd 0 that both the blocking and the asyncio paths share."""

    def __init__(self):
        self.buf = b""

    def readline(self):
        while b"\n" not in self.buf:
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(0)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line


IN = Lines()


def send(obj):
    view = memoryview((json.dumps(obj) + "\n").encode())
    while view:
        n = os.write(1, view)
        view = view[n:]


def key(value):
    return value if isinstance(value, str) else repr(value)


def compile_program(code):
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = compile(tree, "<bench>", "exec", flags=FLAGS)
    tail = compile(ast.Expression(last.value), "<bench>", "eval", flags=FLAGS) if last else None
    return body, tail


async def run_async(code, ns):
    body, tail = compile_program(code)
    out = eval(body, ns)
    if asyncio.iscoroutine(out):
        await out
    if tail is None:
        return None
    out = eval(tail, ns)
    if asyncio.iscoroutine(out):
        out = await out
    return out


def run_sync(code, ns):
    body, tail = compile_program(code)
    exec(body, ns)
    return eval(tail, ns) if tail is not None else None


def sync_tool(name):
    def call(arg):
        send({"call": name, "id": 0, "arg": arg})
        return json.loads(IN.readline())["value"]

    return call


async def with_async_tools(code, names):
    """Runs code with async tools that call the host over stdio (answers read with add_reader)."""
    loop = asyncio.get_running_loop()
    pending = {}
    ids = itertools.count(1)

    def on_readable():
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        IN.buf += chunk
        while b"\n" in IN.buf:
            line, IN.buf = IN.buf.split(b"\n", 1)
            msg = json.loads(line)
            pending.pop(msg["id"]).set_result(msg["value"])

    def make(name):
        async def call(arg):
            k = next(ids)
            fut = loop.create_future()
            pending[k] = fut
            send({"call": name, "id": k, "arg": arg})
            return await fut

        return call

    loop.add_reader(0, on_readable)
    try:
        return await run_async(code, {n: make(n) for n in names})
    finally:
        loop.remove_reader(0)


def timed(fn, repeat, warmup):
    ms, results = [], []
    for k in range(warmup + repeat):
        t0 = time.perf_counter()
        value = fn()
        el = (time.perf_counter() - t0) * 1000
        if k >= warmup:
            ms.append(el)
            results.append(key(value))
    return ms, results


class Stop(Exception):
    pass


def on_alarm(signum, frame):
    raise Stop()


def main():
    while True:
        cmd = json.loads(IN.readline())
        op = cmd["op"]
        repeat, warmup = cmd.get("repeat", 1), cmd.get("warmup", 0)
        code = cmd.get("code", "")
        if op == "run":
            ms, results = timed(lambda: run_sync(code, {}), repeat, warmup)
        elif op == "sync_tools":
            names = cmd["tools"]
            ms, results = timed(lambda: run_sync(code, {n: sync_tool(n) for n in names}), repeat, warmup)
        elif op == "async_tools":
            names = cmd["tools"]
            ms, results = timed(lambda: asyncio.run(with_async_tools(code, names)), repeat, warmup)
        elif op == "new_namespace":
            import builtins

            def batch():
                for _ in range(1000):
                    ns = {"__name__": "__main__", "__builtins__": builtins}
                return None

            ms, results = timed(batch, repeat, warmup)
            ms = [m / 1000 for m in ms]
        elif op == "limit_overhead":
            # Alternate: a 60 s SIGALRM timer armed (what a host would use) vs none.
            signal.signal(signal.SIGALRM, on_alarm)
            with_ms, without_ms, results = [], [], []
            for k in range(warmup + repeat):
                for armed in (True, False):
                    if armed:
                        signal.setitimer(signal.ITIMER_REAL, 60)
                    t0 = time.perf_counter()
                    value = run_sync(code, {})
                    el = (time.perf_counter() - t0) * 1000
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    if k >= warmup:
                        (with_ms if armed else without_ms).append(el)
                        results.append(key(value))
            send({"done": True, "with": with_ms, "without": without_ms, "results": results})
            continue
        elif op == "exit":
            return
        else:
            raise ValueError(op)
        send({"done": True, "ms": ms, "results": results})


if __name__ == "__main__":
    main()
