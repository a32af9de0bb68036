/*
 * What user code touches of the host: the tool stubs and sys.stdout / sys.stderr.
 *
 * Both are C types. Their instances have no __dict__, no __globals__ and no Python frames, so
 * user code can neither reach the driver through them nor change how another context's calls
 * and output behave. A tool call binds its arguments like a Python function would, encodes
 * them to JSON in C (no user code runs) and either asks the host at once (a synchronous tool)
 * or hands the exec's event loop a Future the host completes later. Output is counted against
 * the exec's output limit here, as it is written.
 */
#include "pybox.h"
#include "structmember.h"
#include <string.h>

PyObject *g_tools = NULL;
PyObject *g_ToolError = NULL;
long long g_output_limit = 1 << 20;

static long long g_next_call_id = 1;
static PyObject *g_UnsupportedOperation = NULL;
static const char TRUNCATED[] = "\n[output truncated: the exec's output limit was reached]\n";

/* ---- output ------------------------------------------------------------------------------- */

static Run *current_run(void) {
    Ctx *c = g_entry ? g_entry->ctx : NULL;
    return c && c->run.active ? &c->run : NULL;
}

/* UTF-8 with lone surrogates replaced by U+FFFD (never three of them, never an error). */
static void send_text(int stream, PyObject *text, Py_ssize_t nchars) {
    Py_ssize_t size;
    if (nchars == PyUnicode_GET_LENGTH(text)) {
        const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
        if (utf8) {
            host_output(stream, utf8, (int32_t)size);
            return;
        }
        PyErr_Clear();
    }
    Buf b;
    buf_init(&b);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < nchars; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
        buf_put_utf8(&b, c);
        if (b.len >= 65536) {
            host_output(stream, b.data, (int32_t)b.len);
            b.len = 0;
        }
    }
    if (b.len) host_output(stream, b.data, (int32_t)b.len);
    buf_free(&b);
}

void output_text(int stream, PyObject *text) {
    Run *r = current_run();
    if (!r || r->out_truncated) return; /* outside an exec output has nowhere to go */
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n > r->out_left) {
        send_text(stream, text, r->out_left > 0 ? (Py_ssize_t)r->out_left : 0);
        host_output(stream, TRUNCATED, (int32_t)strlen(TRUNCATED));
        r->out_left = 0;
        r->out_truncated = 1;
        return;
    }
    r->out_left -= n;
    send_text(stream, text, n);
}

void output_cstr(int stream, const char *s) {
    PyObject *t = PyUnicode_FromString(s);
    if (t) {
        output_text(stream, t);
        Py_DECREF(t);
    }
    PyErr_Clear();
}

