/*
 * PyBox guest: init and the exported ABI (guest/ABI.md).
 *
 * Every export that runs Python is an entry (limits.c): it runs under the limits the host
 * gave for it, and when the time limit fired during the entry its answer says so whatever
 * Python did afterwards.
 */
#include "pybox.h"
#include <string.h>

#define ABI_VERSION 2

static int g_ready = 0;
static PyObject *g_driver = NULL;

/* ---- helpers ------------------------------------------------------------------------------- */

static PyObject *str_arg(const char *p, int32_t n) {
    return PyUnicode_DecodeUTF8(n ? p : "", n, "surrogatepass");
}

static uint8_t *unknown_context(int32_t id) {
    char msg[64];
    snprintf(msg, sizeof msg, "no context %d", id);
    return answer_fail("UnknownContext", msg);
}

/* A name the host binds or reads: a Python identifier, not one of the guest's own. */
static PyObject *name_arg(const char *p, int32_t n, uint8_t **fail) {
    static PyObject *prefix = NULL;
    if (!prefix) prefix = PyUnicode_InternFromString("__pybox");
    PyObject *name = str_arg(p, n);
    if (name && PyUnicode_IsIdentifier(name) && PyUnicode_Tailmatch(name, prefix, 0, PY_SSIZE_T_MAX, -1) == 0) {
        return name;
    }
    PyErr_Clear();
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"error\",\"error\":{\"type\":\"ValueError\",\"message\":");
    PyObject *msg = name ? PyUnicode_FromFormat("%R is not a valid Python identifier for a value", name) : NULL;
    if (msg) {
        buf_put_json_str(&b, msg, 200);
        Py_DECREF(msg);
    } else {
        buf_puts(&b, "\"not a valid Python identifier\"");
    }
    PyErr_Clear();
    buf_puts(&b, ",\"traceback\":\"\"}}");
    Py_XDECREF(name);
    *fail = answer_buf(&b);
    return NULL;
}

static uint8_t *end_entry(Entry *e, uint8_t *answer) {
    if (e->stopped) {
        answer = answer_literal("{\"status\":\"error\",\"error\":{\"type\":\"TimeLimitExceeded\","
                                "\"message\":\"time limit exceeded\",\"traceback\":\"\"}}");
    }
    PyErr_Clear();
    entry_end(e);
    return answer;
}

#define ENTRY(ctxptr)                                                                      \
    if (!g_ready) return answer_fail("InitError", "the guest is not initialised: call pybox_init");   \
    Entry entry_;                                                                          \
    entry_begin(&entry_, (ctxptr))
#define LEAVE(answer) return end_entry(&entry_, (answer))

/* ---- exports ------------------------------------------------------------------------------- */

EXPORT("pybox_alloc") void *pybox_alloc(int32_t n) { return __wrap_malloc(n > 0 ? (size_t)n : 1); }
EXPORT("pybox_free") void pybox_free(void *p) { __wrap_free(p); }
EXPORT("pybox_abi_version") int32_t pybox_abi_version(void) { return ABI_VERSION; }

/* The limits of the next entry: a deadline on the monotonic clock in ms (0 = none) and a cap
 * on the guest's allocations in bytes (0 = none). Without it the configured defaults apply. */
EXPORT("pybox_limits") void pybox_limits(double deadline_ms, double memory_bytes) {
    limits_set_next(deadline_ms, memory_bytes);
}

static PyObject *exit_fn(PyObject *self, PyObject *args) {
    PyObject *status = PyTuple_GET_SIZE(args) ? PyTuple_GET_ITEM(args, 0) : Py_None;
    PyErr_SetObject(PyExc_SystemExit, status);
    return NULL;
}
static PyMethodDef g_exit_def = {"_exit", exit_fn, METH_VARARGS, "_exit(status): raises SystemExit (the host owns the process)."};

