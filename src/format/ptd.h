/* ptd.h — external tensor data files (`.ptd`, FlatTensor "FT01" with header "FH01"):
 * named blobs (weights) that a program's EXTERNAL tensors and delegates look up by key. */
#ifndef PETITE_FORMAT_PTD_H
#define PETITE_FORMAT_PTD_H

#include <stdint.h>

#include "core/error.h"

typedef struct pt_ptd pt_ptd;

petite_status pt_ptd_open(const char *path, pt_ptd **out, pt_err *e);
/* Open from memory; the bytes are copied. */
petite_status pt_ptd_open_buffer(const void *data, size_t size, pt_ptd **out, pt_err *e);
void pt_ptd_close(pt_ptd *d);
/* NOT_FOUND (without a message) if the key is absent. */
petite_status pt_ptd_get(const pt_ptd *d, const char *key, size_t keylen, const uint8_t **ptr,
                         uint64_t *size, pt_err *e);
uint32_t pt_ptd_count(const pt_ptd *d);
/* Key of named blob i (< pt_ptd_count), not NUL-terminated. */
petite_status pt_ptd_key(const pt_ptd *d, uint32_t i, const char **key, uint32_t *len, pt_err *e);

#endif
