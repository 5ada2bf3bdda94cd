/* SPDX-License-Identifier: MIT */
/* Small file-system helpers shared by the rooms (blocking: start-up, CLI, short steps). */
#ifndef TP_COMMON_FS_H
#define TP_COMMON_FS_H

#include <stddef.h>

struct tp_buf;

/* mkdir -p: creates `path` and its missing parents (mode 0755). Returns 0 or a -errno. */
int tp_fs_mkdir_p(const char *path);

/* rm -r: removes `path` and everything under it (links are not followed, only removed).
 * Returns 0 or a -errno. */
int tp_fs_remove_tree(const char *path);

/*
 * Appends the whole file at `path` to `out` (NUL-terminated, "" for an empty file), at most
 * `max` bytes. Returns 0, a -errno, or TP_ETOOBIG when the file is larger.
 */
int tp_fs_read_file(const char *path, size_t max, struct tp_buf *out);

/* Writes `len` bytes to a new (or truncated) file at `path` with `mode`. Returns 0 or a
 * -errno. */
int tp_fs_write_file(const char *path, const void *data, size_t len, unsigned mode);

#endif
