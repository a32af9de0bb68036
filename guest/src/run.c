/*
 * Running user code: exec, resume, cancel.
 *
 * C runs user code itself — PyEval_EvalCode for plain code; for code that awaits, a Task of
 * the context's event loop, stepped by the loop's _pybox_step() — so no driver frame is ever above
 * user code. Top-level code that awaits therefore runs inside an asyncio Task, like the body
 * of `async def main()`: TaskGroup, asyncio.timeout and current_task() work at top level.
 *
 * When nothing is ready the step returns: the exec then answers `suspended` with the tool
 * calls made since (and the next timer), and resume() completes
 * their Futures and runs the loop again. Errors are described here in plain data (type
 * names, messages, frames — user __str__ runs from C, under the entry's limits) and the
 * driver only turns that into traceback text.
 */
#include "pybox.h"
#include <string.h>

PyObject *g_Suspend = NULL;
PyObject *g_drv_compile = NULL, *g_drv_format = NULL, *g_drv_tools = NULL, *g_loop_code = NULL, *g_await_code = NULL;
Py_ssize_t g_result_limit = 1 << 20;

static PyObject *g_base_events = NULL, *g_time_mod = NULL, *g_suspend_fn = NULL, *g_stop_fn = NULL,
                *g_noop_fn = NULL, *g_value_name = NULL, *g_builtins_mod = NULL;

static PyObject *str_step = NULL, *str_done = NULL, *str_result = NULL, *str_loop_name = NULL;
static PyObject *str_set_result = NULL, *str_set_exception = NULL, *g_heappop = NULL;

#define MAX_CHAIN 32
#define MAX_FRAMES 100

/* ---- plain descriptions of exceptions ------------------------------------------------------ */

static PyObject *exact_str_or(PyObject *s, const char *fallback) {
    if (s && PyUnicode_CheckExact(s)) return Py_NewRef(s);
    if (s && PyUnicode_Check(s)) return PyUnicode_FromObject(s); /* an exact copy */
    return PyUnicode_FromString(fallback);
}

static PyObject *type_name(PyObject *exc) {
    PyTypeObject *t = Py_TYPE(exc);
    PyObject *qual = PyType_GetQualName(t);
    PyObject *mod = PyType_GetModuleName(t);
    PyErr_Clear();
    PyObject *q = exact_str_or(qual, t->tp_name);
    Py_XDECREF(qual);
    if (!q) {
        Py_XDECREF(mod);
        return NULL;
    }
    if (mod && PyUnicode_Check(mod) && PyUnicode_CompareWithASCIIString(mod, "builtins") != 0 &&
        PyUnicode_CompareWithASCIIString(mod, "__main__") != 0) {
        PyObject *full = PyUnicode_FromFormat("%U.%U", mod, q);
        Py_DECREF(q);
        q = full;
    }
    Py_XDECREF(mod);
    return q;
}

/* str(exc) as CPython prints it (KeyError: repr of its key), cut at the result limit. */
static PyObject *message_of(PyObject *exc) {
    PyObject *text = NULL;
    if (PyErr_GivenExceptionMatches(exc, PyExc_SyntaxError)) {
        PyObject *msg = ((PySyntaxErrorObject *)exc)->msg;
        text = exact_str_or(msg, "");
    } else {
        PyObject *args = ((PyBaseExceptionObject *)exc)->args;
        if (PyErr_GivenExceptionMatches(exc, PyExc_KeyError) && args && PyTuple_Check(args) &&
            PyTuple_GET_SIZE(args) == 1) {
            int cut = 0;
            text = repr_bounded(PyTuple_GET_ITEM(args, 0), g_result_limit, &cut);
        } else {
            text = PyObject_Str(exc);
        }
        if (!text || !PyUnicode_Check(text)) {
            Py_XDECREF(text);
            PyErr_Clear();
            text = PyUnicode_FromString("<unprintable exception>");
        }
    }
    if (text && PyUnicode_GET_LENGTH(text) > g_result_limit) {
        PyObject *cut = PyUnicode_Substring(text, 0, g_result_limit);
        Py_DECREF(text);
        text = cut ? PyUnicode_FromFormat("%U…[truncated]", cut) : NULL;
        Py_XDECREF(cut);
    }
    return text;
}

