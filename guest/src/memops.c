/*
 * memcpy, memmove and memset with WebAssembly's bulk-memory instructions.
 * Debian's wasi-libc is built for the MVP and copies with loops; every
 * engine we target has had `memory.copy`/`memory.fill` for years. Defining
 * them here keeps the linker from pulling wasi-libc's versions.
 */
#include <stddef.h>

#define BULK __attribute__((target("bulk-memory")))

BULK void *memcpy(void *restrict dest, const void *restrict src, size_t n) {
    __builtin_memcpy(dest, src, n);
    return dest;
}

BULK void *memmove(void *dest, const void *src, size_t n) {
    __builtin_memmove(dest, src, n);
    return dest;
}

BULK void *memset(void *dest, int c, size_t n) {
    __builtin_memset(dest, c, n);
    return dest;
}
