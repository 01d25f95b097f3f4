/* startup.h — semihosting output and exit, memory measurements (startup.c). */
#ifndef PETITE_EXAMPLE_STARTUP_H
#define PETITE_EXAMPLE_STARTUP_H
#include <stddef.h>
void sh_puts(const char *s);
void sh_exit(int code);
unsigned libc_heap_calls(void); /* times anything asked the C library's heap for memory (must be 0) */
size_t stack_high_water(void); /* deepest the stack went (painted at reset) */
#endif
