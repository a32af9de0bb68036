/*
 * Interpreter-wide state user code could use to watch or steer other contexts, or the driver.
 *
 * An audit hook (installed from C: Python cannot remove it) refuses the introspection that
 * would reach objects user code was never handed — gc.get_objects/get_referrers/get_referents
 * — and the hooks that would run user code inside other execs or the driver: sys.settrace,
 * sys.setprofile, sys.monitoring callbacks, further audit hooks. Importing the driver is
 * refused too. At every entry the per-process hooks (sys.stdout/stderr, unraisablehook,
 * excepthook, displayhook, breakpointhook, asyncgen hooks, the running loop) are put back,
 * so what one exec sets there never reaches another.
 */
#include "pybox.h"
#include <string.h>

static PyObject *g_stdout = NULL, *g_stderr = NULL;
static PyObject *g_unraisablehook = NULL, *g_excepthook = NULL, *g_displayhook = NULL, *g_breakpointhook = NULL;
static PyObject *g_set_asyncgen_hooks = NULL, *g_set_running_loop = NULL, *g_get_running_loop = NULL;
static PyObject *g_gc_callbacks = NULL; /* the list the collector calls; one exec's must not run in another's */

static int refuse(const char *what) {
    PyErr_Format(PyExc_PermissionError, "%s is not available in PyBox", what);
    return -1;
}

static int audit(const char *event, PyObject *args, void *data) {
    (void)data;
    if (strcmp(event, "gc.get_objects") == 0 || strcmp(event, "gc.get_referrers") == 0 ||
        strcmp(event, "gc.get_referents") == 0 || strcmp(event, "sys.settrace") == 0 ||
        strcmp(event, "sys.setprofile") == 0 || strcmp(event, "sys.monitoring.register_callback") == 0 ||
        strcmp(event, "sys.addaudithook") == 0) {
        if (!g_entry) return 0; /* init and the driver may */
        return refuse(event);
    }
    if (strcmp(event, "import") == 0 && g_entry && PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 0) {
        PyObject *name = PyTuple_GET_ITEM(args, 0);
        const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
        if (s && strncmp(s, "_pybox", 6) == 0) {
            PyErr_Format(PyExc_ModuleNotFoundError, "No module named '%U'", name);
            return -1;
        }
        PyErr_Clear();
    }
    return 0;
}

/* The sys attributes put back at every entry, with what they are put back to. The names are
 * interned and looked up in sys.__dict__ directly (PySys_GetObject would make a str from the
 * C string at every call: this runs at every entry, each await of a tool call included). */
enum { N_SYS_RESETS = 8 };
static PyObject *g_sysdict = NULL; /* the interpreter's sys.__dict__: it is never replaced */
static PyObject *g_reset_names[N_SYS_RESETS], *g_reset_values[N_SYS_RESETS];

void hooks_reset_interpreter_state(void) {
    if (!g_sysdict) return;
    PyObject *exc = PyErr_GetRaisedException();
    for (int i = 0; i < N_SYS_RESETS; i++) {
        PyObject *now = PyDict_GetItemWithError(g_sysdict, g_reset_names[i]); /* borrowed */
        if (now != g_reset_values[i]) PyDict_SetItem(g_sysdict, g_reset_names[i], g_reset_values[i]);
    }
    if (g_gc_callbacks && PyList_Check(g_gc_callbacks) && PyList_GET_SIZE(g_gc_callbacks) > 0) {
        PyList_SetSlice(g_gc_callbacks, 0, PyList_GET_SIZE(g_gc_callbacks), NULL);
    }
    if (g_get_running_loop) {
        PyObject *loop = PyObject_CallNoArgs(g_get_running_loop);
        if (loop && loop != Py_None) {
            PyObject *r = PyObject_CallOneArg(g_set_running_loop, Py_None);
            Py_XDECREF(r);
            r = PyObject_CallFunction(g_set_asyncgen_hooks, "OO", Py_None, Py_None);
            Py_XDECREF(r);
        }
        Py_XDECREF(loop);
    }
    PyErr_Clear();
    PyErr_SetRaisedException(exc);
}

