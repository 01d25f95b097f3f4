/* json.h — a small JSON reader for test manifests (not part of the library). */
#ifndef PETITE_TESTS_JSON_H
#define PETITE_TESTS_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype type;
    double num;         /* J_NUM, J_BOOL (0/1) */
    char *str;          /* J_STR; NUL-terminated, unescaped */
    char *key;          /* when a member of an object */
    struct jnode *kids; /* J_ARR, J_OBJ: first child */
    struct jnode *next; /* next sibling */
    size_t n;           /* number of children */
} jnode;

/* Parse a whole file; NULL on error (message in err). Free with json_free. */
jnode *json_parse_file(const char *path, char *err, size_t errcap);
void json_free(jnode *n);
const jnode *json_get(const jnode *obj, const char *key);
const jnode *json_at(const jnode *arr, size_t i);

#endif
