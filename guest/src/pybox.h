/*
 * PyBox guest: what the C files share.
 *
 * The C glue owns everything that enforces a rule (guest/ABI.md, "What lives where"):
 *   memory.c    the allocator wrappers and the memory limit
 *   limits.c    entries from the host: arming the limits, the eval-loop checks, nesting
 *   buf.c       byte buffers, JSON strings, the answer buffer
 *   encode.c    values to JSON and bounded repr (no user code runs while encoding)
 *   registry.c  contexts (namespaces, protected names, parents), the dict watcher, the
 *               builtins guard, the inheriting builtins of child contexts
 *   bridge.c    the tool stubs, sys.stdout/sys.stderr, the per-exec output cap
 *   hooks.c     the audit hook and the per-entry resets of interpreter-wide state
 *   run.c       exec, resume, cancel: running user code and describing its errors
 *   pybox.c     init and the exported ABI
 * The Python driver (guest/src/_pybox/) only compiles code, formats tracebacks and builds
 * tool metadata, on plain data, and is never on the stack while user code runs.
 */
#ifndef PYBOX_H
#define PYBOX_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stddef.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("pybox"), import_name(name)))

/* ---- host imports ---------------------------------------------------------------------- */
IMPORT("output") void host_output(int32_t stream, const char *data, int32_t len);
IMPORT("call_tool") uint8_t *host_call_tool(const char *request, int32_t len);
IMPORT("interrupted") int32_t host_interrupted(void);

/* ---- memory.c ------------------------------------------------------------------------- */
void *__real_malloc(size_t);
void __real_free(void *);
void *__wrap_malloc(size_t);
void __wrap_free(void *);
/* Allocations for answers to the host: counted but never refused by the limit. */
void *mem_alloc_unlimited(size_t n);
void mem_free(void *p);
extern size_t g_mem_used, g_mem_peak, g_mem_limit;

/* ---- limits.c ------------------------------------------------------------------------- */
struct Ctx;
/* The state of one entry from the host; entries nest (a synchronous tool handler that runs
 * code in another context). */
typedef struct Entry {
    struct Entry *outer;
    struct Ctx *ctx;          /* the context whose code runs in this entry, if any */
    int64_t deadline_ns;      /* 0 = none */
    size_t mem_limit;         /* 0 = none */
    int stopped;              /* the time limit fired: sticky until the entry ends */
    int checks;               /* time and interrupt checks on (off for bounded driver work) */
    int gc_was_enabled;
    void *saved_frame;        /* tstate->current_frame of the outer entry */
    _PyErr_StackItem *saved_exc_info;
    _PyErr_StackItem exc_item;
} Entry;
extern Entry *g_entry;                  /* innermost entry, NULL between host calls */
extern int _PyBox_Countdown;            /* read by the patched eval loop */
int _PyBox_CheckInterrupt(void);        /* called by the patch and PyErr_CheckSignals */
int _PyBox_CheckInterruptPeriodic(void);
void limits_set_next(double deadline_ms, double memory_bytes);
void limits_set_defaults(double time_ms, double memory_bytes);
void entry_begin(Entry *e, struct Ctx *ctx);
void entry_end(Entry *e);
/* Runs bounded driver work with the time checks off (the memory limit stays on). */
int entry_checks_off(void);
void entry_checks_restore(int previous);
int64_t now_ns(void);
extern PyObject *g_TimeLimitExceeded;

