/* SPDX-License-Identifier: MIT */
/*
 * A zip archive written as a stream (what Jenkins serves as a run's archive.zip of artifacts):
 * entries one after the other, each deflated (zlib) as its bytes come, its sizes and CRC-32
 * in a data descriptor after its data, then the central directory. Nothing needs to be known
 * ahead, so the archive is sent while it is made. Pure: bytes in, bytes appended to `out`.
 *
 * Sizes are the classic zip's 32-bit ones: an entry, or the archive, over 4 GiB - 1 fails
 * (TP_ETOOBIG) rather than writing a corrupt archive.
 */
#ifndef TP_COMMON_ZIP_H
#define TP_COMMON_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct tp_buf;
struct tp_zip;

struct tp_zip *tp_zip_new(void);
void tp_zip_free(struct tp_zip *zip);

/* Starts entry `name` (a relative path, '/' between its parts) modified at `mtime`. Returns 0,
 * or TP_ETOOBIG when the archive is too large, TP_EINVAL when an entry is still open. */
int tp_zip_begin(struct tp_zip *zip, const char *name, time_t mtime, struct tp_buf *out);
/* The next `len` bytes of the open entry; `last` ends it. Returns 0 or TP_ETOOBIG/TP_EINVAL. */
int tp_zip_write(struct tp_zip *zip, const void *data, size_t len, bool last, struct tp_buf *out);
/* Ends the archive: its central directory. Returns 0 or TP_ETOOBIG/TP_EINVAL. */
int tp_zip_finish(struct tp_zip *zip, struct tp_buf *out);

#endif
