/*
 * PyBox guest: the C side of the reactor.
 *
 * This file is deliberately thin. It boots CPython, exposes the guest ABI
 * (see guest/ABI.md) as wasm exports that forward to the Python driver
 * (guest/src/_pybox.py), and provides the small native module `_pyboxhost`
 * through which the driver talks to the host (output, synchronous tools)
 * and arms the time and memory limits that CPython's patched eval loop and
 * our malloc wrappers enforce.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("pybox"), import_name(name)))

/* ---- host imports --------------------------------------------------- */

/* A chunk of UTF-8 written to stdout (stream 1) or stderr (stream 2). */
IMPORT("output") void host_output(int32_t stream, const char *data, int32_t len);
/* A synchronous tool call: request JSON in, returns a buffer allocated with
 * pybox_alloc holding [u32 length][response JSON], or 0 when the host cannot
 * answer synchronously. The guest frees the buffer. */
IMPORT("call_tool") uint8_t *host_call_tool(const char *request, int32_t len);
/* 1 when the host asks the running exec to stop (box.interrupt(), an aborted
 * signal), 2 when it cut a sleep short at the exec's deadline, else 0. Polled
 * with the time limit, so only while user code runs. */
IMPORT("interrupted") int32_t host_interrupted(void);

/* ---- memory accounting ------------------------------------------------
 * Every allocation in the module goes through these wrappers (the link uses
 * --wrap=malloc etc.). `g_mem_limit` applies only while user code runs
 * (armed by the driver); the driver's own bookkeeping runs unguarded so an
 * exhausted box can still report its MemoryError and recover. */
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);

static size_t g_mem_used = 0;
static size_t g_mem_peak = 0;
static size_t g_mem_limit = 0; /* 0 = not armed */

static inline int over_limit(size_t extra) {
    return g_mem_limit && g_mem_used + extra > g_mem_limit;
}
static inline void account(void *p, int sign) {
    if (!p) return;
    size_t n = malloc_usable_size(p);
    if (sign > 0) {
        g_mem_used += n;
        if (g_mem_used > g_mem_peak) g_mem_peak = g_mem_used;
    } else {
        g_mem_used -= n;
    }
}
void *__wrap_malloc(size_t n) {
    if (over_limit(n)) return NULL;
    void *p = __real_malloc(n);
    account(p, 1);
    return p;
}
void *__wrap_calloc(size_t n, size_t m) {
    if (m && n > SIZE_MAX / m) return NULL;
    if (over_limit(n * m)) return NULL;
    void *p = __real_calloc(n, m);
    account(p, 1);
    return p;
}
void *__wrap_realloc(void *old, size_t n) {
    size_t before = old ? malloc_usable_size(old) : 0;
    if (n > before && over_limit(n - before)) return NULL;
    void *p = __real_realloc(old, n);
    if (p || n == 0) {
        g_mem_used -= before;
        account(p, 1);
    }
    return p;
}
void __wrap_free(void *p) {
    account(p, -1);
    __real_free(p);
}

/* ---- time limit ------------------------------------------------------
 * The patched eval loop calls _PyBox_CheckInterrupt() every few thousand
 * backward jumps / calls, and PyErr_CheckSignals() calls it too (which long
 * builtins such as regex matching and big-int arithmetic do periodically).
 * Once the deadline has passed the error is sticky: it is raised again at
 * every check until the driver disarms it, so `except BaseException: pass`
 * inside a loop cannot swallow it. */
/* Nested C calls allowed (see pybox_init). */
#define PYBOX_C_RECURSION_LIMIT 1000

/* Ticks between two clock reads in the eval loop: ~0.1 ms of the tightest
 * loop, so the stop lands well within 10 ms while costing under 1 %. */
#define PYBOX_CHECK_EVERY 4096
int _PyBox_Countdown = PYBOX_CHECK_EVERY;

