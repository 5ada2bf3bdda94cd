/* SPDX-License-Identifier: MIT */
/* common/zip: the stream's records, in order, and misuse refused. (Python's zipfile reads
 * what the server streams in tests/integration/test_workspace_steps.py.) */
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/zip.h"
#include "harness/tp_test.h"

static uint32_t get32(const struct tp_buf *b, size_t at)
{
    const unsigned char *p = (const unsigned char *)b->data + at;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t get16(const struct tp_buf *b, size_t at)
{
    const unsigned char *p = (const unsigned char *)b->data + at;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

TP_TEST(zip_records_in_order)
{
    struct tp_buf out;
    tp_buf_init(&out);
    struct tp_zip *zip = tp_zip_new();
    ASSERT_OK(tp_zip_begin(zip, "archive/a.txt", 1700000000, &out));
    ASSERT_EQ(0x04034b50u, get32(&out, 0));
    ASSERT_EQ(13u, get16(&out, 26));
    ASSERT_TRUE(memcmp(out.data + 30, "archive/a.txt", 13) == 0);
    ASSERT_EQ(TP_EINVAL, tp_zip_begin(zip, "b", 0, &out)); /* a.txt is still open */
    ASSERT_EQ(TP_EINVAL, tp_zip_finish(zip, &out));
    ASSERT_OK(tp_zip_write(zip, "hello ", 6, false, &out));
    ASSERT_OK(tp_zip_write(zip, "world\n", 6, true, &out));
    size_t descriptor = out.len - 16;
    ASSERT_EQ(0x08074b50u, get32(&out, descriptor));
    ASSERT_EQ(0xaf083b2du, get32(&out, descriptor + 4)); /* crc32("hello world\n") */
    ASSERT_EQ(12u, get32(&out, descriptor + 12));
    ASSERT_EQ(TP_EINVAL, tp_zip_write(zip, "x", 1, true, &out)); /* no entry open */
    ASSERT_OK(tp_zip_begin(zip, "archive/empty", 0, &out));
    ASSERT_OK(tp_zip_write(zip, "", 0, true, &out));
    size_t central = out.len;
    ASSERT_OK(tp_zip_finish(zip, &out));
    ASSERT_EQ(0x02014b50u, get32(&out, central));
    size_t end = out.len - 22;
    ASSERT_EQ(0x06054b50u, get32(&out, end));
    ASSERT_EQ(2u, get16(&out, end + 10));              /* entries */
    ASSERT_EQ(central, (size_t)get32(&out, end + 16)); /* where the directory starts */
    ASSERT_EQ(end - central, (size_t)get32(&out, end + 12));
    tp_zip_free(zip);
    tp_buf_close(&out);
}

TP_TEST_LIST(TP_CASE(zip_records_in_order))