static PyObject *frames_of(PyObject *exc) {
    PyObject *list = PyList_New(0);
    if (!list) return NULL;
    PyObject *tbo = PyException_GetTraceback(exc);
    Py_ssize_t total = 0;
    for (PyTracebackObject *tb = (PyTracebackObject *)tbo; tb && PyTraceBack_Check(tb); tb = tb->tb_next) total++;
    Py_ssize_t index = 0;
    for (PyTracebackObject *tb = (PyTracebackObject *)tbo; tb && PyTraceBack_Check(tb); tb = tb->tb_next, index++) {
        if (total > MAX_FRAMES && index >= MAX_FRAMES / 2 && index < total - MAX_FRAMES / 2) {
            if (index == MAX_FRAMES / 2) {
                PyObject *gap = Py_BuildValue("(snO)", "...", total - MAX_FRAMES, Py_None);
                if (!gap || PyList_Append(list, gap) < 0) {
                    Py_XDECREF(gap);
                    goto fail;
                }
                Py_DECREF(gap);
            }
            continue;
        }
        PyCodeObject *code = PyFrame_GetCode(tb->tb_frame);
        PyObject *filename = exact_str_or(code->co_filename, "?");
        PyObject *name = exact_str_or(code->co_name, "?");
        int lineno = tb->tb_lineno >= 0 ? tb->tb_lineno : PyCode_Addr2Line(code, tb->tb_lasti);
        Py_DECREF(code);
        if (!filename || !name) {
            Py_XDECREF(filename);
            Py_XDECREF(name);
            goto fail;
        }
        const char *f8 = PyUnicode_AsUTF8(filename);
        if (f8 && (strncmp(f8, "<pybox", 6) == 0 || strstr(f8, "/_pybox/"))) { /* the guest's own frames */
            Py_DECREF(filename);
            Py_DECREF(name);
            continue;
        }
        PyErr_Clear();
        PyObject *item = Py_BuildValue("(NiN)", filename, lineno, name);
        if (!item || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
    }
    Py_XDECREF(tbo);
    return list;
fail:
    Py_XDECREF(tbo);
    Py_DECREF(list);
    return NULL;
}

static PyObject *syntax_of(PyObject *exc) {
    if (!PyErr_GivenExceptionMatches(exc, PyExc_SyntaxError)) return Py_NewRef(Py_None);
    PySyntaxErrorObject *se = (PySyntaxErrorObject *)exc;
#define INT_OR_NONE(o) ((o) && PyLong_CheckExact(o) ? (o) : Py_None)
    PyObject *filename = se->filename && PyUnicode_Check(se->filename) ? exact_str_or(se->filename, "") : Py_NewRef(Py_None);
    PyObject *text = se->text && PyUnicode_Check(se->text) ? exact_str_or(se->text, "") : Py_NewRef(Py_None);
    if (!filename || !text) {
        Py_XDECREF(filename);
        Py_XDECREF(text);
        return NULL;
    }
    return Py_BuildValue("(NOOOON)", filename, INT_OR_NONE(se->lineno), INT_OR_NONE(se->offset),
                         INT_OR_NONE(se->end_lineno), INT_OR_NONE(se->end_offset), text);
#undef INT_OR_NONE
}

/* [(link, type, message, frames, syntax)] in the order CPython prints them: the first cause
 * first; link is "", "cause" or "context" (how it relates to the one printed before). */
PyObject *describe_exception(PyObject *exc) {
    PyObject *chain[MAX_CHAIN + 1];
    int n = 0, omitted = 0;
    chain[n++] = exc;
    for (PyObject *cur = exc; n <= MAX_CHAIN;) {
        PyObject *next = PyException_GetCause(cur);
        if (!next && !((PyBaseExceptionObject *)cur)->suppress_context) next = PyException_GetContext(cur);
        Py_XDECREF(next); /* borrowed from here on: cur keeps it alive */
        if (!next || !PyExceptionInstance_Check(next)) break;
        int seen = 0;
        for (int i = 0; i < n; i++) seen |= chain[i] == next;
        if (seen) break;
        if (n == MAX_CHAIN) {
            omitted = 1;
            break;
        }
        chain[n++] = next;
        cur = next;
    }
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    for (int i = n - 1; i >= 0; i--) {
        PyObject *e = chain[i];
        const char *link = "";
        if (i < n - 1) {
            PyObject *cause = PyException_GetCause(e);
            link = cause == chain[i + 1] ? "cause" : "context";
            Py_XDECREF(cause);
        } else if (omitted) {
            link = "omitted";
        }
        PyObject *item = Py_BuildValue("(sNNNN)", link, type_name(e), message_of(e), frames_of(e), syntax_of(e));
        if (!item || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
    }
    return out;
}

static uint8_t *answer_time_limit(void) {
    return answer_literal("{\"status\":\"error\",\"error\":{\"type\":\"TimeLimitExceeded\","
                          "\"message\":\"time limit exceeded\",\"traceback\":\"\"}}");
}

/* The answer for an exception user code raised (steals the reference). */
uint8_t *answer_from_exception(PyObject *exc, Ctx *c) {
    if (g_entry && g_entry->stopped) {
        Py_XDECREF(exc);
        return answer_time_limit();
    }
    if (!exc) return answer_fail("SystemError", "an error without an exception");
    PyObject *desc = describe_exception(exc);
    PyObject *text = NULL;
    if (desc) {
        int checks = entry_checks_off(); /* bounded work on plain data */
        int gc = PyGC_Disable();
        text = PyObject_CallFunctionObjArgs(g_drv_format, desc, c ? c->sources : Py_None, NULL);
        if (gc) PyGC_Enable();
        entry_checks_restore(checks);
    }
    PyErr_Clear();
    if (g_entry && g_entry->stopped) {
        Py_XDECREF(desc);
        Py_XDECREF(text);
        Py_DECREF(exc);
        return answer_time_limit();
    }
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"error\",\"error\":{\"type\":");
    PyObject *last = desc && PyList_GET_SIZE(desc) ? PyList_GET_ITEM(desc, PyList_GET_SIZE(desc) - 1) : NULL;
    if (last) {
        buf_put_json_str(&b, PyTuple_GET_ITEM(last, 1), -1);
        buf_puts(&b, ",\"message\":");
        buf_put_json_str(&b, PyTuple_GET_ITEM(last, 2), -1);
    } else {
        buf_put_json_cstr(&b, Py_TYPE(exc)->tp_name);
        buf_puts(&b, ",\"message\":\"\"");
    }
    buf_puts(&b, ",\"traceback\":");
    if (text && PyUnicode_Check(text)) {
        buf_put_json_str(&b, text, 4 * g_result_limit);
    } else {
        buf_puts(&b, "\"\"");
    }
    buf_puts(&b, "}}");
    Py_XDECREF(desc);
    Py_XDECREF(text);
    Py_DECREF(exc);
    return answer_buf(&b);
}

/* ---- the event loop of a context --------------------------------------------------------- */

static PyObject *suspend_fn(PyObject *self, PyObject *timeout) {
    PyObject *args = PyTuple_Pack(1, timeout);
    if (args) {
        PyErr_SetObject(g_Suspend, args);
        Py_DECREF(args);
    }
    return NULL;
}

static PyObject *stop_fn(PyObject *self, PyObject *task) {
    PyObject *loop = PyObject_CallMethod(task, "get_loop", NULL);
    if (!loop) return NULL;
    PyObject *r = PyObject_CallMethod(loop, "stop", NULL);
    Py_DECREF(loop);
    return r;
}

static PyObject *noop_fn(PyObject *self, PyObject *args) { Py_RETURN_NONE; }

static PyMethodDef g_suspend_def = {"suspend", suspend_fn, METH_O, NULL};
static PyMethodDef g_stop_def = {"stop_loop", stop_fn, METH_O, NULL};
static PyMethodDef g_noop_def = {"ignore", noop_fn, METH_VARARGS, NULL};

/* Each context gets its own loop classes, made in a namespace of their own: changing them
 * changes nothing for other contexts. */
static int ensure_loop(Ctx *c) {
    if (c->loop) return 0;
    PyObject *ns = PyDict_New();
    if (!ns) return -1;
    if (PyDict_SetItemString(ns, "__builtins__", g_builtins_mod) < 0 ||
        PyDict_SetItemString(ns, "__name__", str_loop_name) < 0 ||
        PyDict_SetItemString(ns, "_base_events", g_base_events) < 0 ||
        PyDict_SetItemString(ns, "_time", g_time_mod) < 0 || PyDict_SetItemString(ns, "_suspend", g_suspend_fn) < 0 ||
        PyDict_SetItemString(ns, "_heappop", g_heappop) < 0) {
        Py_DECREF(ns);
        return -1;
    }
    PyObject *r = PyEval_EvalCode(g_loop_code, ns, ns);
    if (!r) {
        Py_DECREF(ns);
        return -1;
    }
    Py_DECREF(r);
    PyObject *cls = PyDict_GetItemString(ns, "Loop");
    PyObject *loop = cls ? PyObject_CallNoArgs(cls) : NULL;
    if (!loop) {
        Py_DECREF(ns);
        return -1;
    }
    /* the loop runs for good: is_running() is true and run_forever() refuses, as in any
     * coroutine; C sets it as the running loop around each step */
    PyObject *one = PyLong_FromLong(1);
    int rc = one ? PyObject_SetAttrString(loop, "_thread_id", one) : -1;
    if (rc == 0) rc = PyObject_SetAttrString(loop, "_pybox_stepping", Py_True); /* select() never waits */
    Py_XDECREF(one);
    if (rc < 0) {
        Py_DECREF(loop);
        Py_DECREF(ns);
        return -1;
    }
    c->loop = loop;
    c->sealed = ns;
    return 0;
}

/* asyncio.run() / new_event_loop() inside a plain function: a fresh loop of the current
 * context's classes (it can run timers; tool calls need top-level await). */
static PyObject *new_loop_fn(PyObject *self, PyObject *unused) {
    Ctx *c = g_entry ? g_entry->ctx : NULL;
    if (!c) return PyErr_Format(PyExc_RuntimeError, "no PyBox context is running");
    if (ensure_loop(c) < 0) return NULL;
    PyObject *cls = PyDict_GetItemString(c->sealed, "Loop");
    return cls ? PyObject_CallNoArgs(cls) : NULL;
}
static PyMethodDef g_new_loop_def = {"new_event_loop", new_loop_fn, METH_NOARGS, NULL};

/* ---- runs --------------------------------------------------------------------------------- */

static void run_clear(Run *r) {
    Py_CLEAR(r->task);
    if (r->calls) PyDict_Clear(r->calls);
    if (r->unsent) PyList_SetSlice(r->unsent, 0, PyList_GET_SIZE(r->unsent), NULL);
    Py_CLEAR(r->sys_stdout);
    Py_CLEAR(r->sys_stderr);
    r->active = 0;
    PyErr_Clear();
}

void run_reset(Ctx *c) {
    Run *r = &c->run;
    if (r->task) {
        /* quiet: a dropped task must not print "Task was destroyed but it is pending!" */
        if (c->loop) {
            PyObject *x = PyObject_CallMethod(c->loop, "set_exception_handler", "O", g_noop_fn);
            Py_XDECREF(x);
        }
        PyObject *coro = PyObject_CallMethod(r->task, "get_coro", NULL);
        if (coro && coro != Py_None) {
            PyObject *x = PyObject_CallMethod(coro, "close", NULL); /* user `finally` runs here */
            Py_XDECREF(x);
        }
        Py_XDECREF(coro);
        PyErr_Clear();
    }
    run_clear(r);
    if (r->stale) {
        Py_CLEAR(c->loop);
        Py_CLEAR(c->sealed);
        r->stale = 0;
    }
}

static int ensure_run_lists(Run *r) {
    if (!r->calls && !(r->calls = PyDict_New())) return -1;
    if (!r->unsent && !(r->unsent = PyList_New(0))) return -1;
    return 0;
}

/* The trailing expression's value: {"status":"ok", repr, value?, truncated?}. */
static uint8_t *finish_ok(Ctx *c, int has_value) {
    if (protect_check() < 0) return answer_from_exception(PyErr_GetRaisedException(), c);
    if (!has_value) return answer_ok();
    g_host_binding++;
    PyObject *value = PyDict_GetItemWithError(c->ns, g_value_name);
    Py_XINCREF(value);
    if (value) PyDict_DelItem(c->ns, g_value_name);
    g_host_binding--;
    PyErr_Clear();
    if (!value || value == Py_None) {
        Py_XDECREF(value);
        return answer_ok();
    }
    Buf json;
    buf_init(&json);
    int rc = json_encode(&json, value, (size_t)g_result_limit);
    if (rc == -1) PyErr_Clear();
    int cut = 0;
    PyObject *text = repr_bounded(value, g_result_limit, &cut);
    if (!text) {
        PyObject *exc = PyErr_GetRaisedException();
        if (g_entry && g_entry->stopped) {
            Py_XDECREF(exc);
            Py_DECREF(value);
            buf_free(&json);
            return answer_time_limit();
        }
        PyObject *tn = exc ? type_name(exc) : NULL;
        text = PyUnicode_FromFormat("<repr failed: %U>", tn ? tn : Py_None);
        Py_XDECREF(tn);
        Py_XDECREF(exc);
        PyErr_Clear();
    }
    Py_DECREF(value);
    if (g_entry && g_entry->stopped) {
        Py_XDECREF(text);
        buf_free(&json);
        return answer_time_limit();
    }
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"ok\",\"repr\":");
    if (text) {
        buf_put_json_str(&b, text, -1);
        if (cut && !b.failed) {
            b.len--; /* reopen the repr's string to mark the cut inside it */
            buf_puts(&b, "…[truncated]\"");
        }
    } else {
        buf_puts(&b, "\"\"");
    }
    Py_XDECREF(text);
    if (rc == 0 && !json.failed) {
        buf_puts(&b, ",\"value\":");
        buf_put(&b, json.data, json.len);
    }
    if (cut || rc == -2) buf_puts(&b, ",\"truncated\":true");
    buf_putc(&b, '}');
    buf_free(&json);
    return answer_buf(&b);
}