static int64_t g_deadline_ns = 0; /* 0 = not armed */
static int g_armed = 0;
static PyFrameObject *g_arm_frame = NULL; /* identity only: the driver frame that armed */
static PyObject *g_timeout_exc = NULL;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- protected names ----------------------------------------------------
 * A context's globals are a plain dict (so CPython's fast paths apply) that
 * holds, under GUARD_KEY, a dict of its protected names and their values. A
 * dict watcher sees every change to a watched namespace; a change to a
 * protected name made while user code runs is undone at the next check of
 * the eval loop (the next call, loop iteration or function entry), which
 * raises ProtectedNameError there. */
#define GUARD_KEY "__pybox_protected__"
static int g_ns_watcher = -1;
static PyObject *g_guard_key = NULL; /* interned GUARD_KEY */
static PyObject *g_protected_exc = NULL;
static PyObject *g_violation_ns = NULL;  /* the namespace changed, if any */
static PyObject *g_violation_key = NULL; /* the protected name it changed */
static int g_restoring = 0;

static int ns_watcher(PyDict_WatchEvent event, PyObject *ns, PyObject *key, PyObject *new_value) {
    (void)new_value;
    if (!g_armed || g_restoring || g_violation_ns) return 0;
    PyObject *guard = PyDict_GetItemWithError(ns, g_guard_key); /* borrowed */
    if (!guard || !PyDict_Check(guard)) {
        PyErr_Clear();
        return 0;
    }
    int hit;
    if (event == PyDict_EVENT_CLEARED || event == PyDict_EVENT_CLONED || key == NULL) {
        hit = 1;
        key = g_guard_key;
    } else {
        hit = key == g_guard_key || PyDict_Contains(guard, key) > 0;
        PyErr_Clear();
    }
    if (hit) {
        g_violation_ns = Py_NewRef(ns);
        g_violation_key = Py_NewRef(key);
        _PyBox_Countdown = 1; /* check at the very next opportunity */
    }
    return 0;
}

/* Puts every protected name of the changed namespace back; returns the name
 * that was changed (a new reference), or NULL when nothing was. */
static PyObject *undo_violation(void) {
    if (!g_violation_ns) return NULL;
    PyObject *ns = g_violation_ns, *key = g_violation_key;
    g_violation_ns = g_violation_key = NULL;
    PyObject *guard = PyDict_GetItemWithError(ns, g_guard_key);
    g_restoring = 1;
    if (!guard || !PyDict_Check(guard)) {
        PyErr_Clear();
        guard = NULL;
    }
    if (guard) {
        Py_INCREF(guard);
        PyDict_SetItem(ns, g_guard_key, guard);
        Py_ssize_t pos = 0;
        PyObject *name, *value;
        while (PyDict_Next(guard, &pos, &name, &value)) {
            if (value == Py_Ellipsis) { /* protected before it was set: keep it unset */
                if (PyDict_DelItem(ns, name) < 0) PyErr_Clear();
            } else if (PyDict_GetItemWithError(ns, name) != value) {
                PyDict_SetItem(ns, name, value);
            }
        }
        PyErr_Clear();
        Py_DECREF(guard);
    }
    g_restoring = 0;
    Py_DECREF(ns);
    return key;
}

static int raise_violation(void) {
    PyObject *key = undo_violation();
    if (!key) return 0;
    PyErr_Format(g_protected_exc ? g_protected_exc : PyExc_NameError,
                 "'%U' is protected in this context: it cannot be rebound or deleted", key);
    Py_DECREF(key);
    return -1;
}

int _PyBox_CheckInterrupt(void) {
    if (g_violation_ns && raise_violation() < 0) return -1;
    if (!g_armed) return 0;
    int32_t host = host_interrupted();
    if (host == 1) {
        PyErr_SetString(PyExc_KeyboardInterrupt, "the host interrupted this exec");
        return -1;
    }
    /* 2: the host cut a sleep short at the deadline */
    if (host != 2 && (g_deadline_ns == 0 || now_ns() < g_deadline_ns)) return 0;
    PyErr_SetString(g_timeout_exc ? g_timeout_exc : PyExc_TimeoutError,
                    "time limit exceeded");
    return -1;
}


/* time.sleep ends at the deadline (the host caps the sleep); make the eval
 * loop check right after it returns instead of up to 4,096 ticks later. */
