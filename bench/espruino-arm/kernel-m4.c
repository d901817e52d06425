/*
 * The Espruino kernel's bytes on a Cortex-M4 (qemu-system-arm -M mps2-an386,
 * semihosting): kernel-bin.h (written by the test from the bytes npm run
 * build embeds) is copied to RAM at an odd offset and called there, as
 * E.nativeCall does, through Thumb addresses. It reads commands from in.txt,
 * one a line, hex arguments, and prints one line per command:
 *
 *   F a b          pack(a*b) pack(a^2) pack(a+b) pack(a-b) pack(1/a) pack(a^((p-5)/8))
 *   H msg          SHA-512(msg)
 *   R h            h (64 bytes) mod L
 *   S s1 x1 y1 s2 x2 y2   pack of the affine y and x of [s1]P1 + [s2]P2 (Straus)
 *   T s1 s2 t1 t2  the same of [s1]P1 - [s2]P2 from the two tables (16 x 768 bytes each)
 *   V ram sig t1 t2  pd_verifytables: 1 when [S]B - [k]A (k = SHA-512(ram) mod L, ram = R || A || M) encodes as R
 *   E a b          pd_equal: 1 when a and b (of a's length) are the same bytes
 *   C data         pd_cbor: the number of items, or -1 (refused)
 *   B text         pd_base45 of the text's bytes: "=<hex>", or "e-1" (a character), "e-2" (a group too big)
 *   U bytes        pd_utf8: -1 not UTF-8, 0 ASCII, 1 other valid UTF-8
 *
 * and after each the instructions the kernel took ("<hex> <count>"; the
 * timer ticks every 40 instructions with -icount shift=0).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel-bin.h" /* KERNEL_BYTES, KERNEL_LEN, AT_pd_* */

#define TIMER0 ((volatile uint32_t *)0x40000000u)
static uint32_t ticks(void) { return 0xffffffffu - TIMER0[1]; }

typedef void (*fn3)(int, int, int);
typedef void (*fn2)(int, int);

static uint8_t ram[8192] __attribute__((aligned(8)));
static uint8_t *code;

static fn3 f3(unsigned at) { return (fn3)(uintptr_t)(code + at + 1); }
static fn2 f2(unsigned at) { return (fn2)(uintptr_t)(code + at + 1); }
#define A(p) ((int)(uintptr_t)(p))

static char line[65536];
static uint8_t arg[6][12288];
static int argLen[6];

static int nib(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }

/* Split the line after the command letter into hex arguments. */
static int parse(char *s) {
  int n = 0;
  while (*s && n < 6) {
    while (*s == ' ') s++;
    if (!*s || *s == '\n') break;
    int k = 0;
    while (s[0] && s[0] != ' ' && s[0] != '\n') {
      arg[n][k++] = (uint8_t)(nib(s[0]) * 16 + nib(s[1]));
      s += 2;
    }
    argLen[n++] = k;
  }
  return n;
}

static void hex(const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
}

static int32_t fa[16], fb[16], fr[16];
static int32_t pts[3 * 64], q[64];
static uint8_t out[64];
static const uint8_t *subs[32];
static uint32_t recs[6 * 4096];
static uint8_t b45[8192];

static void packPoint(const int32_t *p) {
  int32_t zi[16], c[16];
  f2(AT_pd_inv)(A(zi), A(p + 32));
  f3(AT_pd_mul)(A(c), A(p + 16), A(zi));
  f2(AT_pd_pack)(A(out), A(c));
  hex(out, 32);
  printf(" ");
  f3(AT_pd_mul)(A(c), A(p), A(zi));
  f2(AT_pd_pack)(A(out), A(c));
  hex(out, 32);
}

/* P = (x, y, 1, xy) from affine canonical bytes. */
static void affine(int32_t *p, const uint8_t *x, const uint8_t *y) {
  f2(AT_pd_unpack)(A(p), A(x));
  f2(AT_pd_unpack)(A(p + 16), A(y));
  memset(p + 32, 0, 64);
  p[32] = 1;
  f3(AT_pd_mul)(A(p + 48), A(p), A(p + 16));
}