static uint8_t *finish_error(Ctx *c, PyObject *exc) {
    protect_forget(); /* the protected values are back either way */
    return answer_from_exception(exc, c);
}

static uint8_t *suspended_answer(Ctx *c, PyObject *timeout) {
    Run *r = &c->run;
    Py_ssize_t n = PyList_GET_SIZE(r->unsent);
    if (n == 0 && PyDict_GET_SIZE(r->calls) == 0 && timeout == Py_None) {
        PyErr_SetString(PyExc_RuntimeError, "deadlock: the code awaits something that can never complete");
        PyObject *exc = PyErr_GetRaisedException();
        r->stale = 1;
        run_reset(c);
        return finish_error(c, exc);
    }
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"suspended\",\"requests\":[");
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(r->unsent, i);
        if (i) buf_putc(&b, ',');
        buf_puts(&b, "{\"id\":");
        buf_put_i64(&b, PyLong_AsLongLong(PyTuple_GET_ITEM(e, 0)));
        buf_puts(&b, ",\"tool\":");
        buf_put_json_str(&b, PyTuple_GET_ITEM(e, 1), -1);
        buf_puts(&b, ",\"args\":");
        PyObject *json = PyTuple_GET_ITEM(e, 2);
        buf_put(&b, PyBytes_AS_STRING(json), (size_t)PyBytes_GET_SIZE(json));
        buf_putc(&b, '}');
    }
    PyList_SetSlice(r->unsent, 0, n, NULL);
    buf_putc(&b, ']');
    if (timeout != Py_None) {
        double t = PyFloat_AsDouble(timeout);
        if (!PyErr_Occurred()) {
            buf_puts(&b, ",\"wakeAfterMs\":");
            buf_put_double(&b, t * 1000.0);
        }
        PyErr_Clear();
    }
    buf_putc(&b, '}');
    /* what the exec set as sys.stdout/stderr (redirect_stdout across an await) comes back */
    Py_XSETREF(r->sys_stdout, Py_XNewRef(PySys_GetObject("stdout")));
    Py_XSETREF(r->sys_stderr, Py_XNewRef(PySys_GetObject("stderr")));
    return answer_buf(&b);
}

