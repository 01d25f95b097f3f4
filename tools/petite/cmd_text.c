/* petite tokenize — text to token ids and back with petite_text.h.
 *
 *   petite tokenize TOKENIZER [--add-special] [--json] TEXT...     ids (and pieces)
 *   petite tokenize TOKENIZER --decode [--skip-special] [--json] ID...
 *
 * TOKENIZER: a tokenizer.json or a directory holding one (with tokenizer_config.json). TEXT "-":
 * standard input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emit.h"
#include "petite/petite_text.h"

static char *read_stdin(size_t *n) {
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + len, 1, cap - len, stdin);
        len += r;
        if (r == 0) break;
        if (len == cap) {
            char *nb = cap < ((size_t)1 << 30) ? realloc(b, cap * 2 + 1) : NULL;
            if (!nb) {
                free(b);
                return NULL;
            }
            b = nb, cap *= 2;
        }
    }
    if (b) b[len] = 0, *n = len;
    return b;
}

static int parse_ids(char **items, int n, int32_t **ids, size_t *count) {
    size_t cap = 64, k = 0;
    int32_t *v = malloc(cap * sizeof *v);
    for (int i = 0; v && i < n; i++) {
        const char *p = items[i];
        while (*p) {
            while (*p == ' ' || *p == ',' || *p == '[' || *p == ']' || *p == '\n' || *p == '\t') p++;
            if (!*p) break;
            char *end;
            errno = 0;
            long x = strtol(p, &end, 10);
            if (end == p || errno || x < 0 || x > INT32_MAX) {
                fprintf(stderr, "petite tokenize: --decode takes token ids (integers): \"%s\"\n", items[i]);
                free(v);
                return 2;
            }
            if (k == cap) {
                int32_t *nv = realloc(v, cap * 2 * sizeof *v);
                if (!nv) break;
                v = nv, cap *= 2;
            }
            v[k++] = (int32_t)x;
            p = end;
        }
    }
    if (!v) return 1;
    *ids = v, *count = k;
    return 0;
}

int cmd_tokenize(int argc, char **argv) {
    const char *path = NULL;
    int decode = 0, json = 0, add_special = 0, skip_special = 0, ntexts = 0;
    char **texts = calloc((size_t)argc + 1, sizeof *texts);
    if (!texts) return 1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--decode")) decode = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--add-special")) add_special = 1;
        else if (!strcmp(argv[i], "--skip-special")) skip_special = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]) {
            fprintf(stderr, "petite tokenize: unknown option %s\n", argv[i]);
            free(texts);
            return 2;
        } else if (!path) path = argv[i];
        else texts[ntexts++] = argv[i];
    }
    if (!path || !ntexts) {
        fprintf(stderr, "petite tokenize: %s\n", !path ? "a tokenizer file is required" : "no text given");
        free(texts);
        return 2;
    }
    ptk_tokenizer *t;
    if (ptk_load_file(path, &t)) {
        fprintf(stderr, "petite tokenize: %s\n", ptk_last_error());
        free(texts);
        return 1;
    }
    int rc = 0;
    emit e;
    emit_init(&e, stdout, 1);
    if (decode) {
        int32_t *ids;
        size_t n;
        char *text;
        size_t len;
        if ((rc = parse_ids(texts, ntexts, &ids, &n)) == 0) {
            if (ptk_decode(t, ids, n, skip_special ? PTK_SKIP_SPECIAL : 0, &text, &len)) {
                fprintf(stderr, "petite tokenize: %s\n", ptk_last_error());
                rc = 1;
            } else {
                if (json) {
                    emit_obj(&e, NULL);
                    emit_strn(&e, "text", text, len);
                    emit_end(&e);
                } else {
                    fwrite(text, 1, len, stdout);
                    putchar('\n');
                }
                ptk_free_buffer(text);
            }
            free(ids);
        }
    } else {
        if (json && ntexts > 1) emit_arr(&e, NULL);
        for (int i = 0; i < ntexts && !rc; i++) {
            size_t len = strlen(texts[i]);
            char *in = texts[i], *owned = NULL;
            if (!strcmp(texts[i], "-") && !(in = owned = read_stdin(&len))) {
                fprintf(stderr, "petite tokenize: cannot read standard input\n");
                rc = 1;
                break;
            }
            int32_t *ids;
            size_t n;
            if (ptk_encode(t, in, len, add_special ? PTK_ADD_SPECIAL : 0, &ids, &n)) {
                fprintf(stderr, "petite tokenize: %s\n", ptk_last_error());
                rc = 1;
            } else if (json) {
                emit_obj(&e, NULL);
                emit_arr(&e, "ids");
                for (size_t k = 0; k < n; k++) emit_int(&e, NULL, ids[k]);
                emit_end(&e);
                emit_arr(&e, "pieces");
                for (size_t k = 0; k < n; k++) {
                    size_t pl = 0;
                    const char *p = ptk_token_to_piece(t, ids[k], &pl);
                    emit_strn(&e, NULL, p ? p : "", p ? pl : 0);
                }
                emit_end(&e);
                emit_end(&e);
            } else {
                for (size_t k = 0; k < n; k++) printf("%s%d", k ? " " : "", (int)ids[k]);
                putchar('\n');
            }
            ptk_free_buffer(ids);
            free(owned);
        }
        if (json && ntexts > 1) emit_end(&e);
    }
    ptk_free(t);
    free(texts);
    return rc;
}
