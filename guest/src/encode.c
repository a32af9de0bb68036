/*
 * Values crossing to the host.
 *
 * json_encode writes JSON for None, bool, int, float, str, list, tuple and dict (subclasses
 * too) by reading their C structures: no __repr__, __iter__, items() or __hash__ of user
 * code ever runs, so encoding cannot be hijacked and needs no Python frame. Integers past
 * ±2^53 are refused (JSON numbers reach JS as doubles: they would arrive changed), so are NaN
 * and infinities (not JSON), nesting past PYBOX_JSON_MAX_DEPTH (also what a cycle looks like)
 * and other types.
 *
 * repr_bounded builds the repr of str, bytes, bytearray and the builtin containers within a
 * character budget, so a trailing `bytes(400 << 20)` costs its first kilobytes, not 1.6 GB;
 * other objects' own __repr__ runs (under the entry's limits) and is cut afterwards.
 */
#include "pybox.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static PyObject *g_scanner = NULL; /* _json's C scanner, made once at init */

int encode_init(void) {
    PyObject *decoder_mod = PyImport_ImportModule("json.decoder");
    if (!decoder_mod) return -1;
    PyObject *cls = PyObject_GetAttrString(decoder_mod, "JSONDecoder");
    PyObject *scanner_mod = PyImport_ImportModule("_json");
    PyObject *make = scanner_mod ? PyObject_GetAttrString(scanner_mod, "make_scanner") : NULL;
    PyObject *decoder = cls ? PyObject_CallNoArgs(cls) : NULL;
    g_scanner = make && decoder ? PyObject_CallOneArg(make, decoder) : NULL;
    Py_XDECREF(decoder);
    Py_XDECREF(make);
    Py_XDECREF(scanner_mod);
    Py_XDECREF(cls);
    Py_DECREF(decoder_mod);
    return g_scanner ? 0 : -1;
}

/* An integer literal of at most 15 digits (-?(0|[1-9][0-9]*)): tool results often are one. */
static int small_int_literal(const char *s, size_t n) {
    size_t i = s[0] == '-' ? 1 : 0;
    if (n == i || n > 15 || (s[i] == '0' && n > i + 1)) return 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
    }
    return 1;
}

PyObject *json_scan(PyObject *text, Py_ssize_t at, Py_ssize_t *end) {
    PyObject *index = PyLong_FromSsize_t(at);
    if (!index) return NULL;
    PyObject *args[2] = {text, index};
    PyObject *res = PyObject_Vectorcall(g_scanner, args, 2, NULL);
    Py_DECREF(index);
    if (!res) {
        if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "not valid JSON");
        }
        return NULL;
    }
    PyObject *value = NULL;
    if (PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 2) {
        *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(res, 1));
        if (*end >= 0) value = Py_NewRef(PyTuple_GET_ITEM(res, 0));
    }
    Py_DECREF(res);
    if (!value && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "not valid JSON");
    return value;
}

PyObject *json_decode(const char *data, size_t len) {
    if (len && small_int_literal(data, len)) {
        char digits[16];
        memcpy(digits, data, len);
        digits[len] = 0;
        return PyLong_FromString(digits, NULL, 10);
    }
    PyObject *text = PyUnicode_DecodeUTF8(len ? data : "", (Py_ssize_t)len, "surrogatepass");
    if (!text) return NULL;
    Py_ssize_t end = -1;
    PyObject *value = json_scan(text, 0, &end);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_DECREF(text);
    if (value && end != n) {
        Py_CLEAR(value);
        PyErr_SetString(PyExc_ValueError, "extra data after the JSON value");
    }
    return value;
}

/* ---- JSON ------------------------------------------------------------------------------- */

#define TOO_LARGE (-2)

static int enc(Buf *b, PyObject *v, int depth, size_t max);

/* Whether JS gets this int back unchanged: the nearest double is the int itself (2**60), or
 * its shortest decimal is (36010051479900150, as JS printed it). True for every int within
 * ±2**53; false for 2**53 + 1, which would arrive as 2**53. */
