// A bare-metal Lua for a Cortex-M4 under QEMU's cost model
// (qemu-system-arm -M mps2-an386 -icount shift=0 -semihosting: one
// instruction is one nanosecond of virtual time). It runs driver.lua from the
// host's working directory (semihosting file I/O) with an `m4` table:
//   m4.count()     instructions retired so far (virtual time in ns)
//   m4.heap()      bytes the Lua allocator holds now
//   m4.peak()      the most it held since the last m4.resetpeak()
//   m4.resetpeak()
//   m4.spin(n)     retire 2n + a few instructions (calibrates m4.count)
// bench/cortex-m.ts builds it with Debian's gcc-arm-none-eabi against Lua's
// own sources (never committed) and reads what driver.lua prints.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

// CMSDK APB timer 0 of the MPS2: a 32-bit down-counter on the 25 MHz
// peripheral clock, so one tick is 40 ns, that is 40 instructions here.
#define TIMER0 ((volatile uint32_t *)0x40000000u)
#define NS_PER_TICK 40u

static uint32_t ticks(void) { return 0xffffffffu - TIMER0[1]; }

static size_t inUse, peakUse;

static void *countingAlloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  size_t old = ptr == NULL ? 0 : osize; // without ptr, osize is a type tag
  if (nsize == 0) {
    free(ptr);
    inUse -= old;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p != NULL) {
    inUse = inUse - old + nsize;
    if (inUse > peakUse) peakUse = inUse;
  }
  return p;
}

static int m4Count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ticks() * NS_PER_TICK);
  return 1;
}

static int m4Heap(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)inUse);
  return 1;
}

static int m4Peak(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)peakUse);
  return 1;
}

static int m4ResetPeak(lua_State *L) {
  (void)L;
  peakUse = inUse;
  return 0;
}

static int m4Spin(lua_State *L) {
  uint32_t n = (uint32_t)luaL_checkinteger(L, 1);
  if (n == 0) return 0;
  __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
  return 0;
}

static const luaL_Reg m4Functions[] = {
  {"count", m4Count}, {"heap", m4Heap}, {"peak", m4Peak}, {"resetpeak", m4ResetPeak}, {"spin", m4Spin}, {NULL, NULL},
};

int main(void) {
  TIMER0[2] = 0xffffffffu; // reload
  TIMER0[1] = 0xffffffffu; // value
  TIMER0[0] = 1;           // enable
  lua_State *L = lua_newstate(countingAlloc, NULL);
  if (L == NULL) {
    fputs("lua-m4: no memory for a Lua state\n", stderr);
    return 1;
  }
  luaL_openlibs(L);
  luaL_newlib(L, m4Functions);
  lua_setglobal(L, "m4");
  if (luaL_dofile(L, "driver.lua") != LUA_OK) {
    fprintf(stderr, "lua-m4: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  fflush(stdout);
  lua_close(L);
  return 0;
}