/* Runs the context's loop until the exec's task is done or must wait for the host. */
static uint8_t *step(Ctx *c) {
    Run *r = &c->run;
    if (hooks_enter_loop(c->loop) < 0) goto loop_failed;
    for (int rounds = 0;; rounds++) {
        PyObject *res = PyObject_CallMethodNoArgs(c->loop, str_step);
        if (!res) {
            if (PyErr_ExceptionMatches(g_Suspend)) { /* a select() that was asked to wait */
                PyObject *exc = PyErr_GetRaisedException();
                PyObject *args = ((PyBaseExceptionObject *)exc)->args;
                res = args && PyTuple_Check(args) && PyTuple_GET_SIZE(args) == 1 ? PyTuple_GET_ITEM(args, 0) : Py_None;
                Py_INCREF(res);
                Py_DECREF(exc);
            } else {
                goto loop_failed;
            }
        }
        if (res != Py_None) {
            double t = PyFloat_AsDouble(res);
            Py_DECREF(res);
            if (PyErr_Occurred()) goto loop_failed;
            if (g_entry->stopped) { /* the stop fired inside the loop's own code */
                r->stale = 1;
                run_reset(c);
                return answer_time_limit();
            }
            PyObject *timeout = t >= 0 ? PyFloat_FromDouble(t) : Py_NewRef(Py_None);
            if (!timeout) goto loop_failed;
            uint8_t *ans = suspended_answer(c, timeout);
            Py_DECREF(timeout);
            return ans;
        }
        Py_DECREF(res);
        PyObject *done = PyObject_CallMethodNoArgs(r->task, str_done);
        int is_done = done == Py_True;
        Py_XDECREF(done);
        if (!done) goto loop_failed;
        if (is_done) break;
        if (rounds > 1000) {
            PyErr_SetString(PyExc_RuntimeError, "the event loop was stopped again and again while the exec ran");
            goto loop_failed;
        }
    }
    {
        PyObject *res = PyObject_CallMethodNoArgs(r->task, str_result);
        int has_value = r->has_value;
        if (!res) {
            PyObject *exc = PyErr_GetRaisedException();
            run_reset(c);
            return finish_error(c, exc);
        }
        Py_DECREF(res);
        run_reset(c);
        return finish_ok(c, has_value);
    }
loop_failed: {
    /* a stop inside the loop's own code (time limit, interrupt): its state is unknown */
    PyObject *exc = PyErr_GetRaisedException();
    r->stale = 1;
    run_reset(c);
    return finish_error(c, exc);
}
}