static int init_python(void) {
    if (hooks_install_audit() < 0) return -1;
    /* UTF-8 mode: open() and os APIs use UTF-8, not the C locale's ASCII */
    PyPreConfig pre;
    PyPreConfig_InitIsolatedConfig(&pre);
    pre.utf8_mode = 1;
    PyStatus pst = Py_PreInitialize(&pre);
    if (PyStatus_Exception(pst)) return -1;
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
        PyErr_Format(PyExc_SystemError, "%s: %s", st.func ? st.func : "init", st.err_msg ? st.err_msg : "failed");
        return -1;
    }
    g_TimeLimitExceeded = PyErr_NewExceptionWithDoc(
        "builtins.TimeLimitExceeded",
        "Raised by the time limit. A BaseException, so `except Exception` does not swallow it; "
        "it is raised again at every check until the exec ends.",
        PyExc_BaseException, NULL);
    if (!g_TimeLimitExceeded || registry_init() < 0 || bridge_init() < 0 || encode_init() < 0 || hooks_init() < 0) return -1;
    /* help(), as site.py would add it */
    PyObject *sb = PyImport_ImportModule("_sitebuiltins");
    PyObject *helper_cls = sb ? PyObject_GetAttrString(sb, "_Helper") : NULL;
    PyObject *helper = helper_cls ? PyObject_CallNoArgs(helper_cls) : NULL;
    int rc = helper ? PyDict_SetItemString(g_builtins, "help", helper) : -1;
    Py_XDECREF(helper);
    Py_XDECREF(helper_cls);
    Py_XDECREF(sb);
    if (rc < 0) return -1;
    /* os._exit would end the WASI instance from under the host: raise instead */
    PyObject *exit = PyCFunction_New(&g_exit_def, NULL);
    PyObject *posix = PyImport_ImportModule("posix"), *os = PyImport_ImportModule("os");
    rc = exit && posix && os && PyObject_SetAttrString(posix, "_exit", exit) == 0 &&
                 PyObject_SetAttrString(os, "_exit", exit) == 0
             ? 0
             : -1;
    Py_XDECREF(exit);
    Py_XDECREF(posix);
    Py_XDECREF(os);
    if (rc < 0) return -1;
    /* the driver; then what it relies on is frozen, and it leaves sys.modules */
    PyObject *ast = PyImport_ImportModule("ast");
    g_driver = ast ? PyImport_ImportModule("_pybox") : NULL;
    PyObject *ast_c = g_driver ? PyImport_ImportModule("_ast") : NULL;
    Py_XDECREF(ast);
    if (!g_driver || !ast_c || run_init(g_driver) < 0) {
        Py_XDECREF(ast_c);
        return -1;
    }
    freeze_types_of(ast_c);
    Py_DECREF(ast_c);
    PyObject *modules = PyImport_GetModuleDict();
    PyObject *keys = PyDict_Keys(modules);
    for (Py_ssize_t i = 0; keys && i < PyList_GET_SIZE(keys); i++) {
        PyObject *k = PyList_GET_ITEM(keys, i);
        const char *s = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
        if (s && strncmp(s, "_pybox", 6) == 0) PyDict_DelItem(modules, k);
    }
    Py_XDECREF(keys);
    PyErr_Clear();
    return builtins_guard_start();
}

EXPORT("pybox_init") uint8_t *pybox_init(void) {
    if (g_ready) return answer_ok();
    if (init_python() < 0) {
        uint8_t *ans = answer_fail_exc("InitError", "the guest could not start Python");
        return ans;
    }
    g_ready = 1;
    char buf[128];
    snprintf(buf, sizeof buf, "{\"status\":\"ok\",\"python\":\"%s\",\"abi\":%d}", PY_VERSION, ABI_VERSION);
    return answer_literal(buf);
}