/* ---- sys.stdout / sys.stderr -------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    int fd;
    PyObject *name;
} StreamObject;

static PyObject *stream_write(StreamObject *self, PyObject *s) {
    if (!PyUnicode_Check(s)) {
        return PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s", Py_TYPE(s)->tp_name);
    }
    output_text(self->fd, s);
    return PyLong_FromSsize_t(PyUnicode_GET_LENGTH(s));
}

static PyObject *stream_writelines(StreamObject *self, PyObject *lines) {
    PyObject *it = PyObject_GetIter(lines);
    if (!it) return NULL;
    PyObject *line;
    while ((line = PyIter_Next(it))) {
        PyObject *r = stream_write(self, line);
        Py_DECREF(line);
        if (!r) {
            Py_DECREF(it);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

static PyObject *stream_none(PyObject *self, PyObject *unused) { Py_RETURN_NONE; }
static PyObject *stream_false(PyObject *self, PyObject *unused) { Py_RETURN_FALSE; }
static PyObject *stream_true(PyObject *self, PyObject *unused) { Py_RETURN_TRUE; }
static PyObject *stream_fileno(PyObject *self, PyObject *unused) {
    PyErr_SetString(g_UnsupportedOperation ? g_UnsupportedOperation : PyExc_OSError, "fileno");
    return NULL;
}

static PyObject *stream_get_true(PyObject *self, void *c) { Py_RETURN_FALSE; }
static PyObject *stream_get_encoding(PyObject *self, void *c) { return PyUnicode_FromString("utf-8"); }
static PyObject *stream_get_errors(PyObject *self, void *c) { return PyUnicode_FromString("replace"); }
static PyObject *stream_get_none(PyObject *self, void *c) { Py_RETURN_NONE; }

static PyMethodDef stream_methods[] = {
    {"write", (PyCFunction)stream_write, METH_O, "write(text) -> number of characters written"},
    {"writelines", (PyCFunction)stream_writelines, METH_O, NULL},
    {"flush", stream_none, METH_NOARGS, NULL},
    {"close", stream_none, METH_NOARGS, NULL},
    {"isatty", stream_false, METH_NOARGS, NULL},
    {"readable", stream_false, METH_NOARGS, NULL},
    {"seekable", stream_false, METH_NOARGS, NULL},
    {"writable", stream_true, METH_NOARGS, NULL},
    {"fileno", stream_fileno, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef stream_getset[] = {
    {"closed", stream_get_true, NULL, NULL, NULL},
    {"encoding", stream_get_encoding, NULL, NULL, NULL},
    {"errors", stream_get_errors, NULL, NULL, NULL},
    {"newlines", stream_get_none, NULL, NULL, NULL},
    {NULL},
};

static PyMemberDef stream_members[] = {
    {"name", Py_T_OBJECT_EX, offsetof(StreamObject, name), Py_READONLY, NULL},
    {NULL},
};

PyTypeObject StreamType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pybox.Stream",
    .tp_doc = "sys.stdout / sys.stderr of a PyBox exec: text goes to the host, within the output limit.",
    .tp_basicsize = sizeof(StreamObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = stream_methods,
    .tp_getset = stream_getset,
    .tp_members = stream_members,
};

PyObject *stream_new(int fd, const char *name) {
    StreamObject *s = PyObject_New(StreamObject, &StreamType);
    if (!s) return NULL;
    s->fd = fd;
    s->name = PyUnicode_FromString(name);
    if (!s->name) {
        Py_DECREF(s);
        return NULL;
    }
    return (PyObject *)s;
}

/* ---- sentinels shown in tool signatures --------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    const char *label;
} SentinelObject;

static PyObject *sentinel_repr(SentinelObject *self) { return PyUnicode_FromString(self->label); }

PyTypeObject SentinelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pybox.ToolDefault",
    .tp_basicsize = sizeof(SentinelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_repr = (reprfunc)sentinel_repr,
};

static SentinelObject g_optional = {PyObject_HEAD_INIT(&SentinelType) "<optional>"};

/* ---- tools --------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *name;     /* str */
    PyObject *doc;      /* str */
    PyObject *params;   /* tuple of str, in order */
    PyObject *required; /* frozenset of str */
    int extra;          /* accepts other keyword arguments */
    int sync;           /* the host may answer at once */
    PyObject *signature; /* inspect.Signature, made on first use */
} ToolObject;

