/* registry.h — operator kernels and delegate backends, looked up by name at method load. */
#ifndef PETITE_RUNTIME_REGISTRY_H
#define PETITE_RUNTIME_REGISTRY_H

#include "backends/backend.h"
#include "kernels/kernel.h"

/* Registered kernel first, then built-in; NULL if neither. *prepare is the built-in kernel's
 * prepare (NULL for registered kernels and kernels without one). */
petite_kernel_fn pt_kernel_lookup(const char *name, pk_prepare_fn *prepare);

const pt_backend *pt_backend_lookup(const char *id);
/* "XnnpackBackend, ..." or "none", for messages. */
const char *pt_backend_names(void);

#endif
