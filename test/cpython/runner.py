# Runs CPython test modules inside a PyBox guest; test/cpython/run.mjs executes this file as
# an exec whose value is the result. Inputs (set by run.mjs before the exec):
#   pybox_tests = {"zip": path of python313-tests.zip in the box, "modules": [dotted names],
#                  "skips": {test id prefix: reason}}
# Value: {"counts": {...}, "problems": [{"id", "kind", "traceback"}], "skipReasons": {...},
#         "unusedSkips": [...]}, or {"moduleSkipped": reason} when a module skips as a whole
import asyncio.events
import asyncio.selector_events
import collections
import io
import os
import sys
import unittest
import zipfile

ROOT = '/tmp/cpython-tests'


def setup(zip_path):
    """Extracts the tests (their data files must be real files) and adapts what WASI lacks."""
    if not os.path.isdir(ROOT):
        zipfile.ZipFile(zip_path).extractall(ROOT)
    sys.path.insert(0, ROOT)
    os.chdir('/tmp')
    from test import support
    # As regrtest without -u: tests of the "cpu", "network", "decimal"... resources skip.
    support.use_resources = []
    # asyncio's self-pipe needs socket.socketpair(), which WASI lacks; it only wakes the
    # loop from other threads and signal handlers, neither of which exist here (PyBox's own
    # event loop does the same).
    loop = asyncio.selector_events.BaseSelectorEventLoop
    loop._make_self_pipe = lambda self: None
    loop._close_self_pipe = lambda self: None
    loop._write_to_self = lambda self: None
    # PyBox refuses trace functions (an audit hook, which cannot tell None from a function);
    # doctest and support.no_tracing only turn tracing off, which it always is here.
    settrace = sys.settrace
    sys.settrace = lambda func: None if func is None else settrace(func)
    # test_asyncio skips as a whole without sockets (support.requires_working_socket);
    # the modules we run need none, and the skip list names the tests that do.
    support.has_socket_support = True


def matching_skip(test_id, skips, used):
    parts = test_id.split('.')
    for i in range(len(parts), 0, -1):
        key = '.'.join(parts[:i])
        reason = skips.get(key)
        if reason is not None:
            used.add(key)
            return reason
    return None


def apply_skips(suite, skips, listed, used):
    """Marks the tests (and whole classes) of the skip list as skipped, so their code
    (setUpClass included) never runs."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            apply_skips(test, skips, listed, used)
            continue
        cls = type(test)
        reason = matching_skip(f'{cls.__module__}.{cls.__qualname__}', skips, used)
        if reason is not None:
            cls.__unittest_skip__ = True
            cls.__unittest_skip_why__ = f'pybox: {reason}'
            listed.add(test.id())
            continue
        reason = matching_skip(test.id(), skips, used)
        if reason is not None:
            method = getattr(test, test._testMethodName)
            setattr(test, test._testMethodName, unittest.skip(f'pybox: {reason}')(method))
            listed.add(test.id())


class Result(unittest.TestResult):
    """Counts outcomes and keeps the tracebacks of what went wrong."""

    def __init__(self):
        super().__init__()
        self.passed = 0
        self.problems = []
        self.reasons = collections.Counter()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = 'failure' if issubclass(err[0], test.failureException) else 'error'
            self.problems.append({'id': subtest.id(), 'kind': kind,
                                  'traceback': self._exc_info_to_string(err, test)[-3000:]})

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.problems.append({'id': test.id(), 'kind': 'failure', 'traceback': self.failures[-1][1][-3000:]})

    def addError(self, test, err):
        super().addError(test, err)
        self.problems.append({'id': test.id(), 'kind': 'error', 'traceback': self.errors[-1][1][-3000:]})

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.reasons[reason[:120]] += 1

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.problems.append({'id': test.id(), 'kind': 'unexpected success', 'traceback': ''})


def run(config):
    setup(config['zip'])
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in config['modules']:
        try:
            suite.addTests(loader.loadTestsFromName(name))
        except unittest.SkipTest as e:  # the whole module, e.g. "requires subprocess"
            return {'moduleSkipped': f'{name}: {e}'}
    listed, used = set(), set()
    apply_skips(suite, config['skips'], listed, used)
    # Entries for these modules that matched no test: stale, or misspelt.
    unused = sorted(key for key in config['skips'] if key not in used
                    and any(key == m or key.startswith(m + '.') for m in config['modules']))
    result = Result()
    # Top-level code runs inside PyBox's event loop; the tests start and stop their own.
    running = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    stdout, stderr = sys.stdout, sys.stderr
    captured = io.StringIO()
    try:
        sys.stdout = sys.stderr = captured  # what the tests print is noise here
        suite.run(result)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        asyncio.events._set_running_loop(running)
    skipped_by_list = sum(1 for test, _ in result.skipped if test.id() in listed)
    return {
        'counts': {
            'run': result.testsRun,
            'passed': result.passed,
            'failed': len(result.failures),
            'errors': len(result.errors),
            'skipped': len(result.skipped) - skipped_by_list,
            'skippedByList': skipped_by_list,
            'expectedFailures': len(result.expectedFailures),
            'unexpectedSuccesses': len(result.unexpectedSuccesses),
        },
        'problems': result.problems,
        'skipReasons': dict(result.reasons.most_common(12)),
        'unusedSkips': unused,
    }


run(pybox_tests)