uint8_t *run_exec(Ctx *c, PyObject *source, PyObject *filename) {
    Run *r = &c->run;
    if (r->active) return answer_fail("ContextBusy", "the context is running an exec that has not finished");
    if (r->task || r->stale) run_reset(c);
    if (ensure_run_lists(r) < 0) return answer_from_exception(PyErr_GetRaisedException(), c);
    r->out_left = g_output_limit;
    r->out_truncated = 0;
    r->active = 1;
    Py_SetRecursionLimit(1000); /* a limit one exec raised must not outlive it */
    PyObject *protected = ctx_protected_names(c);
    int gc = PyGC_Disable();
    PyObject *compiled = protected ? PyObject_CallFunctionObjArgs(g_drv_compile, source, filename, protected, NULL) : NULL;
    if (gc) PyGC_Enable();
    Py_XDECREF(protected);
    PyObject *code, *lines;
    int is_async, has_value;
    if (!compiled || !PyArg_ParseTuple(compiled, "O!ppO!", &PyCode_Type, &code, &is_async, &has_value, &PyList_Type, &lines)) {
        Py_XDECREF(compiled);
        PyObject *exc = PyErr_GetRaisedException();
        run_clear(r);
        return answer_from_exception(exc, c);
    }
    PyDict_SetItem(c->sources, filename, lines);
    PyErr_Clear();
    if (!is_async) {
        PyObject *v = PyEval_EvalCode(code, c->ns, c->ns);
        Py_DECREF(compiled);
        if (!v) {
            PyObject *exc = PyErr_GetRaisedException();
            run_clear(r);
            return finish_error(c, exc);
        }
        Py_DECREF(v);
        uint8_t *ans = finish_ok(c, has_value);
        run_clear(r);
        return ans;
    }
    PyObject *coro = PyEval_EvalCode(code, c->ns, c->ns);
    Py_DECREF(compiled);
    if (!coro || ensure_loop(c) < 0) {
        Py_XDECREF(coro);
        PyObject *exc = PyErr_GetRaisedException();
        run_clear(r);
        return finish_error(c, exc);
    }
    PyObject *task = PyObject_CallMethod(c->loop, "create_task", "O", coro);
    Py_DECREF(coro);
    PyObject *added = task ? PyObject_CallMethod(task, "add_done_callback", "O", g_stop_fn) : NULL;
    if (!added) {
        Py_XDECREF(task);
        PyObject *exc = PyErr_GetRaisedException();
        r->stale = 1;
        run_reset(c);
        return finish_error(c, exc);
    }
    Py_DECREF(added);
    r->task = task;
    r->has_value = has_value;
    return step(c);
}

