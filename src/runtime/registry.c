/* registry.c — the kernel registry (built-in table + the documented global registry of custom
 * kernels), kernel libraries loaded at run time, and the table of delegate backends compiled into
 * this build. */
#include "runtime/registry.h"
#include "core/mem.h"

#include "core/error.h"
#include "core/os.h"

#include <stdatomic.h>
#include <stdio.h>
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
            custom_kernel *grown = pt_realloc(g_custom, cap * sizeof *grown);
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

/* ---- kernel libraries ---- */

static const petite_kernel_api g_kernel_api = {
    PETITE_KERNEL_API_VERSION, (uint32_t)sizeof(petite_kernel_api), petite_register_kernel, petite_value_kind,
    petite_value_int, petite_value_double, petite_value_bool, petite_value_tensor, petite_value_list_len,
    petite_value_int_list_get, petite_tensor_data, petite_tensor_dtype, petite_tensor_rank, petite_tensor_size,
    petite_tensor_numel, petite_tensor_is_contiguous, petite_tensor_resize, petite_kernel_fail,
};

petite_status petite_load_kernel_library(const char *path) {
    if (!path || !*path) return pt_bad_args(__func__);
    pt_err e;
    pt_err_clear(&e);
    char why[256];
    void *sym = pt_dl_symbol(path, "petite_kernel_library_init", why, sizeof why);
    if (!sym) {
        pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "kernel library '%s': %s", path, why);
        pt_set_last_error(&e);
        return e.status;
    }
    petite_kernel_library_init_fn init;
    memcpy(&init, &sym, sizeof init); /* object pointer -> function pointer, as dlsym's users must */
    petite_status s = init(&g_kernel_api);
    if (s != PETITE_OK) {
        pt_fail(&e, s, "kernel library '%s': petite_kernel_library_init returned %s", path, petite_status_name(s));
        pt_set_last_error(&e);
    }
    return s;
}

/* Delegate backends in this build. */
/* backends/backend.h lists the backends compiled in */
static const pt_backend *const g_backends[] = {
#ifndef PETITE_NO_XNNPACK
    &pt_xnnpack_backend,
#endif
    NULL};

const pt_backend *pt_backend_lookup(const char *id) {
    for (size_t i = 0; g_backends[i]; i++)
        if (strcmp(g_backends[i]->id, id) == 0) return g_backends[i];
    return NULL;
}

const char *pt_backend_names(void) { return g_backends[0] ? g_backends[0]->id : "none"; }