/* {outputLimit?, resultLimit?, timeMs?, memoryBytes?, env?} */
EXPORT("pybox_configure") uint8_t *pybox_configure(const char *json, int32_t len) {
    ENTRY(NULL);
    PyObject *opts = json_decode(json, (size_t)len);
    if (!opts || !PyDict_Check(opts)) {
        Py_XDECREF(opts);
        LEAVE(answer_fail("ValueError", "configure needs a JSON object"));
    }
    PyObject *v;
    if ((v = PyDict_GetItemString(opts, "outputLimit")) && PyNumber_Check(v)) g_output_limit = PyLong_AsLongLong(v);
    if ((v = PyDict_GetItemString(opts, "resultLimit")) && PyNumber_Check(v)) g_result_limit = PyLong_AsSsize_t(v);
    double t = -1, m = -1;
    if ((v = PyDict_GetItemString(opts, "timeMs")) && PyNumber_Check(v)) t = PyFloat_AsDouble(v);
    if ((v = PyDict_GetItemString(opts, "memoryBytes")) && PyNumber_Check(v)) m = PyFloat_AsDouble(v);
    limits_set_defaults(t, m);
    PyErr_Clear();
    if ((v = PyDict_GetItemString(opts, "env")) && PyDict_Check(v)) {
        /* os.environ is exactly `env` (the boot image was made with none) */
        PyObject *os = PyImport_ImportModule("os");
        PyObject *environ = os ? PyObject_GetAttrString(os, "environ") : NULL;
        PyObject *r = environ ? PyObject_CallMethod(environ, "clear", NULL) : NULL;
        Py_XDECREF(r);
        r = r ? PyObject_CallMethod(environ, "update", "O", v) : NULL;
        int ok = r != NULL;
        Py_XDECREF(r);
        Py_XDECREF(environ);
        Py_XDECREF(os);
        if (!ok) {
            Py_DECREF(opts);
            LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
        }
    }
    Py_DECREF(opts);
    if (g_output_limit < 0) g_output_limit = 0;
    if (g_result_limit < 0) g_result_limit = 0;
    LEAVE(answer_ok());
}

static int bind_tool(Ctx *c, void *tool) {
    return ctx_bind(c, ((PyObject **)tool)[0], ((PyObject **)tool)[1], 1);
}

EXPORT("pybox_define_tools") uint8_t *pybox_define_tools(const char *json, int32_t len) {
    ENTRY(NULL);
    PyObject *specs = json_decode(json, (size_t)len);
    PyObject *metas = specs ? PyObject_CallOneArg(g_drv_tools, specs) : NULL;
    Py_XDECREF(specs);
    if (!metas || !PyList_Check(metas)) {
        Py_XDECREF(metas);
        uint8_t *ans = answer_fail_exc("ValueError", "invalid tool definitions");
        LEAVE(ans);
    }
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"ok\",\"tools\":[");
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(metas); i++) {
        PyObject *tool = tool_new(PyList_GET_ITEM(metas, i));
        if (!tool) {
            Py_DECREF(metas);
            buf_free(&b);
            LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
        }
        PyObject *name = PyTuple_GET_ITEM(PyList_GET_ITEM(metas, i), 0);
        PyObject *pair[2] = {name, tool};
        if (PyDict_SetItem(g_tools, name, tool) < 0 || ctx_each(bind_tool, pair) < 0) {
            Py_DECREF(tool);
            Py_DECREF(metas);
            buf_free(&b);
            LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
        }
        Py_DECREF(tool);
        if (i) buf_putc(&b, ',');
        buf_put_json_str(&b, name, -1);
    }
    Py_DECREF(metas);
    buf_puts(&b, "]}");
    LEAVE(answer_buf(&b));
}

EXPORT("pybox_context_create") uint8_t *pybox_context_create(int32_t parent) {
    ENTRY(NULL);
    if (parent && !ctx_get(parent)) LEAVE(unknown_context(parent));
    Ctx *c = ctx_create(parent);
    if (!c) LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
    char buf[64];
    snprintf(buf, sizeof buf, "{\"status\":\"ok\",\"id\":%d}", c->id);
    LEAVE(answer_literal(buf));
}

EXPORT("pybox_context_delete") uint8_t *pybox_context_delete(int32_t id) {
    Ctx *c = ctx_get(id);
    ENTRY(NULL); /* what __del__ prints during the delete goes nowhere */
    if (!c) LEAVE(unknown_context(id));
    ctx_delete(c);
    LEAVE(answer_ok());
}