/* Whether the ASCII literal `lit` is at *i in text (and steps over it). */
static int match_at(PyObject *text, Py_ssize_t *i, const char *lit) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), k = *i;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (; *lit; lit++, k++) {
        if (k >= n || PyUnicode_READ(kind, data, k) != (Py_UCS4)(unsigned char)*lit) return 0;
    }
    *i = k;
    return 1;
}

/* The host's results in the form engine/tools.ts writes them,
 * {"results":[{"id":N,"ok":true,"value":V} or {"id":N,"ok":false,"error":E}, ...]}, as a list
 * of (id, ok, V or E) tuples: the JSON scanner reads V and E only, no envelope dicts are
 * made. NULL with no error set when the text has another form. */
static PyObject *results_fast(PyObject *text) {
    Py_ssize_t i = 0, n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (!match_at(text, &i, "{\"results\":[")) return NULL;
    PyObject *items = PyList_New(0);
    if (!items) return NULL;
    if (match_at(text, &i, "]}")) goto end;
    for (;;) {
        if (!match_at(text, &i, "{\"id\":")) goto other;
        Py_ssize_t from = i;
        if (i < n && PyUnicode_READ(kind, data, i) == '-') i++;
        while (i < n && i - from < 18 && Py_UNICODE_ISDIGIT(PyUnicode_READ(kind, data, i))) i++;
        PyObject *digits = PyUnicode_Substring(text, from, i);
        PyObject *id = digits ? PyLong_FromUnicodeObject(digits, 10) : NULL;
        Py_XDECREF(digits);
        if (!id) {
            PyErr_Clear();
            goto other;
        }
        int ok = match_at(text, &i, ",\"ok\":true,\"value\":");
        if (!ok && !match_at(text, &i, ",\"ok\":false,\"error\":")) {
            Py_DECREF(id);
            goto other;
        }
        PyObject *v = json_scan(text, i, &i);
        PyObject *item = v ? PyTuple_Pack(3, id, ok ? Py_True : Py_False, v) : NULL;
        Py_DECREF(id);
        Py_XDECREF(v);
        if (!item || !match_at(text, &i, "}")) {
            Py_XDECREF(item);
            PyErr_Clear();
            goto other;
        }
        int rc = PyList_Append(items, item);
        Py_DECREF(item);
        if (rc < 0) {
            Py_DECREF(items);
            return NULL;
        }
        if (match_at(text, &i, ",")) continue;
        if (match_at(text, &i, "]}")) break;
        goto other;
    }
end:
    if (i == n) return items;
other:
    Py_DECREF(items);
    return NULL;
}