/* ---- buf.c ---------------------------------------------------------------------------- */
typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* out of memory: the buffer is unusable */
} Buf;
void buf_init(Buf *b);
void buf_free(Buf *b);
void buf_put(Buf *b, const char *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_put_i64(Buf *b, long long v);
void buf_put_double(Buf *b, double v);
void buf_put_utf8(Buf *b, Py_UCS4 c);
/* A JSON string literal for a Python str (lone surrogates escaped, never lost). */
int buf_put_json_str(Buf *b, PyObject *s, Py_ssize_t max_chars);
void buf_put_json_cstr(Buf *b, const char *s);
/* Packs [u32 json_len][u32 bin_len][json][bin] into the guest's answer buffer. */
uint8_t *answer_pack(const char *json, size_t jlen, const char *bin, size_t blen);
uint8_t *answer_buf(Buf *b);
uint8_t *answer_literal(const char *json);
uint8_t *answer_fail(const char *type, const char *message);
/* answer_fail with the pending Python exception's str() as the message (or `fallback`). */
uint8_t *answer_fail_exc(const char *type, const char *fallback);
uint8_t *answer_ok(void);

/* ---- encode.c ------------------------------------------------------------------------- */
#define PYBOX_JSON_MAX_DEPTH 100
#define PYBOX_MAX_SAFE_INT 9007199254740992LL /* 2**53: every integer up to it is exact as a double */
/* Appends the JSON for `v`; 0 on success, -1 with a Python exception (TypeError for a type
 * JSON cannot carry, ValueError for depth, size, NaN or an integer past 2^53). No user code
 * runs: dict/list/str/int/float subclasses are read through the C structures. */
int json_encode(Buf *b, PyObject *v, size_t max_bytes);
/* repr() that never builds more than about `limit` characters for str, bytes, bytearray and
 * the builtin containers; other objects' repr is cut after it is built. New reference. */
PyObject *repr_bounded(PyObject *v, Py_ssize_t limit, int *truncated);
PyObject *json_decode(const char *data, size_t len); /* the C scanner of _json */
/* One JSON value of `text` from index `at` (the scanner's job): the value, *end after it. */
PyObject *json_scan(PyObject *text, Py_ssize_t at, Py_ssize_t *end);
int encode_init(void);

/* ---- registry.c ----------------------------------------------------------------------- */
typedef struct Run {
    int active;
    int stale;            /* stopped by a limit inside the loop: reset before reuse */
    PyObject *task;       /* the asyncio Task running the top-level coroutine */
    int has_value;
    PyObject *calls;      /* dict: call id -> Future not yet answered */
    PyObject *unsent;     /* list of (id, tool, args_json) not yet handed to the host */
    long long out_left;   /* characters of output still allowed */
    int out_truncated;
    PyObject *sys_stdout, *sys_stderr; /* what the exec had set there when it suspended */
} Run;

typedef struct Ctx {
    int32_t id;
    int32_t parent;       /* 0 = none */
    PyObject *ns;         /* the globals dict */
    PyObject *protected;  /* dict: name -> value (Py_Ellipsis: protected before it was set) */
    PyObject *sources;    /* dict: filename -> list of source lines (tracebacks) */
    PyObject *loop;       /* this context's event loop, made on first use */
    PyObject *sealed;     /* the namespace the loop's classes were made in */
    Run run;
} Ctx;

Ctx *ctx_get(int32_t id);
Ctx *ctx_create(int32_t parent_id); /* NULL + exception on failure */
void ctx_delete(Ctx *c);
int ctx_bind(Ctx *c, PyObject *name, PyObject *value, int protect); /* host bindings */
int ctx_protect(Ctx *c, PyObject *name);
PyObject *ctx_lookup(Ctx *c, PyObject *name); /* own, then parents; borrowed or NULL */
PyObject *ctx_protected_names(Ctx *c);        /* new tuple: own + inherited */
int ctx_each(int (*fn)(Ctx *, void *), void *arg);
int registry_init(void);
int builtins_guard_start(void);
int protect_check(void);               /* raises ProtectedNameError for a pending violation */
void protect_forget(void);             /* undo a pending violation without raising */
extern PyObject *g_ProtectedNameError;
extern PyObject *g_builtins;           /* the interpreter's builtins dict */
extern PyObject *g_pristine_builtins;  /* its standard names, as they were after init */
extern int g_host_binding;             /* the host is rebinding: the watcher stands aside */

/* ---- bridge.c ------------------------------------------------------------------------- */
extern PyTypeObject ToolType, StreamType, SentinelType;
extern PyObject *g_tools;      /* dict: name -> Tool */
extern PyObject *g_ToolError;
extern long long g_output_limit;
int bridge_init(void);
PyObject *tool_new(PyObject *meta); /* from the driver's metadata tuple */
PyObject *stream_new(int fd, const char *name);
void output_text(int stream, PyObject *text);
void output_cstr(int stream, const char *s);
PyObject *tool_error(PyObject *tool, PyObject *name, PyObject *message);

/* ---- hooks.c -------------------------------------------------------------------------- */
int hooks_init(void);
int hooks_install_audit(void);
void hooks_reset_interpreter_state(void); /* sys.stdout & co, recursion limit, asyncgen hooks */
int freeze_types_of(PyObject *module);
int hooks_enter_loop(PyObject *loop);

/* ---- run.c ---------------------------------------------------------------------------- */
uint8_t *run_exec(Ctx *c, PyObject *source, PyObject *filename);
uint8_t *run_resume(Ctx *c, const char *json, size_t len);
uint8_t *run_cancel(Ctx *c);
void run_reset(Ctx *c); /* drops a run and, when stale, the loop: quietly */
uint8_t *answer_from_exception(PyObject *exc, Ctx *c);
PyObject *describe_exception(PyObject *exc); /* plain data for the driver's formatter */
int run_init(PyObject *driver);
extern PyObject *g_Suspend;

/* ---- the driver (guest/src/_pybox) ------------------------------------------------------ */
extern PyObject *g_drv_compile, *g_drv_format, *g_drv_tools, *g_loop_code, *g_await_code;
extern Py_ssize_t g_result_limit;

#endif