/* opts: {filename?} */
EXPORT("pybox_exec") uint8_t *pybox_exec(int32_t id, const char *code, int32_t code_len, const char *opts,
                                         int32_t opts_len) {
    Ctx *c = ctx_get(id);
    ENTRY(c);
    if (!c) LEAVE(unknown_context(id));
    PyObject *source = str_arg(code, code_len);
    if (!source) {
        PyErr_Clear();
        source = PyUnicode_DecodeUTF8(code, code_len, "replace");
    }
    PyObject *filename = NULL;
    if (opts_len > 0) {
        PyObject *o = json_decode(opts, (size_t)opts_len);
        PyObject *f = o && PyDict_Check(o) ? PyDict_GetItemString(o, "filename") : NULL;
        if (f && PyUnicode_Check(f) && PyUnicode_GET_LENGTH(f) > 0) filename = Py_NewRef(f);
        Py_XDECREF(o);
        PyErr_Clear();
    }
    if (!filename) filename = PyUnicode_FromString("<exec>");
    if (!source || !filename) {
        Py_XDECREF(source);
        Py_XDECREF(filename);
        LEAVE(answer_from_exception(PyErr_GetRaisedException(), c));
    }
    uint8_t *ans = run_exec(c, source, filename);
    Py_DECREF(source);
    Py_DECREF(filename);
    LEAVE(ans);
}

EXPORT("pybox_resume") uint8_t *pybox_resume(int32_t id, const char *json, int32_t len) {
    Ctx *c = ctx_get(id);
    ENTRY(c);
    if (!c) LEAVE(unknown_context(id));
    LEAVE(run_resume(c, json, (size_t)len));
}

EXPORT("pybox_cancel") uint8_t *pybox_cancel(int32_t id) {
    Ctx *c = ctx_get(id);
    ENTRY(c);
    if (!c) LEAVE(unknown_context(id));
    LEAVE(run_cancel(c));
}

/* A value the host binds, made from its input: NULL with the exception set when it cannot be. */
typedef PyObject *(*ValueMaker)(const char *data, int32_t len);

static PyObject *value_from_json(const char *data, int32_t len) { return json_decode(data, (size_t)len); }

static PyObject *value_from_bytes(const char *data, int32_t len) { return PyBytes_FromStringAndSize(len ? data : "", len); }

/* pybox_set_json and pybox_set_bytes: bind `name` to the value made from the input. A value that
 * does not fit in the entry's memory cap answers MemoryError (the host says which limit). */
static uint8_t *set_value(int32_t id, const char *name, int32_t name_len, const char *data, int32_t len, ValueMaker make) {
    Ctx *c = ctx_get(id);
    ENTRY(NULL);
    if (!c) LEAVE(unknown_context(id));
    uint8_t *fail = NULL;
    PyObject *n = name_arg(name, name_len, &fail);
    if (!n) LEAVE(fail);
    PyObject *value = make(data, len);
    int rc = value ? ctx_bind(c, n, value, 0) : -1;
    Py_DECREF(n);
    Py_XDECREF(value);
    if (rc == 0) LEAVE(answer_ok());
    if (PyErr_ExceptionMatches(PyExc_MemoryError)) LEAVE(answer_fail_exc("MemoryError", "out of memory"));
    if (!value) LEAVE(answer_fail_exc("ValueError", "invalid JSON"));
    LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
}

EXPORT("pybox_set_json") uint8_t *pybox_set_json(int32_t id, const char *name, int32_t name_len, const char *json,
                                                 int32_t json_len) {
    return set_value(id, name, name_len, json, json_len, value_from_json);
}

EXPORT("pybox_set_bytes") uint8_t *pybox_set_bytes(int32_t id, const char *name, int32_t name_len, const char *data,
                                                   int32_t data_len) {
    return set_value(id, name, name_len, data, data_len, value_from_bytes);
}

