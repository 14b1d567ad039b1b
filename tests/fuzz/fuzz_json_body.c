/* Fuzz target for fa_request_json, which every JSON endpoint's body reaches.
 * The first input byte picks the Content-Type, the rest is the body.
 * Invariants checked (abort on violation):
 *  - a non-JSON media type is always 415, whatever the body;
 *  - success means an object, a valid UTF-8 body, nesting within
 *    FA_MAX_JSON_DEPTH, and a tree that round-trips through jansson;
 *  - failure is a 400 invalid_json / bad_encoding whose message and detail
 *    are fixed texts and a position, never a quote of the body;
 *  - the tree is released by the arena reset (LeakSanitizer checks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "fuzz_check.h"

static const char *const content_types[] = {
    "application/json",  "application/json; charset=utf-8",
    "APPLICATION/JSON",  "text/plain",
    "application/jsonx", NULL,
};

static size_t depth(const json_t *j)
{
    size_t max = 0;
    if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v)
        {
            size_t d = depth(v);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            size_t d = depth(v);
            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}

/* The error texts are fixed strings and a position, so no byte of the body can
 * be in them; checking the shape is stronger than searching for the body. */
static bool fixed_text(const char *message, const char *detail)
{
    static const char *const messages[] = {
        "request body is empty", "request body is not valid JSON",
        "request body must be a JSON object", "request body is nested too deeply",
        "request body is not valid UTF-8"};
    bool known = false;
    for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
        known = known || strcmp(message, messages[i]) == 0;
    if (!known || !detail)
        return known;
    int line, column, end = 0;
    return sscanf(detail, "json parse error at line %d column %d%n", &line, &column, &end) == 2 &&
           detail[end] == '\0';
}

static void check_success(const fa_request_t *req, json_t *root)
{
    CHECK(json_is_object(root));
    CHECK(fa_utf8_valid(req->body.ptr, req->body.len));
    CHECK(depth(root) <= FA_MAX_JSON_DEPTH);
    char *text = json_dumps(root, JSON_COMPACT);
    CHECK(text != NULL);
    json_t *again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    CHECK(again && json_equal(root, again));
    json_decref(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    size_t ct = size ? data[0] % (sizeof(content_types) / sizeof(content_types[0])) : 0;
    fa_request_t req = {.arena = arena,
                        .content_type = fa_str_from(content_types[ct]),
                        .body = {size ? (const char *)data + 1 : NULL, size ? size - 1 : 0}};
    json_t *root = NULL;
    fa_error_t err = {0};
    fa_status_t st = fa_request_json(&req, &root, &err);
    bool json_type = ct < 3;
    if (!json_type) {
        CHECK(st == FA_ERR_UNSUPPORTED_TYPE && root == NULL);
    } else if (st == FA_OK) {
        check_success(&req, root);
    } else {
        CHECK(st == FA_ERR_BAD_REQUEST && root == NULL && err.code && err.message);
        CHECK(strcmp(err.code, "invalid_json") == 0 || strcmp(err.code, "bad_encoding") == 0);
        CHECK(fixed_text(err.message, err.detail));
    }
    fa_arena_reset(arena);
    return 0;
}
