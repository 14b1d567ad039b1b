/* Owns: turning a request body into a JSON object for a handler.
 * Never: echoes the body in an error (jansson's error text quotes the input),
 * builds a tree deeper than FA_MAX_JSON_DEPTH, or leaks the json_t (it dies
 * with the request arena). */
#include "http/request.h"

static fa_status_t fa_invalid_json(fa_error_t *err, const char *message, const char *detail)
{
    return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_json", message, detail);
}

/* Depth of [ and { outside strings, checked before jansson builds anything:
 * jansson's own limit (2048) is far above what any endpoint accepts. A body
 * that is not JSON at all is left for the parser to reject. */
static bool fa_json_depth_ok(fa_str_t body, size_t max_depth)
{
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < body.len; i++) {
        char c = body.ptr[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth)
                return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return true;
}

fa_status_t fa_request_json(const fa_request_t *req, json_t **out, fa_error_t *err)
{
    *out = NULL;
    if (!fa_request_is_content_type(req, "application/json"))
        return fa_error_set(err, FA_ERR_UNSUPPORTED_TYPE, "unsupported_media_type",
                            "request body must be application/json", NULL);
    if (req->body.len > FA_MAX_BODY)
        return fa_error_set(err, FA_ERR_TOO_LARGE, "body_too_large", "request body is too large",
                            NULL);
    if (req->body.len == 0 || req->body.ptr == NULL)
        return fa_invalid_json(err, "request body is empty", NULL);
    if (!fa_utf8_valid(req->body.ptr, req->body.len))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_encoding",
                            "request body is not valid UTF-8", NULL);
    if (!fa_json_depth_ok(req->body, FA_MAX_JSON_DEPTH))
        return fa_invalid_json(err, "request body is nested too deeply", NULL);
    json_error_t jerr;
    json_t *root = json_loadb(req->body.ptr, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        /* Position only: jerr.text may quote the body, which may hold a secret. */
        return fa_invalid_json(err, "request body is not valid JSON",
                               fa_arena_sprintf(req->arena, "json parse error at line %d column %d",
                                                jerr.line, jerr.column));
    fa_arena_json(req->arena, root);
    if (!json_is_object(root))
        return fa_invalid_json(err, "request body must be a JSON object", NULL);
    *out = root;
    return FA_OK;
}