/* {value, repr} | {bytes:true} + attachment | {jsonError, repr}; reads parents too. */
EXPORT("pybox_get") uint8_t *pybox_get(int32_t id, const char *name, int32_t name_len) {
    Ctx *c = ctx_get(id);
    ENTRY(NULL);
    if (!c) LEAVE(unknown_context(id));
    uint8_t *fail = NULL;
    PyObject *n = name_arg(name, name_len, &fail);
    if (!n) LEAVE(fail);
    PyObject *value = ctx_lookup(c, n);
    if (!value) {
        PyErr_Clear();
        PyObject *msg = PyUnicode_FromFormat("name '%U' is not defined", n);
        Py_DECREF(n);
        const char *m = msg ? PyUnicode_AsUTF8(msg) : NULL;
        uint8_t *ans = answer_fail("NameError", m ? m : "name is not defined");
        Py_XDECREF(msg);
        LEAVE(ans);
    }
    Py_INCREF(value);
    Py_DECREF(n);
    if (PyBytes_Check(value) || PyByteArray_Check(value) || PyMemoryView_Check(value)) {
        PyObject *bytes = PyBytes_FromObject(value);
        Py_DECREF(value);
        if (!bytes) LEAVE(answer_from_exception(PyErr_GetRaisedException(), NULL));
        static const char head[] = "{\"status\":\"ok\",\"bytes\":true}";
        uint8_t *ans = answer_pack(head, sizeof head - 1, PyBytes_AS_STRING(bytes),
                                   (size_t)PyBytes_GET_SIZE(bytes));
        Py_DECREF(bytes);
        LEAVE(ans);
    }
    Buf json;
    buf_init(&json);
    int rc = json_encode(&json, value, (size_t)g_result_limit);
    PyObject *why = NULL;
    if (rc == -1) {
        PyObject *exc = PyErr_GetRaisedException();
        why = exc ? PyObject_Str(exc) : NULL;
        Py_XDECREF(exc);
        PyErr_Clear();
    }
    int cut = 0;
    PyObject *text = repr_bounded(value, g_result_limit, &cut);
    PyErr_Clear();
    Py_DECREF(value);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"ok\"");
    if (text) {
        buf_puts(&b, ",\"repr\":");
        buf_put_json_str(&b, text, -1);
    }
    if (rc == 0) {
        buf_puts(&b, ",\"value\":");
        buf_put(&b, json.data, json.len);
    } else {
        buf_puts(&b, ",\"jsonError\":");
        if (rc == -2) {
            buf_puts(&b, "\"the value's JSON is longer than the result limit\"");
        } else if (why && PyUnicode_Check(why)) {
            buf_put_json_str(&b, why, 500);
        } else {
            buf_puts(&b, "\"not JSON-serialisable\"");
        }
    }
    buf_putc(&b, '}');
    Py_XDECREF(text);
    Py_XDECREF(why);
    buf_free(&json);
    LEAVE(answer_buf(&b));
}

EXPORT("pybox_protect") uint8_t *pybox_protect(int32_t id, const char *name, int32_t name_len) {
    Ctx *c = ctx_get(id);
    ENTRY(NULL);
    if (!c) LEAVE(unknown_context(id));
    uint8_t *fail = NULL;
    PyObject *n = name_arg(name, name_len, &fail);
    if (!n) LEAVE(fail);
    int rc = ctx_protect(c, n);
    Py_DECREF(n);
    LEAVE(rc < 0 ? answer_from_exception(PyErr_GetRaisedException(), NULL) : answer_ok());
}

static int is_public_name(PyObject *k) {
    if (!PyUnicode_Check(k) || PyUnicode_GET_LENGTH(k) == 0) return 0;
    /* read the characters: a str subclass key runs no code */
    if (PyUnicode_GET_LENGTH(k) >= 2 && PyUnicode_READ_CHAR(k, 0) == '_' && PyUnicode_READ_CHAR(k, 1) == '_') return 0;
    return 1;
}

