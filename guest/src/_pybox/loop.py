"""The event loop of a context: asyncio without threads, sockets or blocking.

C runs LOOP_SOURCE once per context in a namespace of its own (run.c, ensure_loop), so the
classes it defines — and their methods' globals — belong to that context alone. When nothing
is ready the selector calls ``_suspend(timeout)`` (a C function) which raises the exception
that ends the guest call: the exec answers `suspended` and the host resumes it when a tool
call settles or the timer is due.
"""

LOOP_SOURCE = '''
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
        while True:
            if self._stopping:
                self._stopping = False
                return None
            if not self._ready:
                scheduled = self._scheduled
                while scheduled and scheduled[0]._cancelled:
                    self._timer_cancelled_count -= 1
                    _heappop(scheduled)._scheduled = False
                if not scheduled:
                    return -1.0
                timeout = scheduled[0]._when - self.time()
                if timeout > 0:
                    return timeout
            self._run_once()

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