static void tool_dealloc(ToolObject *self) {
    Py_XDECREF(self->name);
    Py_XDECREF(self->doc);
    Py_XDECREF(self->params);
    Py_XDECREF(self->required);
    Py_XDECREF(self->signature);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* meta: (name, doc, params tuple, required tuple, extra bool, sync bool) from the driver */
PyObject *tool_new(PyObject *meta) {
    PyObject *name, *doc, *params, *required;
    int extra, sync;
    if (!PyArg_ParseTuple(meta, "UUO!O!pp", &name, &doc, &PyTuple_Type, &params, &PyTuple_Type, &required,
                          &extra, &sync)) {
        return NULL;
    }
    ToolObject *t = PyObject_New(ToolObject, &ToolType);
    if (!t) return NULL;
    t->name = Py_NewRef(name);
    t->doc = Py_NewRef(doc);
    t->params = Py_NewRef(params);
    t->required = PyFrozenSet_New(required);
    t->extra = extra;
    t->sync = sync;
    t->signature = NULL;
    if (!t->required) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

static Py_ssize_t param_index(ToolObject *t, PyObject *key) {
    Py_ssize_t n = PyTuple_GET_SIZE(t->params);
    for (Py_ssize_t i = 0; i < n; i++) {
        /* PyUnicode_Compare reads the characters: a str subclass key runs no code */
        if (PyUnicode_Compare(PyTuple_GET_ITEM(t->params, i), key) == 0) return i;
    }
    PyErr_Clear();
    return -1;
}

/* Binds *args and **kwargs to the tool's parameters like a def would; a new dict. */
static PyObject *bind_args(ToolObject *t, PyObject *args, PyObject *kwargs) {
    Py_ssize_t np = PyTuple_GET_SIZE(t->params), na = PyTuple_GET_SIZE(args);
    if (na > np) {
        return PyErr_Format(PyExc_TypeError, "%U() takes %zd positional argument%s but %zd %s given", t->name, np,
                            np == 1 ? "" : "s", na, na == 1 ? "was" : "were");
    }
    PyObject **slots = PyMem_Calloc(np ? (size_t)np : 1, sizeof(PyObject *));
    if (!slots) return PyErr_NoMemory();
    PyObject *out = NULL, *extra = NULL;
    for (Py_ssize_t i = 0; i < na; i++) slots[i] = PyTuple_GET_ITEM(args, i);
    if (kwargs) {
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwargs, &pos, &k, &v)) {
            Py_ssize_t i = PyUnicode_Check(k) ? param_index(t, k) : -1;
            if (i >= 0) {
                if (slots[i]) {
                    PyErr_Format(PyExc_TypeError, "%U() got multiple values for argument '%U'", t->name,
                                 PyTuple_GET_ITEM(t->params, i));
                    goto done;
                }
                slots[i] = v;
            } else if (t->extra && PyUnicode_Check(k)) {
                if (!extra && !(extra = PyDict_New())) goto done;
                PyObject *key = PyUnicode_FromObject(k); /* an exact str copy */
                if (!key || PyDict_SetItem(extra, key, v) < 0) {
                    Py_XDECREF(key);
                    goto done;
                }
                Py_DECREF(key);
            } else {
                PyErr_Format(PyExc_TypeError, "%U() got an unexpected keyword argument '%S'", t->name, k);
                goto done;
            }
        }
    }
    out = PyDict_New();
    if (!out) goto done;
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *p = PyTuple_GET_ITEM(t->params, i);
        if (!slots[i]) {
            if (PySet_Contains(t->required, p) > 0) {
                PyErr_Format(PyExc_TypeError, "%U() missing required argument: '%U'", t->name, p);
                Py_CLEAR(out);
                goto done;
            }
            continue;
        }
        if (PyDict_SetItem(out, p, slots[i]) < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
    if (extra && PyDict_Update(out, extra) < 0) Py_CLEAR(out);
done:
    PyMem_Free(slots);
    Py_XDECREF(extra);
    return out;
}

PyObject *tool_error(PyObject *tool, PyObject *name, PyObject *message) {
    PyObject *cls = NULL;
    if (name && PyUnicode_Check(name)) {
        cls = PyDict_GetItemWithError(g_pristine_builtins, name); /* the standard classes only */
        PyErr_Clear();
    }
    if (!cls || !PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, (PyTypeObject *)PyExc_Exception) ||
        PyType_IsSubtype((PyTypeObject *)cls, (PyTypeObject *)PyExc_StopIteration) ||
        PyType_IsSubtype((PyTypeObject *)cls, (PyTypeObject *)PyExc_StopAsyncIteration)) {
        cls = g_ToolError;
    }
    PyObject *msg = message && PyUnicode_Check(message) && PyUnicode_GET_LENGTH(message) > 0
                        ? Py_NewRef(message)
                        : PyUnicode_FromFormat("tool %S failed", tool);
    if (!msg) return NULL;
    PyObject *exc = PyObject_CallOneArg(cls, msg);
    Py_DECREF(msg);
    if (exc && PyObject_SetAttrString(exc, "tool", tool) < 0) PyErr_Clear();
    return exc;
}