static int int_survives_js(PyObject *v) {
    double d = PyLong_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear(); /* too large for a double */
        return 0;
    }
    PyObject *back = PyLong_FromDouble(d);
    int exact = back ? PyObject_RichCompareBool(back, v, Py_EQ) : 0; /* int vs int: no user code */
    Py_XDECREF(back);
    PyErr_Clear();
    if (exact == 1) return 1;
    char *r = PyOS_double_to_string(d < 0 ? -d : d, 'r', 0, 0, NULL); /* "3.601005147990015e+16", "9007199254740994.0" */
    if (!r) {
        PyErr_Clear();
        return 0;
    }
    char digits[400];
    size_t n = 0;
    int frac = -1, exp = 0;
    for (const char *p = r; *p && n < sizeof digits - 1; p++) {
        if (*p >= '0' && *p <= '9') {
            digits[n++] = *p;
            if (frac >= 0) frac++;
        } else if (*p == '.') {
            frac = 0;
        } else if (*p == 'e') {
            exp = atoi(p + 1);
            break;
        }
    }
    PyMem_Free(r);
    int zeros = exp - (frac > 0 ? frac : 0);
    if (zeros < 0) { /* "...0.0": drop the fraction's zeros */
        while (zeros < 0 && n > 0 && digits[n - 1] == '0') {
            n--;
            zeros++;
        }
        if (zeros < 0) return 0;
    }
    while (zeros-- > 0 && n < sizeof digits - 1) digits[n++] = '0';
    digits[n] = 0;
    const char *start = digits;
    while (*start == '0' && start[1]) start++;
    PyObject *absv = PyNumber_Absolute(v);
    PyObject *text = absv ? PyLong_Type.tp_repr(absv) : NULL; /* int's own repr, not a subclass's */
    Py_XDECREF(absv);
    const char *mine = text ? PyUnicode_AsUTF8(text) : NULL;
    int same = mine && strcmp(mine, start) == 0;
    Py_XDECREF(text);
    PyErr_Clear();
    return same;
}

static int enc_key(Buf *b, PyObject *k) {
    if (PyUnicode_Check(k)) {
        buf_put_json_str(b, k, -1);
    } else if (k == Py_True) {
        buf_puts(b, "\"true\"");
    } else if (k == Py_False) {
        buf_puts(b, "\"false\"");
    } else if (k == Py_None) {
        buf_puts(b, "\"null\"");
    } else if (PyLong_Check(k) || PyFloat_Check(k)) {
        buf_putc(b, '"');
        int rc = enc(b, k, 0, 0);
        buf_putc(b, '"');
        return rc;
    } else {
        PyErr_Format(PyExc_TypeError, "keys must be str, int, float, bool or None, not %.100s",
                     Py_TYPE(k)->tp_name);
        return -1;
    }
    return 0;
}

static int enc(Buf *b, PyObject *v, int depth, size_t max) {
    if (b->failed) {
        PyErr_NoMemory();
        return -1;
    }
    if (max && b->len > max) return TOO_LARGE;
    if (v == Py_None) {
        buf_puts(b, "null");
    } else if (v == Py_True) {
        buf_puts(b, "true");
    } else if (v == Py_False) {
        buf_puts(b, "false");
    } else if (PyLong_Check(v)) {
        int overflow = 0;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (x == -1 && PyErr_Occurred()) return -1;
        if (!overflow && x <= PYBOX_MAX_SAFE_INT && x >= -PYBOX_MAX_SAFE_INT) {
            buf_put_i64(b, x);
        } else if (int_survives_js(v)) {
            /* past 2**53, but JSON.parse gives JS these very digits */
            PyObject *text = PyLong_Type.tp_repr(v); /* int's own repr, not a subclass's */
            if (!text) return -1;
            Py_ssize_t n;
            const char *s = PyUnicode_AsUTF8AndSize(text, &n);
            if (s) buf_put(b, s, (size_t)n);
            Py_DECREF(text);
            if (!s) return -1;
        } else {
            PyErr_SetString(PyExc_ValueError,
                            "an integer a JavaScript number cannot hold exactly (past ±2**53) cannot cross "
                            "as JSON: pass it as a string (str(n))");
            return -1;
        }
    } else if (PyFloat_Check(v)) {
        double d = PyFloat_AS_DOUBLE(v);
        if (!isfinite(d)) {
            PyErr_Format(PyExc_ValueError, "%s is not valid JSON", isnan(d) ? "nan" : (d > 0 ? "inf" : "-inf"));
            return -1;
        }
        buf_put_double(b, d);
    } else if (PyUnicode_Check(v)) {
        if (!max) {
            buf_put_json_str(b, v, -1);
        } else if (buf_put_json_str(b, v, (Py_ssize_t)(b->len < max ? max - b->len : 0) + 1)) {
            return TOO_LARGE; /* cut while written: a huge string costs only the cap */
        }
    } else if (PyList_Check(v) || PyTuple_Check(v)) {
        if (depth >= PYBOX_JSON_MAX_DEPTH) goto too_deep;
        Py_ssize_t n = PyList_Check(v) ? PyList_GET_SIZE(v) : PyTuple_GET_SIZE(v);
        buf_putc(b, '[');
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i) buf_putc(b, ',');
            /* a list cannot change while we read it: no Python code runs here */
            PyObject *item = PyList_Check(v) ? PyList_GET_ITEM(v, i) : PyTuple_GET_ITEM(v, i);
            int rc = enc(b, item, depth + 1, max);
            if (rc < 0) return rc;
        }
        buf_putc(b, ']');
    } else if (PyDict_Check(v)) {
        if (depth >= PYBOX_JSON_MAX_DEPTH) goto too_deep;
        Py_ssize_t pos = 0;
        PyObject *k, *item;
        int first = 1;
        buf_putc(b, '{');
        while (PyDict_Next(v, &pos, &k, &item)) {
            if (!first) buf_putc(b, ',');
            first = 0;
            int rc = enc_key(b, k);
            if (rc < 0) return rc;
            buf_putc(b, ':');
            rc = enc(b, item, depth + 1, max);
            if (rc < 0) return rc;
        }
        buf_putc(b, '}');
    } else {
        PyErr_Format(PyExc_TypeError, "Object of type %.100s is not JSON serializable", Py_TYPE(v)->tp_name);
        return -1;
    }
    if (max && b->len > max) return TOO_LARGE;
    return 0;
