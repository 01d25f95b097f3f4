/* registry.c — the kernel registry (built-in table + the documented global registry of custom
 * kernels) and the table of delegate backends compiled into this build. */
#include "runtime/registry.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PT_MAX_OP_NAME 100 /* as the official runtime's kTempBufferSizeForName */

typedef struct custom_kernel {
    char name[PT_MAX_OP_NAME];
    petite_kernel_fn fn;
} custom_kernel;

/* The one piece of global mutable state: kernels registered through petite_register_kernel. */
static custom_kernel *g_custom;
static size_t g_ncustom, g_capcustom;
static atomic_flag g_lock = ATOMIC_FLAG_INIT;

static void lock(void) {
    while (atomic_flag_test_and_set_explicit(&g_lock, memory_order_acquire)) {
    }
}
static void unlock(void) { atomic_flag_clear_explicit(&g_lock, memory_order_release); }

petite_status petite_register_kernel(const char *name, petite_kernel_fn fn) {
    if (!name || !fn) return pt_bad_args(__func__);
    size_t len = strlen(name);
    if (len == 0 || len >= PT_MAX_OP_NAME) return pt_bad_args(__func__);
    petite_status s = PETITE_OK;
    lock();
    size_t i = 0;
    while (i < g_ncustom && strcmp(g_custom[i].name, name) != 0) i++;
    if (i == g_ncustom) {
        if (g_ncustom == g_capcustom) {
            size_t cap = g_capcustom ? g_capcustom * 2 : 16;
            custom_kernel *grown = realloc(g_custom, cap * sizeof *grown);
            if (!grown) {
                unlock();
                return PETITE_ERR_MEMORY_ALLOCATION_FAILED;
            }
            g_custom = grown;
            g_capcustom = cap;
        }
        memcpy(g_custom[i].name, name, len + 1);
        g_ncustom++;
    }
    g_custom[i].fn = fn;
    unlock();
    return s;
}

petite_kernel_fn pt_kernel_lookup(const char *name, pk_prepare_fn *prepare) {
    petite_kernel_fn fn = NULL;
    if (prepare) *prepare = NULL;
    lock();
    for (size_t i = 0; i < g_ncustom && !fn; i++)
        if (strcmp(g_custom[i].name, name) == 0) fn = g_custom[i].fn;
    unlock();
    for (const pk_kernel_def *k = pk_builtin_kernels; !fn && k->name; k++)
        if (strcmp(k->name, name) == 0) {
            fn = k->run;
            if (prepare) *prepare = k->prepare;
        }
    return fn;
}

int32_t petite_has_kernel(const char *name) { return name && pt_kernel_lookup(name, NULL) != NULL; }

/* Delegate backends in this build. */
/* backends/backend.h lists the backends compiled in */
static const pt_backend *const g_backends[] = {&pt_xnnpack_backend, NULL};

const pt_backend *pt_backend_lookup(const char *id) {
    for (size_t i = 0; g_backends[i]; i++)
        if (strcmp(g_backends[i]->id, id) == 0) return g_backends[i];
    return NULL;
}

const char *pt_backend_names(void) { return g_backends[0] ? g_backends[0]->id : "none"; }
