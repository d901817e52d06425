// Reset and fault vectors for the bare-metal Lua runner (see lua-m4.c).
#include <stdlib.h>
#include <string.h>

extern char __bss_start__[], __bss_end__[], __stack_top[];
extern int main(void);
extern void initialise_monitor_handles(void); /* newlib rdimon: stdio over semihosting */

void reset(void) {
  memset(__bss_start__, 0, (size_t)(__bss_end__ - __bss_start__));
  initialise_monitor_handles();
  exit(main());
}

/* A fault ends the run with a status the host can see, instead of a hang. */
static void fault(void) {
  static const char msg[] = "lua-m4: CPU fault\n";
  extern int _write(int, const void *, int);
  _write(2, msg, sizeof msg - 1);
  exit(70);
}

__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
  (void (*)(void))__stack_top, reset, fault, fault, fault, fault, fault,
};