static PyObject *str_create_future = NULL; /* interned at bridge_init */

static PyObject *sealed_call(Ctx *c, const char *fn, PyObject *arg) {
    PyObject *f = c->sealed ? PyDict_GetItemString(c->sealed, fn) : NULL;
    if (!f) return PyErr_Format(PyExc_RuntimeError, "this context has no event loop for %s", fn);
    return PyObject_CallOneArg(f, arg);
}

/* The value V of the host's usual answer {"id":N,"ok":true,"value":V} (what engine/tools.ts
 * settleValue writes), decoded without the envelope's dict; NULL with no error set when the
 * answer has another form. */
static PyObject *ok_value(const char *s, size_t n) {
    static const char head[] = "{\"id\":", mid[] = ",\"ok\":true,\"value\":";
    size_t i = sizeof head - 1;
    if (n < i || memcmp(s, head, i) != 0) return NULL;
    if (i < n && s[i] == '-') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (n - i < sizeof mid || memcmp(s + i, mid, sizeof mid - 1) != 0 || s[n - 1] != '}') return NULL;
    i += sizeof mid - 1;
    return json_decode(s + i, n - 1 - i);
}

/* The host's synchronous answer: [u32 len][JSON {ok,value}|{ok:false,error}|{pending:id}]. */
static PyObject *call_sync(ToolObject *t, Buf *request, PyObject *args_json, int in_async, Ctx *c) {
    uint8_t *res = host_call_tool(request->data, (int32_t)request->len);
    if (!res) return NULL; /* the host cannot answer now: the caller goes asynchronous */
    uint32_t n;
    memcpy(&n, res, 4);
    PyObject *value = ok_value((const char *)res + 4, n);
    if (value || PyErr_Occurred()) {
        mem_free(res);
        if (!value) return NULL;
        if (!(in_async && c && c->sealed)) return value;
        PyObject *out = sealed_call(c, "_ready", value);
        Py_DECREF(value);
        return out;
    }
    PyObject *reply = json_decode((const char *)res + 4, n);
    mem_free(res);
    if (!reply) return NULL;
    PyObject *out = NULL;
    PyObject *pending = PyDict_Check(reply) ? PyDict_GetItemString(reply, "pending") : NULL;
    if (pending) {
        if (!c || !c->run.active || !c->run.task) {
            PyErr_Format(PyExc_RuntimeError, "%U() returned a promise: write `await %U(...)`", t->name, t->name);
            goto end;
        }
        PyObject *fut = PyObject_CallMethodNoArgs(c->loop, str_create_future);
        PyObject *entry = fut ? PyTuple_Pack(3, fut, t->name, args_json) : NULL;
        if (entry && PyDict_SetItem(c->run.calls, pending, entry) == 0) out = sealed_call(c, "_await", fut);
        Py_XDECREF(entry);
        Py_XDECREF(fut);
        goto end;
    }
    PyObject *ok = PyDict_Check(reply) ? PyDict_GetItemString(reply, "ok") : NULL;
    if (ok == Py_True) {
        PyObject *value = PyDict_GetItemString(reply, "value");
        value = value ? value : Py_None;
        out = in_async && c && c->sealed ? sealed_call(c, "_ready", value) : Py_NewRef(value);
        goto end;
    }
    PyObject *err = PyDict_Check(reply) ? PyDict_GetItemString(reply, "error") : NULL;
    PyObject *exc = tool_error(t->name, err && PyDict_Check(err) ? PyDict_GetItemString(err, "name") : NULL,
                               err && PyDict_Check(err) ? PyDict_GetItemString(err, "message") : NULL);
    if (!exc) goto end;
    if (in_async && c && c->sealed) {
        out = sealed_call(c, "_raise", exc);
    } else {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    }
    Py_DECREF(exc);
end:
    Py_DECREF(reply);
    return out;
}