int __real_clock_nanosleep(clockid_t clock, int flags, const struct timespec *t, struct timespec *rem);
int __wrap_clock_nanosleep(clockid_t clock, int flags, const struct timespec *t, struct timespec *rem) {
    int ret = __real_clock_nanosleep(clock, flags, t, rem);
    if (g_armed) _PyBox_Countdown = 1;
    return ret;
}

int _PyBox_CheckInterruptPeriodic(void) {
    int rc = _PyBox_CheckInterrupt(); /* also raises a pending protected-name violation */
    /* Once stopping, check at every backward jump and call: a loop that
     * catches the exception must meet it again outside its `try`. */
    _PyBox_Countdown = rc < 0 ? 1 : PYBOX_CHECK_EVERY;
    return rc;
}

/* ---- the _pyboxhost module -------------------------------------------- */

/* output(stream, data): data is UTF-8 bytes (the driver encodes, replacing
 * lone surrogates) so this never fails halfway through a write. */
static PyObject *m_output(PyObject *self, PyObject *args) {
    int stream;
    const char *data;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "iy#", &stream, &data, &len)) return NULL;
    host_output(stream, data, (int32_t)len);
    Py_RETURN_NONE;
}

static PyObject *m_call_tool(PyObject *self, PyObject *args) {
    const char *req;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "y#", &req, &len)) return NULL;
    uint8_t *res = host_call_tool(req, (int32_t)len);
    if (!res) Py_RETURN_NONE;
    uint32_t n;
    memcpy(&n, res, 4);
    PyObject *out = PyBytes_FromStringAndSize((const char *)res + 4, n);
    __wrap_free(res);
    return out;
}

/* arm(time_ms, memory_bytes): start enforcing the limits (0 = none) as user
 * code is entered. Refused while armed, so user code that got hold of this
 * function cannot replace its own limits. */
static PyObject *m_arm(PyObject *self, PyObject *args) {
    double ms;
    unsigned long long limit;
    if (!PyArg_ParseTuple(args, "dK", &ms, &limit)) return NULL;
    if (g_armed) {
        PyErr_SetString(PyExc_PermissionError, "limits are already armed");
        return NULL;
    }
    g_deadline_ns = ms > 0 ? now_ns() + (int64_t)(ms * 1e6) : 0;
    g_mem_limit = (size_t)limit;
    g_armed = 1;
    g_arm_frame = PyEval_GetFrame();
    return Py_NewRef(Py_None);
}

/* pause() -> time_ms left (0 when no time limit was armed): stop enforcing
 * as control returns to the driver. One call, so that the eval loop's check
 * after it already sees the limits off. Only the frame that armed may pause:
 * user code runs in deeper frames and cannot lift its own limits. */
static PyObject *m_pause(PyObject *self, PyObject *unused) {
    if (!g_armed) return PyFloat_FromDouble(0);
    if (PyEval_GetFrame() != g_arm_frame) {
        PyErr_SetString(PyExc_PermissionError, "limits can only be lifted by the PyBox driver");
        return NULL;
    }
    double left = 0;
    if (g_deadline_ns) {
        left = (double)(g_deadline_ns - now_ns()) / 1e6;
        if (left <= 0) left = 1e-6; /* expired: fires at the next check */
    }
    g_deadline_ns = 0;
    g_mem_limit = 0;
    g_armed = 0;
    g_arm_frame = NULL;
    return PyFloat_FromDouble(left);
}

/* set_exceptions(timeout_cls, protected_cls) */
static PyObject *m_set_exceptions(PyObject *self, PyObject *args) {
    PyObject *timeout, *protected_;
    if (!PyArg_ParseTuple(args, "OO", &timeout, &protected_)) return NULL;
    if (g_timeout_exc) { /* once, at driver import: user code cannot swap them */
        PyErr_SetString(PyExc_PermissionError, "the limit exceptions are already set");
        return NULL;
    }
    Py_XSETREF(g_timeout_exc, Py_NewRef(timeout));
    Py_XSETREF(g_protected_exc, Py_NewRef(protected_));
    Py_RETURN_NONE;
}

