#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

petite_status pt_fail(pt_err *e, petite_status status, const char *fmt, ...) {
    e->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return status;
}

petite_status pt_prefix(pt_err *e, const char *fmt, ...) {
    char head[PT_ERRMSG_MAX], old[PT_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", head, old);
    return e->status;
}

void pt_err_clear(pt_err *e) {
    e->status = PETITE_OK;
    e->msg[0] = '\0';
}

#if defined(PETITE_BARE_METAL) /* one thread, and no thread-local storage without an OS */
static char tls_last_error[PT_ERRMSG_MAX];
#else
static _Thread_local char tls_last_error[PT_ERRMSG_MAX];
#endif

void pt_set_last_error(const pt_err *e) {
    snprintf(tls_last_error, sizeof tls_last_error, "%s: %s", petite_status_name(e->status),
             e->msg);
}

const char *petite_last_error(void) { return tls_last_error; }

petite_status pt_bad_args(const char *function) {
    snprintf(tls_last_error, sizeof tls_last_error,
             "InvalidArgument: %s: a NULL handle or argument, or an index out of range", function);
    return PETITE_ERR_INVALID_ARGUMENT;
}

const char *petite_status_name(petite_status s) {
    switch (s) {
    case PETITE_OK: return "Ok";
    case PETITE_ERR_INTERNAL: return "Internal";
    case PETITE_ERR_INVALID_STATE: return "InvalidState";
    case PETITE_ERR_END_OF_METHOD: return "EndOfMethod";
    case PETITE_ERR_NOT_SUPPORTED: return "NotSupported";
    case PETITE_ERR_NOT_IMPLEMENTED: return "NotImplemented";
    case PETITE_ERR_INVALID_ARGUMENT: return "InvalidArgument";
    case PETITE_ERR_INVALID_TYPE: return "InvalidType";
    case PETITE_ERR_OPERATOR_MISSING: return "OperatorMissing";
    case PETITE_ERR_NOT_FOUND: return "NotFound";
    case PETITE_ERR_MEMORY_ALLOCATION_FAILED: return "MemoryAllocationFailed";
    case PETITE_ERR_ACCESS_FAILED: return "AccessFailed";
    case PETITE_ERR_INVALID_PROGRAM: return "InvalidProgram";
    case PETITE_ERR_INVALID_EXTERNAL_DATA: return "InvalidExternalData";
    case PETITE_ERR_OUT_OF_RESOURCES: return "OutOfResources";
    case PETITE_ERR_DELEGATE_INVALID_COMPATIBILITY: return "DelegateInvalidCompatibility";
    case PETITE_ERR_DELEGATE_MEMORY_ALLOCATION_FAILED: return "DelegateMemoryAllocationFailed";
    case PETITE_ERR_DELEGATE_INVALID_HANDLE: return "DelegateInvalidHandle";
    }
    return "Unknown";
}