too_deep:
    PyErr_Format(PyExc_ValueError, "nested deeper than %d levels (or cyclic): JSON cannot carry it",
                 PYBOX_JSON_MAX_DEPTH);
    return -1;
}

/* 0 ok; -1 a Python exception explains why the value is not JSON; -2 too large (no
 * exception). `max_bytes` 0 = no cap. */
int json_encode(Buf *b, PyObject *v, size_t max_bytes) { return enc(b, v, 0, max_bytes); }

/* ---- bounded repr ------------------------------------------------------------------------ */

typedef struct {
    Buf buf;
    Py_ssize_t chars, limit;
    int cut;
} Rep;

/* Appends up to the budget's characters of str `s` (UTF-8, surrogates kept as such). */
static void rep_str(Rep *r, PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), room = r->limit - r->chars;
    if (n > room) {
        n = room > 0 ? room : 0;
        r->cut = 1;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        buf_put_utf8(&r->buf, c);
    }
    r->chars += n;
}

static void rep_lit(Rep *r, const char *s) {
    size_t n = strlen(s);
    if ((Py_ssize_t)n > r->limit - r->chars) {
        n = r->limit > r->chars ? (size_t)(r->limit - r->chars) : 0;
        r->cut = 1;
    }
    buf_put(&r->buf, s, n);
    r->chars += (Py_ssize_t)n;
}

static int full(Rep *r) {
    if (r->chars >= r->limit) r->cut = 1;
    return r->cut;
}

/* repr() of a prefix of a str/bytes/bytearray: never the whole of a huge one. */
static int rep_prefix(Rep *r, PyObject *v) {
    Py_ssize_t room = r->limit - r->chars + 1, n;
    PyObject *part;
    if (PyUnicode_CheckExact(v)) {
        n = PyUnicode_GET_LENGTH(v);
        part = n > room ? PyUnicode_Substring(v, 0, room) : Py_NewRef(v);
    } else if (PyBytes_CheckExact(v)) {
        n = PyBytes_GET_SIZE(v);
        part = n > room ? PyBytes_FromStringAndSize(PyBytes_AS_STRING(v), room) : Py_NewRef(v);
    } else {
        n = PyByteArray_GET_SIZE(v);
        part = n > room ? PyByteArray_FromStringAndSize(PyByteArray_AS_STRING(v), room) : Py_NewRef(v);
    }
    if (!part) return -1;
    PyObject *text = PyObject_Repr(part);
    Py_DECREF(part);
    if (!text) return -1;
    rep_str(r, text);
    if (n > room) r->cut = 1;
    Py_DECREF(text);
    return 0;
}

static int rep(Rep *r, PyObject *v, int depth);