/* guard(ns): watch a namespace whose GUARD_KEY entry lists its protected names. */
static PyObject *m_guard(PyObject *self, PyObject *ns) {
    if (!PyDict_CheckExact(ns)) {
        PyErr_SetString(PyExc_TypeError, "guard() needs a dict");
        return NULL;
    }
    if (PyDict_Watch(g_ns_watcher, ns) < 0) return NULL;
    Py_RETURN_NONE;
}

/* take_violation() -> the protected name user code changed (now restored), or None. */
static PyObject *m_take_violation(PyObject *self, PyObject *unused) {
    PyObject *key = undo_violation();
    return key ? key : Py_NewRef(Py_None);
}

static PyObject *m_memory(PyObject *self, PyObject *unused) {
    return Py_BuildValue("(KKK)", (unsigned long long)g_mem_used,
                         (unsigned long long)g_mem_peak,
                         (unsigned long long)__builtin_wasm_memory_size(0) * 65536ULL);
}

static PyObject *m_reset_peak(PyObject *self, PyObject *unused) {
    g_mem_peak = g_mem_used;
    Py_RETURN_NONE;
}

static PyMethodDef host_methods[] = {
    {"output", m_output, METH_VARARGS, "output(stream, data): send UTF-8 bytes to the host's stdout (1) or stderr (2)."},
    {"call_tool", m_call_tool, METH_VARARGS, "call_tool(request_json) -> response_json or None: a synchronous tool call."},
    {"arm", m_arm, METH_VARARGS, "arm(time_ms, memory_bytes): enforce the limits from now; 0 = none."},
    {"pause", m_pause, METH_NOARGS, "pause() -> time_ms left: stop enforcing the limits."},
    {"set_exceptions", m_set_exceptions, METH_VARARGS, "set_exceptions(timeout_cls, protected_cls): the classes the limits raise."},
    {"guard", m_guard, METH_O, "guard(ns): enforce the protected names listed in ns['" GUARD_KEY "']."},
    {"take_violation", m_take_violation, METH_NOARGS, "take_violation() -> the protected name changed (now restored) or None."},
    {"memory", m_memory, METH_NOARGS, "memory() -> (used, peak, linear_memory_size) in bytes."},
    {"reset_peak", m_reset_peak, METH_NOARGS, "reset the peak to the current usage."},
    {NULL, NULL, 0, NULL},
};

/* m_size 0 (not -1) makes CPython call the init function again on a
 * re-import instead of copying a cached module, and the second call refuses:
 * only the driver, which imports it first, ever holds this module. */
static struct PyModuleDef host_module = {
    PyModuleDef_HEAD_INIT, "_pyboxhost", "The PyBox host bridge (private).", 0, host_methods,
};

static PyObject *init_host_module(void) {
    static int created = 0;
    if (created) {
        PyErr_SetString(PyExc_ImportError, "_pyboxhost is private to the PyBox driver");
        return NULL;
    }
    created = 1;
    g_guard_key = PyUnicode_InternFromString(GUARD_KEY);
    g_ns_watcher = PyDict_AddWatcher(ns_watcher);
    if (!g_guard_key || g_ns_watcher < 0) return NULL;
    PyObject *m = PyModule_Create(&host_module);
    if (m && PyModule_AddStringConstant(m, "GUARD_KEY", GUARD_KEY) < 0) Py_CLEAR(m);
    return m;
}

/* ---- results ------------------------------------------------------------
 * Every export returns a pointer to [u32 json_len][u32 bin_len][json][bin],
 * owned by the guest and valid until the next export call. */
static uint8_t *g_result = NULL;

static uint8_t *make_result(const char *json, size_t jlen, const char *bin, size_t blen) {
    if (g_result) __wrap_free(g_result);
    g_result = __wrap_malloc(8 + jlen + blen);
    if (!g_result) return NULL;
    uint32_t a = (uint32_t)jlen, b = (uint32_t)blen;
    memcpy(g_result, &a, 4);
    memcpy(g_result + 4, &b, 4);
    memcpy(g_result + 8, json, jlen);
    if (blen) memcpy(g_result + 8 + jlen, bin, blen);
    return g_result;
}

/* A driver failure (a bug, or memory exhausted before the driver could
 * answer) still produces a well-formed JSON error. */
