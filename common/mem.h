/* SPDX-License-Identifier: MIT */
/*
 * Memory: allocation that aborts on exhaustion, and a bump arena for objects that die
 * together (one per parse, one per HTTP request). Every size that comes from outside is
 * bounded before it reaches these functions, so running out of memory is a bug or a
 * machine fault, never an input error. Loop thread only (no locking).
 */
#ifndef TP_COMMON_MEM_H
#define TP_COMMON_MEM_H

#include <stddef.h>

/* malloc/calloc/realloc/strdup that print the size and abort() instead of returning NULL. */
void *tp_xmalloc(size_t size);
void *tp_xcalloc(size_t count, size_t size);
void *tp_xrealloc(void *ptr, size_t size);
char *tp_xstrdup(const char *s);
char *tp_xstrndup(const char *s, size_t len);

/*
 * A bump allocator: blocks are chained and freed all at once by tp_arena_close().
 * The caller owns the struct (tp_arena_init / tp_arena_close).
 */
struct tp_arena_block;

struct tp_arena {
    struct tp_arena_block *head;
    size_t used;  /* bytes used in head */
    size_t cap;   /* bytes available in head */
    size_t total; /* bytes allocated over the arena's life, for bounds checks */
};

void tp_arena_init(struct tp_arena *a);
void tp_arena_close(struct tp_arena *a);
/* Returns zeroed memory aligned for any type; never NULL. */
void *tp_arena_alloc(struct tp_arena *a, size_t size);
/* Copies len bytes of s and a terminating NUL into the arena. */
char *tp_arena_strndup(struct tp_arena *a, const char *s, size_t len);
char *tp_arena_strdup(struct tp_arena *a, const char *s);
/*
 * Makes room for one more element in an array that lives in the arena: when `count` has
 * reached `*cap`, copies the `count` elements of `size` bytes into a new array twice as big
 * (the old one stays until the arena goes) and updates `*cap`. Returns the array to use.
 */
void *tp_arena_grow(struct tp_arena *a, void *items, size_t count, size_t *cap, size_t size);
/* printf into the arena. */
char *tp_arena_printf(struct tp_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
