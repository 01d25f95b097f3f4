/* error.h — status + message with context, passed down every call path.
 * The innermost failure writes the message; each layer above prepends its context
 * ("method 'forward': instruction 3 (aten::add.out): ..."). */
#ifndef PETITE_CORE_ERROR_H
#define PETITE_CORE_ERROR_H

#include "petite/petite.h"

#define PT_ERRMSG_MAX 512

typedef struct pt_err {
    petite_status status;
    char msg[PT_ERRMSG_MAX];
} pt_err;

/* Record a failure (replaces any earlier message) and return `status`. */
petite_status pt_fail(pt_err *e, petite_status status, const char *fmt, ...) PETITE_PRINTF(3, 4);
/* Prepend context to the recorded message; returns the recorded status. */
petite_status pt_prefix(pt_err *e, const char *fmt, ...) PETITE_PRINTF(2, 3);
void pt_err_clear(pt_err *e);

/* This thread's last-error buffer (behind petite_last_error). */
void pt_set_last_error(const pt_err *e);
/* A public function called with a NULL handle or argument (or an index out of range): records
 * "InvalidArgument: <function>: ..." as this thread's last error; returns
 * PETITE_ERR_INVALID_ARGUMENT. */
petite_status pt_bad_args(const char *function);

#endif
