/*
 * Entries from the host and the limits they run under.
 *
 * Every export that can run Python (user code or the driver) is an *entry*. The host states
 * the entry's limits just before it (`pybox_limits`), or the box's defaults apply; the limits
 * are armed here when the entry begins and lifted when it ends, so nothing Python can reach
 * arms or disarms them. The time limit is checked by the patched eval loop every few thousand
 * backward jumps or calls (`_PyBox_Countdown`) and by `PyErr_CheckSignals`, which long
 * builtins call. Once the deadline has passed the stop is sticky: every later check in the
 * entry raises again, and the entry's answer is the time limit whatever Python did after.
 *
 * Entries nest (a synchronous tool handler on the host runs code in another context): the
 * nested entry gets a fresh frame chain and handled-exception stack, so the inner code cannot
 * walk into the outer code's frames, and the outer state comes back afterwards.
 */
#include "pybox.h"
#include <time.h>

/* Ticks between two clock reads in the eval loop: ~0.1 ms of the tightest loop. */
#define PYBOX_CHECK_EVERY 4096
/* Nested C calls allowed: V8's native stack (~1 MB on a browser's or Node's main thread)
 * runs out long before CPython's WASI default of 5,000. */
#define PYBOX_C_RECURSION_LIMIT 1000

int _PyBox_Countdown = PYBOX_CHECK_EVERY;
Entry *g_entry = NULL;
PyObject *g_TimeLimitExceeded = NULL;

static double g_next_deadline_ms = -1; /* -1: not given for the next entry */
static double g_next_memory = -1;
static double g_default_time_ms = 30000;
static double g_default_memory = 512.0 * 1024 * 1024;

int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void limits_set_next(double deadline_ms, double memory_bytes) {
    g_next_deadline_ms = deadline_ms;
    g_next_memory = memory_bytes;
}

void limits_set_defaults(double time_ms, double memory_bytes) {
    if (time_ms >= 0) g_default_time_ms = time_ms;
    if (memory_bytes >= 0) g_default_memory = memory_bytes;
}

void entry_begin(Entry *e, Ctx *ctx) {
    PyThreadState *ts = PyThreadState_Get();
    e->outer = g_entry;
    e->ctx = ctx;
    e->stopped = 0;
    e->checks = 1;
    e->gc_was_enabled = 0;
    if (g_next_deadline_ms >= 0) {
        e->deadline_ns = g_next_deadline_ms > 0 ? (int64_t)(g_next_deadline_ms * 1e6) : 0;
    } else {
        e->deadline_ns = g_default_time_ms > 0 ? now_ns() + (int64_t)(g_default_time_ms * 1e6) : 0;
    }
    double mem = g_next_memory >= 0 ? g_next_memory : g_default_memory;
    e->mem_limit = mem > 0 ? (size_t)mem : 0;
    g_next_deadline_ms = g_next_memory = -1;
    e->saved_frame = NULL;
    e->saved_exc_info = NULL;
    if (e->outer) {
        e->saved_frame = ts->current_frame;
        ts->current_frame = NULL;
        e->saved_exc_info = ts->exc_info;
        e->exc_item.exc_value = NULL;
        e->exc_item.previous_item = NULL;
        ts->exc_info = &e->exc_item;
        /* one memory budget for the box: a nested entry never widens it */
        if (e->outer->mem_limit && (!e->mem_limit || e->outer->mem_limit < e->mem_limit)) {
            e->mem_limit = e->outer->mem_limit;
        }
    } else {
        ts->c_recursion_remaining = PYBOX_C_RECURSION_LIMIT;
    }
    g_entry = e;
    g_mem_limit = e->mem_limit;
    _PyBox_Countdown = PYBOX_CHECK_EVERY;
    hooks_reset_interpreter_state();
}

void entry_end(Entry *e) {
    PyThreadState *ts = PyThreadState_Get();
    if (e->outer) {
        ts->current_frame = e->saved_frame;
        ts->exc_info = e->saved_exc_info;
        Py_CLEAR(e->exc_item.exc_value);
    }
    g_entry = e->outer;
    g_mem_limit = g_entry ? g_entry->mem_limit : 0;
    _PyBox_Countdown = g_entry && g_entry->stopped ? 1 : PYBOX_CHECK_EVERY;
    if (g_entry) hooks_reset_interpreter_state();
}

int entry_checks_off(void) {
    if (!g_entry) return 0;
    int previous = g_entry->checks;
    g_entry->checks = 0;
    return previous;
}

void entry_checks_restore(int previous) {
    if (g_entry) g_entry->checks = previous;
}

/* Checks from PyErr_CheckSignals between two clock reads inside one builtin. */
#define PYBOX_BUILTIN_CHECK_EVERY 8
static int g_countdown_seen = -1; /* the countdown at the latest such check */
static int g_builtin_checks = 0;  /* such checks since the last clock read, with no tick between */

static int check_interrupt(int from_builtin);

/* PyErr_CheckSignals (long builtins call it): str() calls it twice per call, and asking the host
 * and the clock costs two calls out of wasm. A builtin's check that comes after Python code ran
 * (the eval loop ticked since the previous one) is left to the eval loop's own countdown; inside
 * one long builtin (no tick in between: a regex, a big-int operation, a join of a map) one check
 * in PYBOX_BUILTIN_CHECK_EVERY asks. */
int _PyBox_CheckInterrupt(void) { return check_interrupt(1); }

static int check_interrupt(int from_builtin) {
    Entry *e = g_entry;
    if (!e) return 0;
    if (protect_check() < 0) return -1;
    if (!e->checks) return 0;
    if (from_builtin && !e->stopped) {
        if (_PyBox_Countdown != g_countdown_seen) {
            g_countdown_seen = _PyBox_Countdown;
            g_builtin_checks = 0;
            return 0;
        }
        if (++g_builtin_checks < PYBOX_BUILTIN_CHECK_EVERY) return 0;
        g_builtin_checks = 0;
    }
    if (!e->stopped) {
        int32_t host = host_interrupted();
        if (host == 1) {
            PyErr_SetString(PyExc_KeyboardInterrupt, "the host interrupted this exec");
            return -1;
        }
        /* 2: the host cut a sleep short at the deadline */
        if (host != 2 && (e->deadline_ns == 0 || now_ns() < e->deadline_ns)) return 0;
        e->stopped = 1;
    }
    PyErr_SetString(g_TimeLimitExceeded ? g_TimeLimitExceeded : PyExc_TimeoutError,
                    "time limit exceeded");
    return -1;
}

int _PyBox_CheckInterruptPeriodic(void) {
    int rc = check_interrupt(0);
    /* Once stopping, check at every backward jump and call: a loop that catches the
     * exception must meet it again outside its `try`. */
    _PyBox_Countdown = rc < 0 ? 1 : PYBOX_CHECK_EVERY;
    return rc;
}

/* time.sleep ends at the deadline (the host caps the sleep); make the eval loop check right
 * after it returns instead of up to 4,096 ticks later. */
int __real_clock_nanosleep(clockid_t clock, int flags, const struct timespec *t, struct timespec *rem);
int __wrap_clock_nanosleep(clockid_t clock, int flags, const struct timespec *t, struct timespec *rem) {
    int ret = __real_clock_nanosleep(clock, flags, t, rem);
    if (g_entry) _PyBox_Countdown = 1;
    return ret;
}