static uint8_t *internal_error(const char *what) {
    char buf[512];
    PyObject *exc = PyErr_Occurred() ? PyErr_GetRaisedException() : NULL;
    const char *type = exc ? Py_TYPE(exc)->tp_name : "InternalError";
    int n = snprintf(buf, sizeof buf,
                     "{\"status\":\"error\",\"internal\":true,\"error\":{\"type\":\"%s\","
                     "\"message\":\"PyBox guest %s failed\",\"traceback\":\"\"}}",
                     type, what);
    Py_XDECREF(exc);
    return make_result(buf, (size_t)n, NULL, 0);
}

static PyObject *g_driver = NULL;

/* Calls driver.<name>(*args) and packs its answer: bytes (JSON) or a
 * (json_bytes, attachment_bytes) tuple. Steals the reference to args. */
static uint8_t *call_driver(const char *name, PyObject *args) {
    if (!g_driver || !args) {
        Py_XDECREF(args);
        return internal_error(name);
    }
    /* The driver arms the limits itself, around user code. A call can be
     * nested (a synchronous tool handler that runs code in another context),
     * so the caller's limits are put back afterwards. */
    size_t saved_limit = g_mem_limit;
    int64_t saved_deadline = g_deadline_ns;
    int saved_armed = g_armed;
    PyFrameObject *saved_frame = g_arm_frame;
    g_mem_limit = 0;
    g_deadline_ns = 0;
    g_armed = 0;
    g_arm_frame = NULL;
    PyObject *fn = PyObject_GetAttrString(g_driver, name);
    PyObject *ret = fn ? PyObject_Call(fn, args, NULL) : NULL;
    Py_XDECREF(fn);
    Py_DECREF(args);
    g_mem_limit = saved_limit;
    g_deadline_ns = saved_deadline;
    g_armed = saved_armed;
    g_arm_frame = saved_frame;
    if (!ret) return internal_error(name);
    uint8_t *out = NULL;
    if (PyBytes_Check(ret)) {
        out = make_result(PyBytes_AS_STRING(ret), PyBytes_GET_SIZE(ret), NULL, 0);
    } else if (PyTuple_Check(ret) && PyTuple_GET_SIZE(ret) == 2 &&
               PyBytes_Check(PyTuple_GET_ITEM(ret, 0)) && PyBytes_Check(PyTuple_GET_ITEM(ret, 1))) {
        PyObject *j = PyTuple_GET_ITEM(ret, 0), *b = PyTuple_GET_ITEM(ret, 1);
        out = make_result(PyBytes_AS_STRING(j), PyBytes_GET_SIZE(j), PyBytes_AS_STRING(b),
                          PyBytes_GET_SIZE(b));
    } else {
        out = internal_error(name);
    }
    Py_DECREF(ret);
    return out;
}

static PyObject *bytes_arg(const char *p, int32_t n) {
    return PyBytes_FromStringAndSize(n ? p : "", n);
}

/* ---- exports: the guest ABI --------------------------------------------- */

EXPORT("pybox_alloc") void *pybox_alloc(int32_t n) { return __wrap_malloc(n > 0 ? (size_t)n : 1); }
EXPORT("pybox_free") void pybox_free(void *p) { __wrap_free(p); }

EXPORT("pybox_abi_version") int32_t pybox_abi_version(void) { return 1; }

