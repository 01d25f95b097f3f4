/* exercise.h — put arbitrary bytes through everything a user would do: open, inspect and load
 * every method (memory capped), fill its tensor inputs with zeros, run. Shared by the bad-input
 * sweep and the libFuzzer target. */
#ifndef PETITE_TESTS_EXERCISE_H
#define PETITE_TESTS_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

typedef struct exercise_stats {
    long opened, loaded, ran;
    long failed_with_message, failed_silently;
} exercise_stats;

void exercise_bytes(const uint8_t *data, size_t size, uint64_t memory_cap, exercise_stats *st);

#endif
