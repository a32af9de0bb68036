/*
 * Memory accounting. Every allocation in the module goes through these wrappers (the link
 * uses --wrap=malloc etc.). `g_mem_limit` is set by the entry in progress (limits.c) and
 * covers everything that entry does, the driver's work included; answers to the host are
 * allocated outside the limit (they are capped by size instead), so an exhausted box can
 * still say so.
 */
#include "pybox.h"
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);

size_t g_mem_used = 0;
size_t g_mem_peak = 0;
size_t g_mem_limit = 0; /* 0 = not armed */

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

void *mem_alloc_unlimited(size_t n) {
    void *p = __real_malloc(n ? n : 1);
    account(p, 1);
    return p;
}

void mem_free(void *p) { __wrap_free(p); }

/* ---- sbrk: linear memory grown in large steps ------------------------------------------------
 * dlmalloc asks sbrk for just what it needs (often 64 KiB), and each memory.grow costs a trip
 * through the engine (and every JS view of the memory is renewed after it). This sbrk keeps
 * the break dlmalloc sees, and grows the memory behind it by an eighth of its size at least
 * (1 MiB to 64 MiB), falling back to exactly what is needed when that much cannot be had.
 * Memory that is grown but not yet handed out is never touched, so it costs no RAM. */
#define WASM_PAGE 65536u
static uintptr_t g_brk = 0; /* the break dlmalloc sees; 0 until the first call */

static int grow_to(uintptr_t end) {
    uintptr_t have = __builtin_wasm_memory_size(0) * WASM_PAGE;
    if (end <= have) return 0;
    uintptr_t need = (end - have + WASM_PAGE - 1) / WASM_PAGE;
    uintptr_t step = have / 8 / WASM_PAGE;
    if (step < 16) step = 16;         /* 1 MiB */
    if (step > 1024) step = 1024;     /* 64 MiB */
    if (step > need && __builtin_wasm_memory_grow(0, step) != SIZE_MAX) return 0;
    return __builtin_wasm_memory_grow(0, need) == SIZE_MAX ? -1 : 0;
}

void *__wrap_sbrk(intptr_t increment) {
    if (!g_brk) g_brk = __builtin_wasm_memory_size(0) * WASM_PAGE;
    if (increment < 0) { /* dlmalloc never shrinks here (no MORECORE trimming on wasi) */
        errno = EINVAL;
        return (void *)-1;
    }
    uintptr_t old = g_brk;
    if ((uintptr_t)increment > UINTPTR_MAX - old || grow_to(old + (uintptr_t)increment) < 0) {
        errno = ENOMEM;
        return (void *)-1;
    }
    g_brk = old + (uintptr_t)increment;
    return (void *)old;
}
