/*
 * Byte buffers for answers, JSON string literals, and the answer buffer handed to the host:
 * [u32 json_len LE][u32 bin_len LE][json][bin], owned by the guest and valid until the next
 * export call. Buffers live outside the memory limit (they are capped by size instead).
 */
#include "pybox.h"
#include <stdio.h>
#include <string.h>

void buf_init(Buf *b) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void buf_free(Buf *b) {
    if (b->data) mem_free(b->data);
    buf_init(b);
}

static int buf_grow(Buf *b, size_t extra) {
    if (b->failed) return -1;
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = mem_alloc_unlimited(cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    if (b->data) {
        memcpy(p, b->data, b->len);
        mem_free(b->data);
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void buf_put(Buf *b, const char *s, size_t n) {
    if (buf_grow(b, n) < 0) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void buf_puts(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_putc(Buf *b, char c) { buf_put(b, &c, 1); }

void buf_put_i64(Buf *b, long long v) {
    char tmp[24];
    char *p = tmp + sizeof tmp;
    /* digits from the end, on the magnitude as unsigned (LLONG_MIN has no positive twin) */
    unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0) *--p = '-';
    buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

void buf_put_double(Buf *b, double v) {
    char *s = PyOS_double_to_string(v, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!s) {
        PyErr_Clear();
        buf_puts(b, "0");
        return;
    }
    buf_puts(b, s);
    PyMem_Free(s);
}

static const char HEX[] = "0123456789abcdef";

static void put_u_escape(Buf *b, Py_UCS4 c) {
    char e[6] = {'\\', 'u', HEX[(c >> 12) & 15], HEX[(c >> 8) & 15], HEX[(c >> 4) & 15], HEX[c & 15]};
    buf_put(b, e, 6);
}

/* One code point as UTF-8 (a surrogate as its own three bytes, which "surrogatepass" reads back). */
void buf_put_utf8(Buf *b, Py_UCS4 c) {
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    buf_put(b, u, n);
}

/* Writes JSON's escape of `c` and returns 1, or returns 0 when `c` goes as itself. Lone
 * surrogates are escaped (\udXXX), never written raw. */
static int put_escaped(Buf *b, Py_UCS4 c) {
    switch (c) {
    case '"': buf_put(b, "\\\"", 2); return 1;
    case '\\': buf_put(b, "\\\\", 2); return 1;
    case '\n': buf_put(b, "\\n", 2); return 1;
    case '\r': buf_put(b, "\\r", 2); return 1;
    case '\t': buf_put(b, "\\t", 2); return 1;
    }
    if (c < 0x20 || (c >= 0xD800 && c <= 0xDFFF) || c == 0x2028 || c == 0x2029) {
        put_u_escape(b, c);
        return 1;
    }
    return 0;
}

/* Reads the code points through the str's C storage, so str subclasses run no code. Lone
 * surrogates become \udXXX escapes, which JSON.parse turns back into the same lone
 * surrogates. Returns 1 when the string was cut at max_chars (-1 = no cap). */
int buf_put_json_str(Buf *b, PyObject *s, Py_ssize_t max_chars) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int cut = 0;
    if (max_chars >= 0 && n > max_chars) {
        n = max_chars;
        cut = 1;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (buf_grow(b, (size_t)n + 2) < 0) return cut;
    buf_putc(b, '"');
    if (PyUnicode_IS_ASCII(s)) { /* runs of plain ASCII go in one copy each */
        const char *a = (const char *)data;
        Py_ssize_t start = 0;
        for (Py_ssize_t i = 0; i < n && !b->failed; i++) {
            unsigned char c = (unsigned char)a[i];
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            buf_put(b, a + start, (size_t)(i - start));
            put_escaped(b, c);
            start = i + 1;
        }
        buf_put(b, a + start, (size_t)(n - start));
        buf_putc(b, '"');
        return cut;
    }
    for (Py_ssize_t i = 0; i < n && !b->failed; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!put_escaped(b, c)) buf_put_utf8(b, c);
    }
    buf_putc(b, '"');
    return cut;
}

void buf_put_json_cstr(Buf *b, const char *s) {
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf_putc(b, '\\');
            buf_putc(b, (char)c);
        } else if (c < 0x20) {
            put_u_escape(b, c);
        } else {
            buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

static uint8_t *g_answer = NULL;

uint8_t *answer_pack(const char *json, size_t jlen, const char *bin, size_t blen) {
    if (g_answer) mem_free(g_answer);
    g_answer = mem_alloc_unlimited(8 + jlen + blen);
    if (!g_answer) return NULL;
    uint32_t a = (uint32_t)jlen, c = (uint32_t)blen;
    memcpy(g_answer, &a, 4);
    memcpy(g_answer + 4, &c, 4);
    memcpy(g_answer + 8, json, jlen);
    if (blen) memcpy(g_answer + 8 + jlen, bin, blen);
    return g_answer;
}

uint8_t *answer_buf(Buf *b) {
    if (b->failed) {
        buf_free(b);
        return answer_fail("MemoryError", "the guest ran out of memory building its answer");
    }
    uint8_t *out = answer_pack(b->data ? b->data : "", b->len, NULL, 0);
    buf_free(b);
    return out;
}

uint8_t *answer_literal(const char *json) { return answer_pack(json, strlen(json), NULL, 0); }

uint8_t *answer_ok(void) { return answer_literal("{\"status\":\"ok\"}"); }

uint8_t *answer_fail(const char *type, const char *message) {
    char tmp[1024];
    Buf b;
    buf_init(&b);
    buf_puts(&b, "{\"status\":\"error\",\"error\":{\"type\":");
    buf_put_json_cstr(&b, type);
    buf_puts(&b, ",\"message\":");
    buf_put_json_cstr(&b, message);
    buf_puts(&b, ",\"traceback\":\"\"}}");
    if (b.failed) { /* no memory at all: a fixed answer */
        buf_free(&b);
        snprintf(tmp, sizeof tmp,
                 "{\"status\":\"error\",\"internal\":true,\"error\":{\"type\":\"MemoryError\","
                 "\"message\":\"out of memory\",\"traceback\":\"\"}}");
        return answer_pack(tmp, strlen(tmp), NULL, 0);
    }
    uint8_t *out = answer_pack(b.data, b.len, NULL, 0);
    buf_free(&b);
    return out;
}

uint8_t *answer_fail_exc(const char *type, const char *fallback) {
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *msg = exc ? PyObject_Str(exc) : NULL;
    const char *m = msg ? PyUnicode_AsUTF8(msg) : NULL;
    PyErr_Clear();
    uint8_t *ans = answer_fail(type, m ? m : fallback);
    Py_XDECREF(msg);
    Py_XDECREF(exc);
    return ans;
}
