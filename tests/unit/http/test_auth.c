/* SPDX-License-Identifier: MIT */
/* http/auth and http/jwt: users files, password hashes, tokens issued and checked. */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/timefmt.h"
#include "harness/tp_test.h"
#include "http/auth.h"
#include "http/crypto.h"
#include "http/jwt.h"

TP_TEST(users_file_hash_and_check)
{
    struct tp_buf text, error;
    tp_buf_init(&text);
    tp_buf_init(&error);
    ASSERT_EQ(0, tp_crypto_load(&error));
    tp_buf_puts(&text, "# team\n  alice:admin:");
    ASSERT_EQ(0, tp_password_hash("s3cret", &text));
    tp_buf_puts(&text, "   # the boss\r\nbob:read:");
    ASSERT_EQ(0, tp_password_hash("pw", &text));
    tp_buf_putc(&text, '\n');
    struct tp_users *users;
    ASSERT_EQ(0, tp_users_parse(text.data, text.len, &users, &error));
    const struct tp_user *alice = tp_users_check(users, "alice", "s3cret");
    ASSERT_TRUE(alice != NULL);
    ASSERT_EQ(TP_ROLE_ADMIN, alice->role);
    /* the second time is answered from the remembered digest, the same way */
    ASSERT_TRUE(tp_users_check(users, "alice", "s3cret") == alice);
    ASSERT_TRUE(tp_users_check(users, "alice", "s3cret!") == NULL);
    ASSERT_TRUE(tp_users_check(users, "alice", "") == NULL);
    ASSERT_TRUE(tp_users_check(users, "nobody", "s3cret") == NULL);
    ASSERT_EQ(TP_ROLE_READ, tp_users_check(users, "bob", "pw")->role);
    ASSERT_STR_EQ("bob", tp_users_name_at(users, 1));
    ASSERT_TRUE(tp_users_name_at(users, 2) == NULL);
    tp_users_free(users);
    ASSERT_EQ(TP_EINVAL, tp_password_hash("", &text));

    static const struct {
        const char *text, *error;
    } bad[] = {
        { "alice:root:pbkdf2-sha256$1$00$00", "line 1: the role" },
        { "\n\nalice:read", "line 3: expected name:role:hash" },
        { "alice:read:pbkdf2-sha256$1$zz$00", "line 1: the hash" },
        { "a b:read:x", "line 1: bad user name" },
        { "# only comments\n", "no users" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tp_buf_reset(&error);
        ASSERT_EQ(TP_EINVAL, tp_users_parse(bad[i].text, strlen(bad[i].text), &users, &error));
        ASSERT_TRUE(strstr(tp_buf_str(&error), bad[i].error) != NULL);
    }
    tp_buf_close(&text);
    tp_buf_close(&error);
}

TP_TEST(jwt_issue_and_verify)
{
    struct tp_buf pem, token, why;
    tp_buf_init(&pem);
    tp_buf_init(&token);
    tp_buf_init(&why);
    ASSERT_EQ(0, tp_crypto_load(&why));
    ASSERT_EQ(0, tp_jwt_generate(&pem));
    struct tp_jwt *jwt;
    ASSERT_EQ(0, tp_jwt_new(pem.data, pem.len, &jwt));
    ASSERT_EQ(TP_EINVAL, tp_jwt_new("not a key", 9, &(struct tp_jwt *){ NULL }));
    struct tp_arena arena;
    tp_arena_init(&arena);
    int64_t now = tp_time_now_ms() / 1000;
    const char *subject = NULL;

    ASSERT_EQ(0, tp_jwt_issue(jwt, "alice", "Alice", now, 1800, &token));
    ASSERT_EQ(0, tp_jwt_verify(jwt, tp_buf_str(&token), &arena, &subject, &why));
    ASSERT_STR_EQ("alice", subject);

    /* a changed claim no longer matches its signature */
    char *forged = tp_arena_strdup(&arena, tp_buf_str(&token));
    char *claims = strchr(forged, '.') + 1;
    claims[2] = claims[2] == 'A' ? 'B' : 'A';
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, forged, &arena, &subject, &why));
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, "a.b", &arena, &subject, &why));
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, "a.b.c.d", &arena, &subject, &why));
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, "..", &arena, &subject, &why));

    /* expired an hour ago: refused, and said so; an anonymous token never expires */
    tp_buf_reset(&token);
    ASSERT_EQ(0, tp_jwt_issue(jwt, "alice", NULL, now - 7200, 3600, &token));
    tp_buf_reset(&why);
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, tp_buf_str(&token), &arena, &subject, &why));
    ASSERT_STR_EQ("expired", tp_buf_str(&why));
    tp_buf_reset(&token);
    ASSERT_EQ(0, tp_jwt_issue(jwt, "anonymous", NULL, now - 7200, 3600, &token));
    ASSERT_EQ(0, tp_jwt_verify(jwt, tp_buf_str(&token), &arena, &subject, &why));

    /* another key's token is not ours */
    struct tp_buf other_pem;
    tp_buf_init(&other_pem);
    ASSERT_EQ(0, tp_jwt_generate(&other_pem));
    struct tp_jwt *other;
    ASSERT_EQ(0, tp_jwt_new(other_pem.data, other_pem.len, &other));
    tp_buf_reset(&token);
    ASSERT_EQ(0, tp_jwt_issue(other, "alice", NULL, now, 60, &token));
    ASSERT_EQ(TP_EINVAL, tp_jwt_verify(jwt, tp_buf_str(&token), &arena, &subject, &why));

    tp_jwt_free(other);
    tp_jwt_free(jwt);
    tp_arena_close(&arena);
    tp_buf_close(&other_pem);
    tp_buf_close(&pem);
    tp_buf_close(&token);
    tp_buf_close(&why);
}

TP_TEST_LIST(TP_CASE(users_file_hash_and_check), TP_CASE(jwt_issue_and_verify))