/* The same tuples from any JSON of the documented form (the slow path). */
static PyObject *results_slow(const char *json, size_t len) {
    PyObject *payload = json_decode(json, len);
    PyObject *results = payload && PyDict_Check(payload) ? PyDict_GetItemString(payload, "results") : NULL;
    PyObject *items = results && PyList_Check(results) ? PyList_New(0) : NULL;
    for (Py_ssize_t k = 0; items && k < PyList_GET_SIZE(results); k++) {
        PyObject *d = PyList_GET_ITEM(results, k);
        PyObject *id = PyDict_Check(d) ? PyDict_GetItemString(d, "id") : NULL;
        if (!id) continue;
        int ok = PyDict_GetItemString(d, "ok") == Py_True;
        PyObject *v = PyDict_GetItemString(d, ok ? "value" : "error");
        PyObject *item = PyTuple_Pack(3, id, ok ? Py_True : Py_False, v ? v : Py_None);
        if (!item || PyList_Append(items, item) < 0) Py_CLEAR(items);
        Py_XDECREF(item);
    }
    if (payload && !items && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no results list");
    Py_XDECREF(payload);
    return items;
}

uint8_t *run_resume(Ctx *c, const char *json, size_t len) {
    Run *r = &c->run;
    if (!r->active || !r->task) return answer_fail("NotSuspended", "the context has no suspended exec to resume");
    if (r->sys_stdout) PySys_SetObject("stdout", r->sys_stdout);
    if (r->sys_stderr) PySys_SetObject("stderr", r->sys_stderr);
    PyObject *text = PyUnicode_DecodeUTF8(len ? json : "", (Py_ssize_t)len, "surrogatepass");
    PyObject *items = text ? results_fast(text) : NULL;
    Py_XDECREF(text);
    if (!items && !PyErr_Occurred()) items = results_slow(json, len);
    if (!items) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no results list");
        PyObject *cause = PyErr_GetRaisedException();
        PyObject *msg = cause ? PyObject_Str(cause) : NULL;
        Py_XDECREF(cause);
        PyErr_Format(PyExc_RuntimeError, "the host's tool results could not be read: %S", msg ? msg : Py_None);
        Py_XDECREF(msg);
        PyObject *exc = PyErr_GetRaisedException();
        r->stale = 1;
        run_reset(c);
        return finish_error(c, exc);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *id = PyTuple_GET_ITEM(item, 0), *v = PyTuple_GET_ITEM(item, 2);
        PyObject *entry = PyDict_GetItemWithError(r->calls, id);
        if (!entry || !PyTuple_Check(entry)) {
            PyErr_Clear();
            continue;
        }
        PyObject *fut = Py_NewRef(PyTuple_GET_ITEM(entry, 0));
        PyObject *tool = Py_NewRef(PyTuple_GET_ITEM(entry, 1));
        PyDict_DelItem(r->calls, id);
        PyObject *done = PyObject_CallMethodNoArgs(fut, str_done);
        if (done == Py_False) {
            PyObject *x;
            if (PyTuple_GET_ITEM(item, 1) == Py_True) {
                x = PyObject_CallMethodOneArg(fut, str_set_result, v);
            } else {
                PyObject *exc = tool_error(tool, PyDict_Check(v) ? PyDict_GetItemString(v, "name") : NULL,
                                           PyDict_Check(v) ? PyDict_GetItemString(v, "message") : NULL);
                x = exc ? PyObject_CallMethodOneArg(fut, str_set_exception, exc) : NULL;
                Py_XDECREF(exc);
            }
            Py_XDECREF(x);
        }
        Py_XDECREF(done);
        Py_DECREF(fut);
        Py_DECREF(tool);
        PyErr_Clear();
    }
    Py_DECREF(items);
    return step(c);
}

