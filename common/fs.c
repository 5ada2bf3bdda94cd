/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700 /* nftw */
#include "common/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

int tp_fs_mkdir_p(const char *path)
{
    char *copy = tp_xstrdup(path);
    int err = 0;
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            err = -errno;
        *p = saved;
        if (saved == '\0' || err < 0)
            break;
    }
    free(copy);
    return err;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = flag == FTW_DP ? rmdir(path) : unlink(path);
    return r < 0 && errno != ENOENT ? -1 : 0;
}

int tp_fs_remove_tree(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

int tp_fs_read_file(const char *path, size_t max, struct tp_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    char chunk[16384];
    size_t n, start = out->len;
    int err = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (out->len - start + n > max) {
            err = TP_ETOOBIG;
            break;
        }
        tp_buf_append(out, chunk, n);
    }
    if (err == 0 && ferror(f))
        err = -EIO;
    fclose(f);
    if (err == 0 && out->data == NULL)
        tp_buf_append(out, "", 0);
    return err;
}

int tp_fs_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return -errno;
    int err = 0;
    for (size_t done = 0; done < len && err == 0;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno != EINTR)
            err = -errno;
        else if (n > 0)
            done += (size_t)n;
    }
    if (close(fd) < 0 && err == 0)
        err = -errno;
    return err;
}