/* Makes `loop` the running loop, with its asyncgen hooks (the next entry puts both back). */
int hooks_enter_loop(PyObject *loop) {
    PyObject *r = PyObject_CallOneArg(g_set_running_loop, loop);
    if (!r) return -1;
    Py_DECREF(r);
    PyObject *first = PyObject_GetAttrString(loop, "_asyncgen_firstiter_hook");
    PyObject *fin = first ? PyObject_GetAttrString(loop, "_asyncgen_finalizer_hook") : NULL;
    r = fin ? PyObject_CallFunctionObjArgs(g_set_asyncgen_hooks, first, fin, NULL) : NULL;
    Py_XDECREF(first);
    Py_XDECREF(fin);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

int freeze_types_of(PyObject *module) {
    PyObject *dict = PyModule_GetDict(module);
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &k, &v)) {
        if (PyType_Check(v) && (((PyTypeObject *)v)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
            ((PyTypeObject *)v)->tp_flags |= Py_TPFLAGS_IMMUTABLETYPE;
            PyType_Modified((PyTypeObject *)v);
        }
    }
    return 0;
}

static PyObject *sys_attr(const char *name) {
    PyObject *v = PySys_GetObject(name);
    if (!v) PyErr_Format(PyExc_RuntimeError, "sys.%s is missing", name);
    return Py_XNewRef(v);
}

int hooks_init(void) {
    g_stdout = stream_new(1, "<stdout>");
    g_stderr = stream_new(2, "<stderr>");
    g_unraisablehook = sys_attr("__unraisablehook__");
    g_excepthook = sys_attr("__excepthook__");
    g_displayhook = sys_attr("__displayhook__");
    g_breakpointhook = sys_attr("__breakpointhook__");
    PyObject *gc = PyImport_ImportModule("gc");
    g_gc_callbacks = gc ? PyObject_GetAttrString(gc, "callbacks") : NULL;
    Py_XDECREF(gc);
    PyObject *sys = PyImport_ImportModule("sys");
    g_set_asyncgen_hooks = sys ? PyObject_GetAttrString(sys, "set_asyncgen_hooks") : NULL;
    Py_XDECREF(sys);
    /* asyncio first: _asyncio imported on its own would run asyncio's imports while it is
     * half made, and asyncio.tasks would fall back to its pure-Python current_task & co. */
    PyObject *pkg = PyImport_ImportModule("asyncio");
    Py_XDECREF(pkg);
    PyObject *aio = pkg ? PyImport_ImportModule("_asyncio") : NULL;
    g_set_running_loop = aio ? PyObject_GetAttrString(aio, "_set_running_loop") : NULL;
    g_get_running_loop = aio ? PyObject_GetAttrString(aio, "_get_running_loop") : NULL;
    Py_XDECREF(aio);
    if (!g_stdout || !g_stderr || !g_gc_callbacks || !g_unraisablehook || !g_excepthook || !g_displayhook || !g_breakpointhook ||
        !g_set_asyncgen_hooks || !g_set_running_loop || !g_get_running_loop) {
        return -1;
    }
    PyObject *sys_mod = PyImport_ImportModule("sys");
    g_sysdict = sys_mod ? Py_NewRef(PyModule_GetDict(sys_mod)) : NULL;
    Py_XDECREF(sys_mod);
    const char *names[N_SYS_RESETS] = {"stdout", "stderr", "__stdout__", "__stderr__",
                                       "unraisablehook", "excepthook", "displayhook", "breakpointhook"};
    PyObject *values[N_SYS_RESETS] = {g_stdout, g_stderr, g_stdout, g_stderr,
                                      g_unraisablehook, g_excepthook, g_displayhook, g_breakpointhook};
    for (int i = 0; i < N_SYS_RESETS; i++) {
        g_reset_names[i] = PyUnicode_InternFromString(names[i]);
        g_reset_values[i] = values[i];
        if (!g_reset_names[i]) g_sysdict = NULL;
    }
    if (!g_sysdict) return -1;
    hooks_reset_interpreter_state();
    return 0;
}

/* Before Py_Initialize: the hook sees everything from the first import on. */
int hooks_install_audit(void) { return PySys_AddAuditHook(audit, NULL); }
