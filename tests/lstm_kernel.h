/* lstm_kernel.h — a custom operator written against the public kernel API only:
 * etnp::lstm.out, single-layer unidirectional LSTM (gate order i, f, g, o). */
#ifndef PETITE_TESTS_LSTM_KERNEL_H
#define PETITE_TESTS_LSTM_KERNEL_H

#include "petite/petite.h"

petite_status lstm_out_kernel(petite_kernel_ctx *ctx, petite_value **args, size_t nargs);

#endif