static PyObject *tool_call(ToolObject *t, PyObject *args, PyObject *kwargs) {
    PyObject *bound = bind_args(t, args, kwargs);
    if (!bound) return NULL;
    Buf req;
    buf_init(&req);
    buf_puts(&req, "{\"tool\":");
    buf_put_json_str(&req, t->name, -1);
    buf_puts(&req, ",\"args\":");
    size_t args_at = req.len;
    int rc = json_encode(&req, bound, 0);
    Py_DECREF(bound);
    if (rc < 0) {
        PyObject *exc = PyErr_GetRaisedException();
        PyObject *msg = exc ? PyObject_Str(exc) : NULL;
        PyErr_Format(exc && PyErr_GivenExceptionMatches(exc, PyExc_ValueError) ? PyExc_ValueError : PyExc_TypeError,
                     "%U(): arguments must be JSON-serialisable (%S)", t->name, msg ? msg : Py_None);
        Py_XDECREF(msg);
        Py_XDECREF(exc);
        buf_free(&req);
        return NULL;
    }
    buf_putc(&req, '}');
    if (req.failed) {
        buf_free(&req);
        return PyErr_NoMemory();
    }
    Ctx *c = g_entry ? g_entry->ctx : NULL;
    PyFrameObject *frame = PyEval_GetFrame();
    int in_async = 0;
    if (frame) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        in_async = (code->co_flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR)) != 0;
        Py_DECREF(code);
    }
    PyObject *out = NULL;
    PyObject *json = PyBytes_FromStringAndSize(req.data + args_at, (Py_ssize_t)(req.len - args_at - 1));
    if (!json) {
        buf_free(&req);
        return NULL;
    }
    if (t->sync) {
        out = call_sync(t, &req, json, in_async, c);
        if (out || PyErr_Occurred()) {
            Py_DECREF(json);
            buf_free(&req);
            return out;
        }
    }
    Run *r = c && c->run.active && c->run.task ? &c->run : NULL;
    if (!r || !c->loop || !c->sealed) {
        Py_DECREF(json);
        buf_free(&req);
        return PyErr_Format(PyExc_RuntimeError,
                            "%U() is asynchronous here: write `await %U(...)` (top-level await works; "
                            "use asyncio.gather to run calls concurrently)",
                            t->name, t->name);
    }
    PyObject *fut = PyObject_CallMethodNoArgs(c->loop, str_create_future);
    PyObject *id = fut ? PyLong_FromLongLong(g_next_call_id++) : NULL;
    PyObject *entry = id ? PyTuple_Pack(3, id, t->name, json) : NULL;
    PyObject *call = entry ? PyTuple_Pack(3, fut, t->name, json) : NULL;
    if (call && PyDict_SetItem(r->calls, id, call) == 0 && PyList_Append(r->unsent, entry) == 0) {
        out = sealed_call(c, "_await", fut);
    }
    Py_XDECREF(call);
    Py_XDECREF(entry);
    Py_XDECREF(json);
    Py_XDECREF(id);
    Py_XDECREF(fut);
    buf_free(&req);
    return out;
}

static PyObject *tool_repr(ToolObject *t) {
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *joined = sep ? PyUnicode_Join(sep, t->params) : NULL;
    Py_XDECREF(sep);
    if (!joined) return NULL;
    PyObject *out = PyUnicode_FromFormat("<tool %U(%U)>", t->name, joined);
    Py_DECREF(joined);
    return out;
}

static PyObject *tool_descr_get(PyObject *self, PyObject *obj, PyObject *type) { return Py_NewRef(self); }

static PyObject *tool_get_doc(ToolObject *t, void *c) { return Py_NewRef(t->doc); }
static PyObject *tool_get_name(ToolObject *t, void *c) { return Py_NewRef(t->name); }
static PyObject *tool_get_module(ToolObject *t, void *c) { return PyUnicode_FromString("tools"); }

