// A bare-metal Lua for a Cortex-M4 under QEMU's cost model
// (qemu-system-arm -M mps2-an386 -icount shift=0 -semihosting: one
// instruction is one nanosecond of virtual time). It runs driver.lua from the
// host's working directory (semihosting file I/O) with an `m4` table:
//   m4.count()     instructions retired so far (virtual time in ns)
//   m4.heap()      bytes the Lua allocator holds now
//   m4.peak()      the most it held since the last m4.resetpeak()
//   m4.resetpeak()
//   m4.spin(n)     retire 2n + a few instructions (calibrates m4.count)
//   m4.loadflash(path) a bytecode file loaded with its code (functions'
//                  prototypes, their instruction and constant arrays, strings)
//                  in a flash arena: not heap, never freed. A model of
//                  NodeMCU's LFS, where the image's code and constants are in
//                  flash and only closures, upvalues and tables take RAM.
//   m4.flashbytes() bytes in the flash arena; flash blocks freed after (0)
// bench/cortex-m.ts builds it with Debian's gcc-arm-none-eabi against Lua's
// own sources (never committed) and reads what driver.lua prints.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lobject.h"
#include "lstate.h"
#include <string.h>

#ifdef LUA_VPROTO
#define TAG_PROTO LUA_VPROTO /* Lua 5.4 */
#else
#define TAG_PROTO LUA_TPROTO /* Lua 5.3 */
#endif

// CMSDK APB timer 0 of the MPS2: a 32-bit down-counter on the 25 MHz
// peripheral clock, so one tick is 40 ns, that is 40 instructions here.
#define TIMER0 ((volatile uint32_t *)0x40000000u)
#define NS_PER_TICK 40u

static uint32_t ticks(void) { return 0xffffffffu - TIMER0[1]; }

static size_t inUse, peakUse;

// The flash arena (m4.loadflash): a bump allocator in RAM the model does not count.
#define FLASH_BYTES (1536u * 1024u)
static unsigned char flashArena[FLASH_BYTES] __attribute__((aligned(8)));
static size_t flashUsed;
static int toFlash;
// Bytes of flash blocks Lua's own count still holds (its GC paces itself by it),
// and frees of flash blocks once they were taken out of that count (must stay 0).
static size_t flashCounted, flashFreedLate;
static int flashUncounted;

static int inFlash(const void *p) {
  return p != NULL && (const unsigned char *)p >= flashArena && (const unsigned char *)p < flashArena + FLASH_BYTES;
}

// What LFS keeps in flash: a new prototype, a new string, or a new array (tag 0: a
// prototype's code, constants, nested prototypes, line info; the loader's buffers).
static int flashKind(size_t tag) {
  return tag == 0 || tag == TAG_PROTO || (tag & 0x0f) == LUA_TSTRING;
}

static void *flashAlloc(size_t n) {
  n = (n + 7u) & ~(size_t)7u;
  if (flashUsed + n > FLASH_BYTES) return NULL;
  void *p = flashArena + flashUsed;
  flashUsed += n;
  return p;
}

static void *countingAlloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  size_t old = ptr == NULL ? 0 : osize; // without ptr, osize is a type tag
  if (inFlash(ptr)) {
    // In flash: never freed; resized (not seen while loading) by a copy in RAM.
    if (flashUncounted) flashFreedLate++;
    else flashCounted -= osize;
    if (nsize == 0) return NULL;
    void *q = realloc(NULL, nsize);
    if (q == NULL) return NULL;
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    inUse += nsize;
    if (inUse > peakUse) peakUse = inUse;
    return q;
  }
  if (ptr == NULL && toFlash && nsize > 0 && flashKind(osize)) {
    void *f = flashAlloc(nsize);
    if (f != NULL) flashCounted += nsize;
    return f;
  }
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

struct FileReader {
  FILE *f;
  char buf[512];
};

static const char *readFile(lua_State *L, void *ud, size_t *size) {
  (void)L;
  struct FileReader *r = (struct FileReader *)ud;
  *size = fread(r->buf, 1, sizeof r->buf, r->f);
  return *size > 0 ? r->buf : NULL;
}

// m4.loadflash(path): the bytecode file as a function whose code and constants
// are in flash (kept by the caller, as LFS keeps them: none of it is freed). The
// file is read by C, so no Lua string is made but the chunk's own. What stays in
// flash leaves Lua's own count too, so its GC paces itself by the heap alone, as
// on LFS (whose code is no GC object).
static int m4LoadFlash(lua_State *L) {
  static struct FileReader r;
  r.f = fopen(luaL_checkstring(L, 1), "rb");
  if (r.f == NULL) return luaL_error(L, "m4.loadflash: cannot open %s", lua_tostring(L, 1));
  toFlash = 1;
  int status = lua_load(L, readFile, &r, "=pindai", "b");
  toFlash = 0;
  fclose(r.f);
  if (status != LUA_OK) return lua_error(L);
  G(L)->totalbytes -= (l_mem)flashCounted;
  flashCounted = 0;
  flashUncounted = 1;
  return 1;
}

// Bytes in the flash arena, and frees of flash blocks Lua made after they left its count (0 when the model holds).
static int m4FlashBytes(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)flashUsed);
  lua_pushinteger(L, (lua_Integer)flashFreedLate);
  return 2;
}

static const luaL_Reg m4Functions[] = {
  {"count", m4Count}, {"heap", m4Heap}, {"peak", m4Peak}, {"resetpeak", m4ResetPeak}, {"spin", m4Spin},
  {"loadflash", m4LoadFlash}, {"flashbytes", m4FlashBytes}, {NULL, NULL},
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