EXPORT("pybox_init") uint8_t *pybox_init(void) {
    if (g_driver) return make_result("{\"status\":\"ok\"}", 15, NULL, 0);
    if (PyImport_AppendInittab("_pyboxhost", init_host_module) < 0) return internal_error("init");

    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.user_site_directory = 0;
    config.buffered_stdio = 0;
    config.module_search_paths_set = 1;
    PyStatus st = PyWideStringList_Append(&config.module_search_paths, L"/lib/python313.zip");
    if (!PyStatus_Exception(st)) st = PyConfig_SetString(&config, &config.home, L"/lib");
    if (!PyStatus_Exception(st)) st = PyConfig_SetString(&config, &config.program_name, L"python3");
    if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        char buf[512];
        int n = snprintf(buf, sizeof buf,
                         "{\"status\":\"error\",\"internal\":true,\"error\":{\"type\":\"InitError\","
                         "\"message\":\"%s: %s\",\"traceback\":\"\"}}",
                         st.func ? st.func : "init", st.err_msg ? st.err_msg : "failed");
        return make_result(buf, (size_t)n, NULL, 0);
    }
    /* CPython allows 5,000 nested C calls on WASI (sized for wasmtime). Under V8
     * the native stack (~1 MB on a browser's or Node's main thread) runs out
     * first: each eval-loop activation entered from C (a sort key, __init__,
     * __repr__) takes ~2 KB of it, and json.dumps of 5,500 nested lists
     * overflowed. 1,000 overflows nothing we measured (the security suite's
     * recursion cases, every engine) and still allows e.g. 500-deep __init__
     * recursion and 900-deep JSON. */
    PyThreadState_Get()->c_recursion_remaining = PYBOX_C_RECURSION_LIMIT;
    g_driver = PyImport_ImportModule("_pybox");
    if (!g_driver) {
        PyErr_Print();
        return internal_error("driver import");
    }
    return call_driver("init", PyTuple_New(0));
}

EXPORT("pybox_context_create") uint8_t *pybox_context_create(int32_t parent) {
    return call_driver("context_create", Py_BuildValue("(i)", parent));
}

EXPORT("pybox_context_delete") uint8_t *pybox_context_delete(int32_t ctx) {
    return call_driver("context_delete", Py_BuildValue("(i)", ctx));
}

EXPORT("pybox_exec") uint8_t *pybox_exec(int32_t ctx, const char *code, int32_t code_len,
                                         const char *opts, int32_t opts_len) {
    return call_driver("exec_", Py_BuildValue("(iNN)", ctx, bytes_arg(code, code_len),
                                              bytes_arg(opts, opts_len)));
}

EXPORT("pybox_resume") uint8_t *pybox_resume(int32_t ctx, const char *results, int32_t len) {
    return call_driver("resume", Py_BuildValue("(iN)", ctx, bytes_arg(results, len)));
}

EXPORT("pybox_cancel") uint8_t *pybox_cancel(int32_t ctx) {
    return call_driver("cancel", Py_BuildValue("(i)", ctx));
}

EXPORT("pybox_set_json") uint8_t *pybox_set_json(int32_t ctx, const char *name, int32_t name_len,
                                                 const char *json, int32_t json_len) {
    return call_driver("set_json", Py_BuildValue("(iNN)", ctx, bytes_arg(name, name_len),
                                                 bytes_arg(json, json_len)));
}

EXPORT("pybox_set_bytes") uint8_t *pybox_set_bytes(int32_t ctx, const char *name, int32_t name_len,
                                                   const char *data, int32_t data_len) {
    return call_driver("set_bytes", Py_BuildValue("(iNN)", ctx, bytes_arg(name, name_len),
                                                  bytes_arg(data, data_len)));
}

EXPORT("pybox_get") uint8_t *pybox_get(int32_t ctx, const char *name, int32_t name_len) {
    return call_driver("get", Py_BuildValue("(iN)", ctx, bytes_arg(name, name_len)));
}

EXPORT("pybox_protect") uint8_t *pybox_protect(int32_t ctx, const char *name, int32_t name_len) {
    return call_driver("protect", Py_BuildValue("(iN)", ctx, bytes_arg(name, name_len)));
}

EXPORT("pybox_names") uint8_t *pybox_names(int32_t ctx) {
    return call_driver("names", Py_BuildValue("(i)", ctx));
}

EXPORT("pybox_define_tools") uint8_t *pybox_define_tools(const char *json, int32_t len) {
    return call_driver("define_tools", Py_BuildValue("(N)", bytes_arg(json, len)));
}

EXPORT("pybox_configure") uint8_t *pybox_configure(const char *json, int32_t len) {
    return call_driver("configure", Py_BuildValue("(N)", bytes_arg(json, len)));
}

EXPORT("pybox_reseed") uint8_t *pybox_reseed(const char *seed, int32_t len) {
    return call_driver("reseed", Py_BuildValue("(N)", bytes_arg(seed, len)));
}
