/* SPDX-License-Identifier: MIT */
#include "common/zip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

enum {
    ZIP_VERSION = 20,            /* 2.0: deflate */
    ZIP_MADE_BY = (3 << 8) | 20, /* on Unix */
    ZIP_FLAGS = 0x0808,          /* data descriptor follows; names are UTF-8 */
    ZIP_DEFLATE = 8,
    ZIP_MODE = 0100644 /* a regular file, rw-r--r-- (external attributes' high half) */
};

struct entry {
    char *name;
    uint16_t time, date;
    uint32_t crc, csize, usize, offset;
};

struct tp_zip {
    struct entry *entries;
    size_t count, cap;
    uint64_t offset; /* bytes written so far */
    bool open;       /* an entry is being written */
    z_stream z;
    uint64_t csize, usize;
    uint32_t crc;
};

static void put16(struct tp_buf *out, uint32_t v)
{
    unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
    tp_buf_append(out, (const char *)b, 2);
}

static void put32(struct tp_buf *out, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    tp_buf_append(out, (const char *)b, 4);
}

/* MS-DOS time and date, in local time as zip tools read them (from 1980). */
static void dos_time(time_t t, uint16_t *time_out, uint16_t *date_out)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (tm.tm_year < 80) {
        *time_out = 0;
        *date_out = (1 << 5) | 1; /* 1980-01-01 */
        return;
    }
    *time_out = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    *date_out = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

struct tp_zip *tp_zip_new(void)
{
    return tp_xcalloc(1, sizeof(struct tp_zip));
}

void tp_zip_free(struct tp_zip *zip)
{
    if (zip == NULL)
        return;
    if (zip->open)
        deflateEnd(&zip->z);
    for (size_t i = 0; i < zip->count; i++)
        free(zip->entries[i].name);
    free(zip->entries);
    free(zip);
}

/* Counts what was appended to `out` since `before` in the archive's offset. */
static void emit(struct tp_zip *zip, struct tp_buf *out, size_t before)
{
    zip->offset += out->len - before;
}

int tp_zip_begin(struct tp_zip *zip, const char *name, time_t mtime, struct tp_buf *out)
{
    size_t name_len = strlen(name);
    if (zip->open)
        return TP_EINVAL;
    if (zip->offset > UINT32_MAX || zip->count >= UINT16_MAX || name_len > UINT16_MAX)
        return TP_ETOOBIG;
    /* raw deflate (no zlib header), as zip stores it */
    memset(&zip->z, 0, sizeof(zip->z));
    if (deflateInit2(&zip->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return TP_EINVAL; /* deflate could not start: only bad arguments or no memory */
    zip->open = true;
    zip->csize = zip->usize = 0;
    zip->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    zip->entries = tp_xrealloc(zip->entries, (zip->count + 1) * sizeof(*zip->entries));
    struct entry *e = &zip->entries[zip->count++];
    memset(e, 0, sizeof(*e));
    e->name = tp_xstrdup(name);
    e->offset = (uint32_t)zip->offset;
    dos_time(mtime, &e->time, &e->date);
    size_t before = out->len;
    put32(out, 0x04034b50); /* local file header */
    put16(out, ZIP_VERSION);
    put16(out, ZIP_FLAGS);
    put16(out, ZIP_DEFLATE);
    put16(out, e->time);
    put16(out, e->date);
    put32(out, 0); /* crc and sizes: in the data descriptor */
    put32(out, 0);
    put32(out, 0);
    put16(out, (uint32_t)name_len);
    put16(out, 0); /* no extra field */
    tp_buf_append(out, name, name_len);
    emit(zip, out, before);
    return 0;
}

int tp_zip_write(struct tp_zip *zip, const void *data, size_t len, bool last, struct tp_buf *out)
{
    if (!zip->open)
        return TP_EINVAL;
    size_t before = out->len;
    zip->crc = (uint32_t)crc32(zip->crc, data, (uInt)len);
    zip->usize += len;
    zip->z.next_in = (Bytef *)(uintptr_t)data;
    zip->z.avail_in = (uInt)len;
    int flush = last ? Z_FINISH : Z_NO_FLUSH, rc;
    do { /* until deflate leaves room: then all input is taken (and, finishing, all out) */
        size_t room = 64 * 1024;
        tp_buf_reserve(out, room);
        zip->z.next_out = (Bytef *)out->data + out->len;
        zip->z.avail_out = (uInt)room;
        rc = deflate(&zip->z, flush);
        out->len += room - zip->z.avail_out;
        out->data[out->len] = '\0';
    } while (zip->z.avail_out == 0 && rc != Z_STREAM_ERROR);
    zip->csize += out->len - before;
    emit(zip, out, before);
    if (!last)
        return zip->usize > UINT32_MAX ? TP_ETOOBIG : 0;
    deflateEnd(&zip->z);
    zip->open = false;
    if (rc != Z_STREAM_END || zip->usize > UINT32_MAX || zip->csize > UINT32_MAX)
        return TP_ETOOBIG;
    struct entry *e = &zip->entries[zip->count - 1];
    e->crc = zip->crc;
    e->csize = (uint32_t)zip->csize;
    e->usize = (uint32_t)zip->usize;
    before = out->len;
    put32(out, 0x08074b50); /* data descriptor */
    put32(out, e->crc);
    put32(out, e->csize);
    put32(out, e->usize);
    emit(zip, out, before);
    return 0;
}

int tp_zip_finish(struct tp_zip *zip, struct tp_buf *out)
{
    if (zip->open)
        return TP_EINVAL;
    uint64_t start = zip->offset;
    size_t before = out->len;
    for (size_t i = 0; i < zip->count; i++) {
        const struct entry *e = &zip->entries[i];
        size_t name_len = strlen(e->name);
        put32(out, 0x02014b50); /* central directory header */
        put16(out, ZIP_MADE_BY);
        put16(out, ZIP_VERSION);
        put16(out, ZIP_FLAGS);
        put16(out, ZIP_DEFLATE);
        put16(out, e->time);
        put16(out, e->date);
        put32(out, e->crc);
        put32(out, e->csize);
        put32(out, e->usize);
        put16(out, (uint32_t)name_len);
        put16(out, 0); /* extra */
        put16(out, 0); /* comment */
        put16(out, 0); /* disk */
        put16(out, 0); /* internal attributes */
        put32(out, (uint32_t)ZIP_MODE << 16);
        put32(out, e->offset);
        tp_buf_append(out, e->name, name_len);
    }
    emit(zip, out, before);
    if (zip->offset > UINT32_MAX)
        return TP_ETOOBIG;
    before = out->len;
    put32(out, 0x06054b50); /* end of central directory */
    put16(out, 0);
    put16(out, 0);
    put16(out, (uint32_t)zip->count);
    put16(out, (uint32_t)zip->count);
    put32(out, (uint32_t)(zip->offset - start));
    put32(out, (uint32_t)start);
    put16(out, 0); /* comment */
    emit(zip, out, before);
    return 0;
}