uint8_t *run_cancel(Ctx *c) {
    if (c->run.active) {
        c->run.stale = 1;
        run_reset(c);
    }
    return answer_ok();
}

int run_init(PyObject *driver) {
    g_Suspend = PyErr_NewException("pybox.Suspend", PyExc_BaseException, NULL);
    g_suspend_fn = PyCFunction_New(&g_suspend_def, NULL);
    g_stop_fn = PyCFunction_New(&g_stop_def, NULL);
    g_noop_fn = PyCFunction_New(&g_noop_def, NULL);
    g_value_name = PyUnicode_InternFromString("__pybox_value__");
    g_base_events = PyImport_ImportModule("asyncio.base_events");
    g_time_mod = PyImport_ImportModule("time");
    g_builtins_mod = PyImport_ImportModule("builtins");
    str_step = PyUnicode_InternFromString("_pybox_step");
    PyObject *heapq = PyImport_ImportModule("heapq");
    g_heappop = heapq ? PyObject_GetAttrString(heapq, "heappop") : NULL;
    Py_XDECREF(heapq);
    str_done = PyUnicode_InternFromString("done");
    str_set_result = PyUnicode_InternFromString("set_result");
    str_set_exception = PyUnicode_InternFromString("set_exception");
    str_result = PyUnicode_InternFromString("result");
    str_loop_name = PyUnicode_InternFromString("pybox_loop");
    g_drv_compile = PyObject_GetAttrString(driver, "compile_source");
    g_drv_format = PyObject_GetAttrString(driver, "format_traceback");
    g_drv_tools = PyObject_GetAttrString(driver, "tool_metadata");
    PyObject *src = PyObject_GetAttrString(driver, "LOOP_SOURCE");
    g_loop_code = src ? Py_CompileString(PyUnicode_AsUTF8(src), "<pybox>", Py_file_input) : NULL;
    Py_XDECREF(src);
    if (!str_set_result || !str_set_exception || !g_Suspend || !g_suspend_fn || !g_heappop || !g_stop_fn || !g_noop_fn || !g_value_name || !g_base_events || !g_time_mod ||
        !g_builtins_mod || !g_drv_compile || !g_drv_format || !g_drv_tools || !g_loop_code) {
        return -1;
    }
    /* asyncio.new_event_loop() / asyncio.run() in plain functions make the context's loops */
    PyObject *factory = PyCFunction_New(&g_new_loop_def, NULL);
    PyObject *set_policy = PyObject_GetAttrString(driver, "install_loop_policy");
    PyObject *r = factory && set_policy ? PyObject_CallOneArg(set_policy, factory) : NULL;
    Py_XDECREF(factory);
    Py_XDECREF(set_policy);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}