int main(void) {
  TIMER0[2] = 0xffffffffu;
  TIMER0[1] = 0xffffffffu;
  TIMER0[0] = 1;
  code = ram + 4; /* anywhere 4-aligned (natives.js aligns it so): position independence */
  memcpy(code, KERNEL_BYTES, KERNEL_LEN);
  FILE *in = fopen("in.txt", "r");
  if (!in) return 2;
  while (fgets(line, sizeof line, in)) {
    char cmd = line[0];
    int n = parse(line + 1);
    uint32_t t0 = ticks();
    if (cmd == 'F' && n == 2) {
      f2(AT_pd_unpack)(A(fa), A(arg[0]));
      f2(AT_pd_unpack)(A(fb), A(arg[1]));
      f3(AT_pd_mul)(A(fr), A(fa), A(fb)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32); printf(" ");
      f3(AT_pd_mul)(A(fr), A(fa), A(fa)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32); printf(" ");
      f3(AT_pd_add)(A(fr), A(fa), A(fb)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32); printf(" ");
      f3(AT_pd_sub)(A(fr), A(fa), A(fb)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32); printf(" ");
      f2(AT_pd_inv)(A(fr), A(fa)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32); printf(" ");
      f2(AT_pd_pow2523)(A(fr), A(fa)); f2(AT_pd_pack)(A(out), A(fr)); hex(out, 32);
    } else if (cmd == 'H' && n <= 1) {
      f3(AT_pd_sha512)(A(out), A(arg[0]), n == 1 ? argLen[0] : 0);
      hex(out, 64);
    } else if (cmd == 'R' && n == 1) {
      f2(AT_pd_reduce64)(A(out), A(arg[0]));
      hex(out, 32);
    } else if (cmd == 'S' && n == 6) {
      affine(pts, arg[1], arg[2]);
      affine(pts + 64, arg[4], arg[5]);
      memcpy(out, arg[0], 32);
      memcpy(out + 32, arg[3], 32);
      f3(AT_pd_straus)(A(q), A(pts), A(out));
      packPoint(q);
    } else if (cmd == 'T' && n == 4) {
      for (int m = 0; m < 16; m++) {
        subs[m] = arg[2] + 768 * m;
        subs[16 + m] = arg[3] + 768 * m;
      }
      memcpy(out, arg[0], 32);
      memcpy(out + 32, arg[1], 32);
      f3(AT_pd_tablemulsub)(A(q), A(subs), A(out));
      packPoint(q);
    } else if (cmd == 'V' && n == 4) {
      static uint32_t va[4];
      for (int m = 0; m < 16; m++) {
        subs[m] = arg[2] + 768 * m;
        subs[16 + m] = arg[3] + 768 * m;
      }
      va[0] = (uint32_t)A(arg[0]);
      va[1] = (uint32_t)argLen[0];
      va[2] = (uint32_t)A(arg[1]);
      va[3] = (uint32_t)A(subs);
      printf("%d", ((int (*)(int))(uintptr_t)(code + AT_pd_verifytables + 1))(A(va)));
    } else if (cmd == 'E' && n == 2) {
      printf("%d", ((int (*)(int, int, int))(uintptr_t)(code + AT_pd_equal + 1))(A(arg[0]), A(arg[1]), argLen[0]));
    } else if (cmd == 'C' && n <= 1) {
      printf("%d", ((int (*)(int, int, int, int))(uintptr_t)(code + AT_pd_cbor + 1))(A(recs), A(arg[0]), n ? argLen[0] : 0, 16 + 256 * 4096));
    } else if (cmd == 'B' && n <= 1) {
      int o = ((int (*)(int, int, int))(uintptr_t)(code + AT_pd_base45 + 1))(A(b45), A(arg[0]), n ? argLen[0] : 0);
      if (o < 0) printf("e%d", o);
      else {
        printf("=");
        hex(b45, o);
      }
    } else if (cmd == 'U' && n <= 1) {
      printf("%d", ((int (*)(int, int))(uintptr_t)(code + AT_pd_utf8 + 1))(A(arg[0]), n ? argLen[0] : 0));
    } else {
      printf("?");
    }
    printf(" %lu\n", (unsigned long)((ticks() - t0) * 40u));
  }
  return 0;
}
