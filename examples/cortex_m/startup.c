/* startup.c — what the Cortex-M55 needs before main on QEMU's AN547: the vector table, a reset
 * handler (FPU and MVE on, .bss zeroed, the stack painted to measure its depth), semihosting for
 * output and exit, and an _sbrk that refuses (nothing may use the C library's heap). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "startup.h"

extern uint32_t __stack_top, __bss_start__, __bss_end__;
int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((section(".vectors"), used)) const void *const vectors[16] = {
    &__stack_top, (const void *)Reset_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler,
    (const void *)Fault_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler, 0, 0, 0, 0,
    (const void *)Fault_Handler, (const void *)Fault_Handler, 0, (const void *)Fault_Handler, (const void *)Fault_Handler,
};

static int semihost(int op, const void *arg) {
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_puts(const char *s) { semihost(0x04, s); } /* SYS_WRITE0 */

void sh_exit(int code) {
    const uint32_t block[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit, exit code */
    semihost(0x20, block);                               /* SYS_EXIT_EXTENDED */
    for (;;) {
    }
}

void Fault_Handler(void) {
    sh_puts("fault\n");
    sh_exit(3);
}

extern uint32_t __stack_bottom;
#define STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void) {
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10 and CP11 (FPU, MVE) full access */
    __asm__ volatile("dsb\n isb" ::: "memory");
    for (uint32_t *p = &__bss_start__; p < &__bss_end__; p++) *p = 0;
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = &__stack_bottom; p < sp - 16; p++) *p = STACK_PAINT; /* to measure the stack's depth */
    sh_exit(main());
}

size_t stack_high_water(void) {
    const uint32_t *p = &__stack_bottom;
    while (p < &__stack_top && *p == STACK_PAINT) p++;
    return (size_t)((const unsigned char *)&__stack_top - (const unsigned char *)p);
}

/* The C library's malloc would grow through _sbrk: petite takes its memory from the array main()
 * hands it (petite_set_heap), so this is never called; if anything did, it is refused and counted. */
static unsigned sbrk_calls;

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr) {
    (void)incr;
    sbrk_calls++;
    errno = ENOMEM;
    return (void *)-1;
}

unsigned libc_heap_calls(void) { return sbrk_calls; }
