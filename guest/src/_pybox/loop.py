"""The event loop of a context: asyncio without threads, sockets or blocking.

C runs LOOP_SOURCE once per context in a namespace of its own (run.c, ensure_loop), so the
classes it defines — and their methods' globals — belong to that context alone. When nothing
is ready the selector calls ``_suspend(timeout)`` (a C function) which raises the exception
that ends the guest call: the exec answers `suspended` and the host resumes it when a tool
call settles or the timer is due.
"""

LOOP_SOURCE = '''
_Handle = _base_events.events.Handle


class Selector:
    __slots__ = ("loop",)

    def __init__(self, loop):
        self.loop = loop

    def select(self, timeout):
        if timeout == 0:
            return []
        if self.loop._pybox_stepping:
            _suspend(timeout)
        # A loop run from a plain function (asyncio.run inside a def): only timers can
        # make progress there.
        if timeout is None:
            raise RuntimeError(
                "this event loop waits on something that cannot complete inside asyncio.run() "
                "called from a function: await the coroutine at top level instead")
        _time.sleep(timeout)
        return []

    def close(self):
        pass


class Loop(_base_events.BaseEventLoop):
    _pybox_stepping = False

    def __init__(self):
        super().__init__()
        self._selector = Selector(self)

    def _pybox_step(self):
        """Runs what is ready (and timers that are due) until nothing is: run_forever without
        its per-call setup and without waiting. Returns None once stop() was called (the exec's
        task is done), else the seconds until the next timer (-1.0: none): the exec then waits
        on the host. C sets the running loop around it."""
        ready = self._ready
        while True:
            if self._stopping:
                self._stopping = False
                return None
            if not ready:
                scheduled = self._scheduled
                while scheduled and scheduled[0]._cancelled:
                    self._timer_cancelled_count -= 1
                    _heappop(scheduled)._scheduled = False
                if not scheduled:
                    return -1.0
                timeout = scheduled[0]._when - self.time()
                if timeout > 0:
                    return timeout
            elif not self._scheduled and not self._debug:
                # No timer at all: what _run_once does then (its select, event and timer
                # bookkeeping have nothing to do), once per awaited tool call.
                for _ in range(len(ready)):
                    handle = ready.popleft()
                    if not handle._cancelled:
                        handle._run()
                handle = None  # as _run_once: no cycle through the last callback
                continue
            self._run_once()

    def call_soon(self, callback, *args, context=None):
        # BaseEventLoop.call_soon less its debug-mode checks (kept when debugging).
        if self._closed or self._debug:
            return super().call_soon(callback, *args, context=context)
        handle = _Handle(callback, args, self, context)
        ready = self._ready
        ready.append(handle)
        return handle

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass


async def _await(future):
    return await future


async def _ready(value):
    return value


async def _raise(error):
    raise error
'''

_POLICY_SOURCE = '''
class Policy(_asyncio.DefaultEventLoopPolicy):
    def _loop_factory(self):
        return _new_loop()
'''


def install_loop_policy(new_loop):
    """asyncio's policy makes loops of the running context's classes (new_loop is C)."""
    import asyncio

    ns = {"__name__": "pybox_policy", "_asyncio": asyncio, "_new_loop": new_loop}
    exec(compile(_POLICY_SOURCE, "<pybox>", "exec"), ns)
    asyncio.set_event_loop_policy(ns["Policy"]())