static int rep_items(Rep *r, PyObject *v, int depth) {
    if (PyList_CheckExact(v) || PyTuple_CheckExact(v)) {
        int is_list = PyList_CheckExact(v);
        rep_lit(r, is_list ? "[" : "(");
        /* a list may change while its items' __repr__ run: re-read its size each time */
        for (Py_ssize_t i = 0; i < (is_list ? PyList_GET_SIZE(v) : PyTuple_GET_SIZE(v)); i++) {
            if (full(r)) return 0;
            if (i) rep_lit(r, ", ");
            PyObject *item = Py_NewRef(is_list ? PyList_GET_ITEM(v, i) : PyTuple_GET_ITEM(v, i));
            int rc = rep(r, item, depth + 1);
            Py_DECREF(item);
            if (rc < 0) return -1;
        }
        if (!is_list && PyTuple_GET_SIZE(v) == 1) rep_lit(r, ",");
        rep_lit(r, is_list ? "]" : ")");
        return 0;
    }
    if (PyDict_CheckExact(v)) {
        PyObject *items = PyDict_Items(v); /* a snapshot: __repr__ of values may change v */
        if (!items) return -1;
        rep_lit(r, "{");
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
            if (full(r)) break;
            PyObject *kv = PyList_GET_ITEM(items, i);
            if (i) rep_lit(r, ", ");
            if (rep(r, PyTuple_GET_ITEM(kv, 0), depth + 1) < 0) goto dict_fail;
            rep_lit(r, ": ");
            if (rep(r, PyTuple_GET_ITEM(kv, 1), depth + 1) < 0) goto dict_fail;
        }
        Py_DECREF(items);
        rep_lit(r, "}");
        return 0;
    dict_fail:
        Py_DECREF(items);
        return -1;
    }
    /* set / frozenset */
    int frozen = PyFrozenSet_CheckExact(v);
    Py_ssize_t n = PySet_GET_SIZE(v);
    if (n == 0) {
        rep_lit(r, frozen ? "frozenset()" : "set()");
        return 0;
    }
    PyObject *items = PySequence_List(v); /* C iteration of a builtin set: no user code */
    if (!items) return -1;
    rep_lit(r, frozen ? "frozenset({" : "{");
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        if (full(r)) break;
        if (i) rep_lit(r, ", ");
        if (rep(r, PyList_GET_ITEM(items, i), depth + 1) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    rep_lit(r, frozen ? "})" : "}");
    return 0;
}

static int rep(Rep *r, PyObject *v, int depth) {
    if (full(r)) return 0;
    if (PyUnicode_CheckExact(v) || PyBytes_CheckExact(v) || PyByteArray_CheckExact(v)) return rep_prefix(r, v);
    int container = PyList_CheckExact(v) || PyTuple_CheckExact(v) || PyDict_CheckExact(v) ||
                    PyAnySet_CheckExact(v);
    if (container && depth < 50) {
        int rc = Py_ReprEnter(v);
        if (rc != 0) {
            if (rc > 0) {
                rep_lit(r, PyList_CheckExact(v) ? "[...]" : PyDict_CheckExact(v) ? "{...}" : "(...)");
                return 0;
            }
            return -1;
        }
        if (Py_EnterRecursiveCall(" in repr")) {
            Py_ReprLeave(v);
            return -1;
        }
        rc = rep_items(r, v, depth);
        Py_LeaveRecursiveCall();
        Py_ReprLeave(v);
        return rc;
    }
    if (container) {
        rep_lit(r, "...");
        return 0;
    }
    PyObject *text = PyObject_Repr(v);
    if (!text) return -1;
    rep_str(r, text);
    Py_DECREF(text);
    return 0;
}

PyObject *repr_bounded(PyObject *v, Py_ssize_t limit, int *truncated) {
    Rep r;
    buf_init(&r.buf);
    r.chars = 0;
    r.limit = limit;
    r.cut = 0;
    if (rep(&r, v, 0) < 0) {
        buf_free(&r.buf);
        return NULL;
    }
    if (r.buf.failed) {
        buf_free(&r.buf);
        return PyErr_NoMemory();
    }
    PyObject *out = PyUnicode_DecodeUTF8(r.buf.data ? r.buf.data : "", (Py_ssize_t)r.buf.len, "surrogatepass");
    buf_free(&r.buf);
    *truncated = r.cut;
    return out;
}
