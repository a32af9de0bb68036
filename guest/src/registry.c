/*
 * Contexts and the names nobody may rebind.
 *
 * A context is a plain dict of globals (so CPython's fast paths apply) plus what only C holds:
 * its protected names and their values, its parent, its event loop and the exec in progress.
 * Python code can reach a context's namespace (it is its `globals()`) but nothing of this
 * registry: no object user code can get at refers to it.
 *
 * Protected names: one dict watcher sees every change to a context's namespace and to the
 * interpreter's builtins. A change to a protected name (a context's own, or one it inherits
 * from its ancestors) or to a standard builtin is undone at the next check of the eval loop,
 * which raises ProtectedNameError there. Builtins are guarded because every context and the
 * stdlib share them: rebinding `print` or `isinstance` would change every context's code.
 *
 * A child context's `__builtins__` is an Inherit mapping: names the child lacks are looked up
 * in the parent chain when used (live inheritance, also inside functions defined in the child),
 * then in the builtins. It holds the parent's id, not a reference, so nothing reaches the
 * parent's objects through it.
 */
#include "pybox.h"
#include <stdlib.h>
#include <string.h>

PyObject *g_ProtectedNameError = NULL;
PyObject *g_builtins = NULL;
PyObject *g_pristine_builtins = NULL;
int g_host_binding = 0;

static int g_watcher = -1;
/* Every name any context ever protected (names only, never removed): a store to any other name,
 * which is nearly every store, is judged with one lookup. */
static PyObject *g_ever_protected = NULL;
static PyObject *g_builtins_name = NULL;
static int g_restoring = 0;
static PyObject *g_violation_dict = NULL; /* the watched dict that changed */
static PyObject *g_violation_key = NULL;  /* the name, or NULL for a clear / an odd key */

/* ---- contexts by id and by namespace ---------------------------------------------------- */

static Ctx **g_by_id = NULL;
static int32_t g_by_id_cap = 0;
static int32_t g_next_id = 1;

typedef struct {
    PyObject *ns;
    Ctx *ctx;
} NsSlot;
static NsSlot *g_ns_map = NULL;
static size_t g_ns_cap = 0, g_ns_used = 0; /* used counts tombstones too */
#define TOMBSTONE ((PyObject *)1)

static size_t ns_hash(PyObject *p) { return ((uintptr_t)p >> 4) * 2654435761u; }

static int ns_map_grow(void) {
    size_t cap = g_ns_cap ? g_ns_cap * 2 : 64;
    NsSlot *slots = mem_alloc_unlimited(cap * sizeof(NsSlot));
    if (!slots) return -1;
    memset(slots, 0, cap * sizeof(NsSlot));
    size_t used = 0;
    for (size_t i = 0; i < g_ns_cap; i++) {
        PyObject *ns = g_ns_map[i].ns;
        if (!ns || ns == TOMBSTONE) continue;
        size_t j = ns_hash(ns) & (cap - 1);
        while (slots[j].ns) j = (j + 1) & (cap - 1);
        slots[j] = g_ns_map[i];
        used++;
    }
    if (g_ns_map) mem_free(g_ns_map);
    g_ns_map = slots;
    g_ns_cap = cap;
    g_ns_used = used;
    return 0;
}

static int ns_map_put(PyObject *ns, Ctx *c) {
    if ((g_ns_used + 1) * 2 > g_ns_cap && ns_map_grow() < 0) return -1;
    size_t j = ns_hash(ns) & (g_ns_cap - 1);
    while (g_ns_map[j].ns && g_ns_map[j].ns != TOMBSTONE) j = (j + 1) & (g_ns_cap - 1);
    if (!g_ns_map[j].ns) g_ns_used++;
    g_ns_map[j].ns = ns;
    g_ns_map[j].ctx = c;
    return 0;
}

static Ctx *ns_map_get(PyObject *ns) {
    if (!g_ns_cap) return NULL;
    size_t j = ns_hash(ns) & (g_ns_cap - 1);
    while (g_ns_map[j].ns) {
        if (g_ns_map[j].ns == ns) return g_ns_map[j].ctx;
        j = (j + 1) & (g_ns_cap - 1);
    }
    return NULL;
}