/* {names: own names (no dunders, no tools), protected: own protected names} */
EXPORT("pybox_names") uint8_t *pybox_names(int32_t id) {
    Ctx *c = ctx_get(id);
    ENTRY(NULL);
    if (!c) LEAVE(unknown_context(id));
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"ok\",\"names\":[");
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    int first = 1;
    while (PyDict_Next(c->ns, &pos, &k, &v)) {
        if (!is_public_name(k)) continue;
        if (PyUnicode_CheckExact(k) && PyDict_GetItemWithError(g_tools, k) == v) continue;
        PyErr_Clear();
        if (!first) buf_putc(&b, ',');
        first = 0;
        buf_put_json_str(&b, k, -1);
    }
    buf_puts(&b, "],\"protected\":[");
    PyObject *keys = PyDict_Keys(c->protected);
    if (keys && PyList_Sort(keys) == 0) {
        first = 1;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
            PyObject *name = PyList_GET_ITEM(keys, i);
            if (!is_public_name(name)) continue;
            if (!first) buf_putc(&b, ',');
            first = 0;
            buf_put_json_str(&b, name, -1);
        }
    }
    Py_XDECREF(keys);
    PyErr_Clear();
    buf_puts(&b, "]}");
    LEAVE(answer_buf(&b));
}

/* Gives `random` a fresh seed (after restoring a snapshot every box shares). */
EXPORT("pybox_reseed") uint8_t *pybox_reseed(const char *seed, int32_t len) {
    ENTRY(NULL);
    PyObject *mod_name = PyUnicode_FromString("random");
    PyObject *random = mod_name ? PyImport_GetModule(mod_name) : NULL;
    Py_XDECREF(mod_name);
    if (random) {
        PyObject *n = _PyLong_FromByteArray((const unsigned char *)seed, (size_t)len, 1, 0);
        PyObject *r = n ? PyObject_CallMethod(random, "seed", "O", n) : NULL;
        Py_XDECREF(r);
        Py_XDECREF(n);
        Py_DECREF(random);
    }
    PyErr_Clear();
    LEAVE(answer_ok());
}

static int state_of(Ctx *c, void *arg) {
    Buf *b = arg;
    if (b->len && b->data[b->len - 1] == '}') buf_putc(b, ',');
    buf_puts(b, "{\"id\":");
    buf_put_i64(b, c->id);
    buf_puts(b, ",\"parent\":");
    buf_put_i64(b, c->parent);
    buf_puts(b, ",\"suspended\":");
    buf_puts(b, c->run.active && c->run.task ? "true" : "false");
    buf_puts(b, ",\"pending\":[");
    if (c->run.active && c->run.calls) {
        PyObject *id, *entry;
        Py_ssize_t pos = 0;
        int first = 1;
        while (PyDict_Next(c->run.calls, &pos, &id, &entry)) {
            if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) < 3) continue;
            if (!first) buf_putc(b, ',');
            first = 0;
            buf_puts(b, "{\"id\":");
            buf_put_i64(b, PyLong_AsLongLong(id));
            buf_puts(b, ",\"tool\":");
            buf_put_json_str(b, PyTuple_GET_ITEM(entry, 1), -1);
            buf_puts(b, ",\"args\":");
            PyObject *json = PyTuple_GET_ITEM(entry, 2);
            buf_put(b, PyBytes_AS_STRING(json), (size_t)PyBytes_GET_SIZE(json));
            buf_putc(b, '}');
        }
        PyErr_Clear();
    }
    buf_puts(b, "]}");
    return 0;
}

/* {contexts:[{id, parent, suspended, pending:[{id, tool, args}]}]}: what a snapshot holds, for
 * a host that restores it (the pending calls are the ones it must answer again). */
EXPORT("pybox_state") uint8_t *pybox_state(void) {
    ENTRY(NULL);
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"ok\",\"contexts\":[");
    Buf items;
    buf_init(&items);
    ctx_each(state_of, &items);
    if (items.len) buf_put(&b, items.data, items.len);
    buf_free(&items);
    buf_puts(&b, "]}");
    LEAVE(answer_buf(&b));
}

#ifndef PYBOX_BUILD_ID
#define PYBOX_BUILD_ID "unknown"
#endif

/* The guest's build: the inputs hash of wasm/manifest.json. A snapshot records it, and a host
 * restores a snapshot only into the very build that took it. Not an entry: no Python runs. */
EXPORT("pybox_build_id") uint8_t *pybox_build_id(void) {
    return answer_literal("{\"status\":\"ok\",\"build\":\"" PYBOX_BUILD_ID "\"}");
}
