/* startup.h — semihosting output and exit, and the heap array (startup.c). */
#ifndef PETITE_EXAMPLE_STARTUP_H
#define PETITE_EXAMPLE_STARTUP_H
#include <stddef.h>
#define HEAP_BYTES (1u << 20)
void sh_puts(const char *s);
void sh_exit(int code);
size_t heap_high_water(void);  /* bytes of the heap array malloc has taken */
size_t stack_high_water(void); /* deepest the stack went (painted at reset) */
#endif
