/* util.h — small helpers of the CLI over petite.h's dtypes: element access and shape text. */
#ifndef PETITE_TOOLS_UTIL_H
#define PETITE_TOOLS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

int util_is_float(int32_t dtype);
int util_is_number(int32_t dtype);              /* bool, integers, floats */
double util_load(const void *p, int32_t dtype, int64_t i);
void util_store(void *p, int32_t dtype, int64_t i, double v);
const char *util_shape(const int64_t *sizes, int32_t rank, char *buf, size_t cap);
const char *util_kind_name(int32_t kind);
const char *util_isa_name(int32_t isa);        /* petite_isa */
/* petite_load_kernel_library, or a message on stderr (prefixed "petite CMD: "); 0 on success. */
int util_load_kernel_lib(const char *cmd, const char *path);
int util_parse_isa(const char *s, int32_t *isa);
/* a line "NAME: N kB" of /proc/self/status (Linux: VmHWM is this process's peak resident memory), or -1 */
long util_proc_status_kb(const char *name);
/* Checked numbers for options: the whole of s is the number (no trailing text), finite, within [lo, hi];
 * else a message "petite CMD: OPT 'S' ..." on stderr and -1. Every numeric option goes through these. */
int util_parse_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out);
int util_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out);
/* as util_parse_int, into an int (lo and hi within int's range) */
int util_parse_i(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out);
/* Deterministic fill: a fixed LCG; floats in [-1, 1), integers in [0, 10), bools alternate. */
void util_fill(void *data, int32_t dtype, int64_t n, uint32_t seed);

#endif
