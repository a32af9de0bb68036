/*
 * Memory accounting. Every allocation in the module goes through these wrappers (the link
 * uses --wrap=malloc etc.). `g_mem_limit` is set by the entry in progress (limits.c) and
 * covers everything that entry does, the driver's work included; answers to the host are
 * allocated outside the limit (they are capped by size instead), so an exhausted box can
 * still say so.
 */
#include "pybox.h"
#include <malloc.h>
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
