/* npy.h — NumPy .npy files (versions 1-3, little-endian, C order) for tensors in and out. */
#ifndef PETITE_TOOLS_NPY_H
#define PETITE_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

typedef struct npy_array {
    int32_t dtype; /* petite_dtype */
    int32_t rank;
    int64_t shape[PETITE_MAX_RANK];
    void *data;    /* malloc'd */
    size_t nbytes;
} npy_array;

/* 0 on success; on failure -1 with a message in err. */
int npy_read(const char *path, npy_array *out, char *err, size_t errcap);
int npy_write(const char *path, int32_t dtype, int32_t rank, const int64_t *shape,
              const void *data, size_t nbytes, char *err, size_t errcap);
void npy_free(npy_array *a);

#endif