static void ns_map_del(PyObject *ns) {
    if (!g_ns_cap) return;
    size_t j = ns_hash(ns) & (g_ns_cap - 1);
    while (g_ns_map[j].ns) {
        if (g_ns_map[j].ns == ns) {
            g_ns_map[j].ns = TOMBSTONE;
            g_ns_map[j].ctx = NULL;
            return;
        }
        j = (j + 1) & (g_ns_cap - 1);
    }
}

Ctx *ctx_get(int32_t id) {
    if (id <= 0 || id >= g_by_id_cap) return NULL;
    return g_by_id[id];
}

int ctx_each(int (*fn)(Ctx *, void *), void *arg) {
    for (int32_t i = 1; i < g_by_id_cap; i++) {
        if (g_by_id[i] && fn(g_by_id[i], arg) < 0) return -1;
    }
    return 0;
}

/* ---- the inheriting builtins of a child --------------------------------------------------- */

typedef struct {
    PyDictObject dict;
    int32_t parent;
} InheritObject;

static PyObject *inherit_missing(PyObject *self, PyObject *key) {
    int32_t pid = ((InheritObject *)self)->parent;
    for (int hops = 0; pid && hops < 10000; hops++) {
        Ctx *p = ctx_get(pid);
        if (!p) break;
        PyObject *v = PyDict_GetItemWithError(p->ns, key);
        if (v) return Py_NewRef(v);
        if (PyErr_Occurred()) return NULL;
        pid = p->parent;
    }
    PyObject *v = PyDict_GetItemWithError(g_builtins, key);
    if (v) return Py_NewRef(v);
    if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
    return NULL;
}