/* inspect.Signature for help() and inspect.signature(), made when first asked for. */
static PyObject *tool_get_signature(ToolObject *t, void *c) {
    if (t->signature) return Py_NewRef(t->signature);
    PyObject *inspect = PyImport_ImportModule("inspect");
    if (!inspect) return NULL;
    PyObject *Parameter = PyObject_GetAttrString(inspect, "Parameter");
    PyObject *Signature = PyObject_GetAttrString(inspect, "Signature");
    PyObject *kind = Parameter ? PyObject_GetAttrString(Parameter, "POSITIONAL_OR_KEYWORD") : NULL;
    PyObject *varkw = Parameter ? PyObject_GetAttrString(Parameter, "VAR_KEYWORD") : NULL;
    PyObject *list = PyList_New(0);
    PyObject *sig = NULL;
    if (!Parameter || !Signature || !kind || !varkw || !list) goto done;
    int seen_default = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t->params); i++) {
        PyObject *p = PyTuple_GET_ITEM(t->params, i);
        int req = PySet_Contains(t->required, p) > 0;
        PyObject *kw = PyDict_New();
        if (!kw) goto done;
        if (!req || seen_default) {
            seen_default = 1;
            PyDict_SetItemString(kw, "default", req ? Py_Ellipsis : (PyObject *)&g_optional);
        }
        PyObject *a = Py_BuildValue("(OO)", p, kind);
        PyObject *param = a ? PyObject_Call(Parameter, a, kw) : NULL;
        Py_XDECREF(a);
        Py_DECREF(kw);
        if (!param || PyList_Append(list, param) < 0) {
            Py_XDECREF(param);
            goto done;
        }
        Py_DECREF(param);
    }
    if (t->extra) {
        PyObject *param = PyObject_CallFunction(Parameter, "sO", "kwargs", varkw);
        if (!param || PyList_Append(list, param) < 0) {
            Py_XDECREF(param);
            goto done;
        }
        Py_DECREF(param);
    }
    sig = PyObject_CallOneArg(Signature, list);
    if (sig) t->signature = Py_NewRef(sig);
done:
    Py_XDECREF(list);
    Py_XDECREF(varkw);
    Py_XDECREF(kind);
    Py_XDECREF(Signature);
    Py_XDECREF(Parameter);
    Py_DECREF(inspect);
    return sig;
}

static PyGetSetDef tool_getset[] = {
    {"__doc__", (getter)tool_get_doc, NULL, NULL, NULL},
    {"__name__", (getter)tool_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)tool_get_name, NULL, NULL, NULL},
    {"__module__", (getter)tool_get_module, NULL, NULL, NULL},
    {"__signature__", (getter)tool_get_signature, NULL, NULL, NULL},
    {NULL},
};

PyTypeObject ToolType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pybox.Tool",
    .tp_doc = "A host tool: call it (await it in async code) like a function.",
    .tp_basicsize = sizeof(ToolObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)tool_dealloc,
    .tp_call = (ternaryfunc)tool_call,
    .tp_repr = (reprfunc)tool_repr,
    .tp_descr_get = tool_descr_get,
    .tp_getset = tool_getset,
};

int bridge_init(void) {
    if (PyType_Ready(&StreamType) < 0 || PyType_Ready(&SentinelType) < 0 || PyType_Ready(&ToolType) < 0) return -1;
    g_tools = PyDict_New();
    g_ToolError = PyErr_NewExceptionWithDoc(
        "builtins.ToolError", "A host tool failed with an error that has no Python builtin equivalent.",
        PyExc_Exception, NULL);
    PyObject *io = PyImport_ImportModule("io");
    g_UnsupportedOperation = io ? PyObject_GetAttrString(io, "UnsupportedOperation") : NULL;
    Py_XDECREF(io);
    str_create_future = PyUnicode_InternFromString("create_future");
    if (!g_tools || !g_ToolError || !g_UnsupportedOperation || !str_create_future) return -1;
    return PyDict_SetItemString(g_builtins, "ToolError", g_ToolError);
}