static PyMethodDef inherit_methods[] = {
    {"__missing__", inherit_missing, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject InheritType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pybox.InheritedNames",
    .tp_doc = "The builtins of a child context: names it lacks resolve in its parents, then in builtins.",
    .tp_basicsize = sizeof(InheritObject),
    .tp_flags = Py_TPFLAGS_DEFAULT, /* GC support (traverse, clear) is inherited from dict */
    .tp_methods = inherit_methods,
};

/* ---- protected names ---------------------------------------------------------------------- */

/* Protects `name` in `c` with `value` (Py_Ellipsis: before it is set). */
static int protect_put(Ctx *c, PyObject *name, PyObject *value) {
    if (PyDict_SetItem(g_ever_protected, name, Py_None) < 0) return -1;
    return PyDict_SetItem(c->protected, name, value);
}

/* Whether `name` (an exact str) is protected in `c` or one of its ancestors. */
static int protected_in_chain(Ctx *c, PyObject *name) {
    for (int hops = 0; c && hops < 10000; hops++) {
        if (PyDict_Contains(c->protected, name) > 0) return 1;
        c = ctx_get(c->parent);
    }
    PyErr_Clear();
    return 0;
}

static int watcher(PyDict_WatchEvent event, PyObject *d, PyObject *key, PyObject *new_value) {
    (void)new_value;
    if (event == PyDict_EVENT_DEALLOCATED || !g_entry || g_host_binding || g_restoring) return 0;
    if (g_violation_dict) return 0; /* one pending violation at a time: undone together */
    int hit;
    int odd = key == NULL || !PyUnicode_CheckExact(key); /* a clear, or a key only C can judge later */
    if (d == g_builtins) {
        hit = odd || PyDict_Contains(g_pristine_builtins, key) > 0;
    } else {
        if (!odd && PyDict_Contains(g_ever_protected, key) == 0) return 0; /* the usual store */
        Ctx *c = ns_map_get(d);
        if (!c) return 0;
        hit = odd || protected_in_chain(c, key);
    }
    PyErr_Clear();
    if (hit) {
        g_violation_dict = Py_NewRef(d);
        g_violation_key = odd ? NULL : Py_NewRef(key);
        _PyBox_Countdown = 1; /* check at the very next opportunity */
    }
    return 0;
}

/* Puts back what changed; returns the name that was rebound (new ref), or NULL if nothing
 * protected changed. */
static PyObject *undo(PyObject *d, PyObject *key) {
    PyObject *changed = NULL, *name, *value;
    Py_ssize_t pos = 0;
    g_restoring = 1;
    if (d == g_builtins) {
        while (PyDict_Next(g_pristine_builtins, &pos, &name, &value)) {
            PyObject *now = PyDict_GetItemWithError(d, name);
            if (now != value) {
                PyErr_Clear();
                PyDict_SetItem(d, name, value);
                if (!changed) changed = Py_NewRef(name);
            }
        }
    } else {
        Ctx *own = ns_map_get(d);
        for (Ctx *c = own; c; c = ctx_get(c->parent)) {
            pos = 0;
            while (PyDict_Next(c->protected, &pos, &name, &value)) {
                PyObject *now = PyDict_GetItemWithError(d, name);
                PyErr_Clear();
                if (c != own) {
                    /* inherited protection: the child may not shadow it */
                    if (now && PyDict_Contains(own->protected, name) <= 0) {
                        PyDict_DelItem(d, name);
                        if (!changed) changed = Py_NewRef(name);
                    }
                } else if (value == Py_Ellipsis) { /* protected before it was set */
                    if (now) {
                        PyDict_DelItem(d, name);
                        if (!changed) changed = Py_NewRef(name);
                    }
                } else if (now != value) {
                    PyDict_SetItem(d, name, value);
                    if (!changed) changed = Py_NewRef(name);
                }
            }
        }
    }
    PyErr_Clear();
    g_restoring = 0;
    if (key && changed) {
        Py_DECREF(changed);
        return Py_NewRef(key);
    }
    return changed;
}

static PyObject *take_violation(void) {
    PyObject *d = g_violation_dict, *key = g_violation_key;
    if (!d) return NULL;
    g_violation_dict = g_violation_key = NULL;
    PyObject *exc = PyErr_GetRaisedException(); /* undoing must not disturb a pending error */
    PyObject *changed = undo(d, key);
    PyErr_SetRaisedException(exc);
    Py_DECREF(d);
    Py_XDECREF(key);
    return changed;
}

int protect_check(void) {
    if (!g_violation_dict) return 0;
    int builtin = g_violation_dict == g_builtins;
    PyObject *name = take_violation();
    if (!name) return 0;
    if (builtin) {
        PyErr_Format(g_ProtectedNameError,
                     "'%U' is a builtin shared by every context of this box: it cannot be rebound or deleted",
                     name);
    } else {
        PyErr_Format(g_ProtectedNameError,
                     "'%U' is protected in this context: it cannot be rebound or deleted", name);
    }
    Py_DECREF(name);
    return -1;
}

void protect_forget(void) {
    PyObject *name = take_violation();
    Py_XDECREF(name);
}

/* ---- contexts ---------------------------------------------------------------------------- */

static PyObject *g_main_name = NULL;

Ctx *ctx_create(int32_t parent_id) {
    Ctx *parent = NULL;
    if (parent_id) {
        parent = ctx_get(parent_id);
        if (!parent) {
            PyErr_Format(PyExc_LookupError, "no context %d", parent_id);
            return NULL;
        }
    }
    if (g_next_id >= g_by_id_cap) {
        int32_t cap = g_by_id_cap ? g_by_id_cap * 2 : 64;
        Ctx **arr = mem_alloc_unlimited((size_t)cap * sizeof(Ctx *));
        if (!arr) {
            PyErr_NoMemory();
            return NULL;
        }
        memset(arr, 0, (size_t)cap * sizeof(Ctx *));
        if (g_by_id) {
            memcpy(arr, g_by_id, (size_t)g_by_id_cap * sizeof(Ctx *));
            mem_free(g_by_id);
        }
        g_by_id = arr;
        g_by_id_cap = cap;
    }
    Ctx *c = mem_alloc_unlimited(sizeof(Ctx));
    if (!c) {
        PyErr_NoMemory();
        return NULL;
    }
    memset(c, 0, sizeof(Ctx));
    c->ns = PyDict_New();
    c->protected = PyDict_New();
    c->sources = PyDict_New();
    PyObject *builtins_obj = NULL;
    if (parent) {
        builtins_obj = PyObject_CallNoArgs((PyObject *)&InheritType);
        if (builtins_obj) ((InheritObject *)builtins_obj)->parent = parent->id;
    } else {
        builtins_obj = PyImport_ImportModule("builtins");
    }
    if (!c->ns || !c->protected || !c->sources || !builtins_obj ||
        PyDict_SetItemString(c->ns, "__name__", g_main_name) < 0 ||
        PyDict_SetItemString(c->ns, "__builtins__", builtins_obj) < 0 ||
        protect_put(c, g_builtins_name, builtins_obj) < 0) {
        Py_XDECREF(builtins_obj);
        goto fail;
    }
    Py_DECREF(builtins_obj);
    /* the tools, protected */
    PyObject *name, *tool;
    Py_ssize_t pos = 0;
    while (PyDict_Next(g_tools, &pos, &name, &tool)) {
        if (PyDict_SetItem(c->ns, name, tool) < 0 || protect_put(c, name, tool) < 0) goto fail;
    }
    c->id = g_next_id++;
    c->parent = parent ? parent->id : 0;
    if (ns_map_put(c->ns, c) < 0 || PyDict_Watch(g_watcher, c->ns) < 0) {
        ns_map_del(c->ns);
        goto fail;
    }
    g_by_id[c->id] = c;
    return c;
fail:
    Py_XDECREF(c->ns);
    Py_XDECREF(c->protected);
    Py_XDECREF(c->sources);
    mem_free(c);
    if (!PyErr_Occurred()) PyErr_NoMemory();
    return NULL;
}

void ctx_delete(Ctx *c) {
    g_by_id[c->id] = NULL;
    ns_map_del(c->ns);
    run_reset(c);
    Py_CLEAR(c->loop);
    Py_CLEAR(c->sealed);
    g_host_binding++;
    PyDict_Unwatch(g_watcher, c->ns);
    PyDict_Clear(c->ns); /* the values' __del__ run here, from C */
    g_host_binding--;
    PyErr_Clear();
    Py_CLEAR(c->ns);
    Py_CLEAR(c->protected);
    Py_CLEAR(c->sources);
    mem_free(c);
}

int ctx_bind(Ctx *c, PyObject *name, PyObject *value, int protect) {
    g_host_binding++;
    int rc = PyDict_SetItem(c->ns, name, value);
    if (rc == 0 && (protect || PyDict_Contains(c->protected, name) > 0 || protected_in_chain(c, name))) {
        rc = protect_put(c, name, value);
    }
    g_host_binding--;
    return rc;
}

int ctx_protect(Ctx *c, PyObject *name) {
    PyObject *v = PyDict_GetItemWithError(c->ns, name);
    if (!v && PyErr_Occurred()) return -1;
    return protect_put(c, name, v ? v : Py_Ellipsis);
}

PyObject *ctx_lookup(Ctx *c, PyObject *name) {
    for (int hops = 0; c && hops < 10000; hops++) {
        PyObject *v = PyDict_GetItemWithError(c->ns, name);
        if (v || PyErr_Occurred()) return v;
        c = ctx_get(c->parent);
    }
    return NULL;
}

PyObject *ctx_protected_names(Ctx *c) {
    PyObject *set = PySet_New(NULL);
    if (!set) return NULL;
    for (int hops = 0; c && hops < 10000; hops++) {
        PyObject *name, *value;
        Py_ssize_t pos = 0;
        while (PyDict_Next(c->protected, &pos, &name, &value)) {
            if (PySet_Add(set, name) < 0) {
                Py_DECREF(set);
                return NULL;
            }
        }
        c = ctx_get(c->parent);
    }
    PyObject *t = PySequence_Tuple(set);
    Py_DECREF(set);
    return t;
}

int registry_init(void) {
    InheritType.tp_base = &PyDict_Type;
    if (PyType_Ready(&InheritType) < 0) return -1;
    g_main_name = PyUnicode_InternFromString("__main__");
    g_builtins_name = PyUnicode_InternFromString("__builtins__");
    g_ever_protected = PyDict_New();
    g_watcher = PyDict_AddWatcher(watcher);
    g_builtins = PyEval_GetBuiltins(); /* borrowed; lives as long as the interpreter */
    if (!g_builtins) {
        PyObject *m = PyImport_ImportModule("builtins");
        g_builtins = m ? PyModule_GetDict(m) : NULL;
        Py_XDECREF(m);
    }
    g_ProtectedNameError = PyErr_NewExceptionWithDoc(
        "builtins.ProtectedNameError",
        "Raised when code tries to rebind or delete a name the host protected.", PyExc_NameError, NULL);
    if (!g_main_name || !g_builtins_name || !g_ever_protected || g_watcher < 0 || !g_builtins || !g_ProtectedNameError) return -1;
    return PyDict_SetItemString(g_builtins, "ProtectedNameError", g_ProtectedNameError);
}

/* Called at the end of init: from now on the standard builtins cannot be rebound. */
int builtins_guard_start(void) {
    g_pristine_builtins = PyDict_Copy(g_builtins);
    if (!g_pristine_builtins) return -1;
    return PyDict_Watch(g_watcher, g_builtins);
}
