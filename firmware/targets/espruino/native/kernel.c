/*
 * pindai's Ed25519 kernel for Espruino on ARM Cortex-M: native Thumb code the
 * image calls with E.nativeCall (firmware/targets/espruino/native/natives.js)
 * on the addresses of flat ArrayBuffers. npm run build compiles it with
 * arm-none-eabi-gcc -mthumb -mcpu=cortex-m4 -Os -fPIC into position-
 * independent bytes (no data, no library calls: host/build/espruino-kernel.ts
 * refuses anything else), so it runs from wherever Espruino keeps the string.
 *
 * A field element is what the portable core uses (firmware/core/field25519.ts):
 * 16 limbs of 16 bits, here as int32_t (64 bytes). A point is 4 elements
 * (X, Y, Z, T, extended coordinates), 256 bytes. Every entry point takes
 * two or three 32-bit arguments: what E.nativeCall passes in r0-r2.
 * Elements and points must be 4-aligned (natives.js aligns them); bytes
 * (scalars, encodings, messages, table entries) may sit anywhere, and so
 * must the code's own start be 4-aligned (its constants are read PC-relative).
 */
#include <stdint.h>

typedef int32_t fe[16];
typedef struct { fe x, y, z, t; } ge;

#define K static __attribute__((noinline))
#define ENTRY __attribute__((used, noinline))

/* Carry so every limb is in [0, 2^16); 2^256 folds back as 38. */
static void carry(int64_t *t) {
  for (int k = 0; k < 2; k++) {
    int64_t c = 0;
    for (int i = 0; i < 16; i++) {
      t[i] += c;
      c = t[i] >> 16;
      t[i] &= 0xffff;
    }
    t[0] += 38 * c;
  }
}

static void store(int32_t *r, const int64_t *t) {
  for (int i = 0; i < 16; i++) r[i] = (int32_t)t[i];
}

/* Column k of the product is the sum of a[i] b[j] with i + j = k, plus 38 times
 * those with i + j = k + 16 (2^256 = 38): one accumulator in registers a column. */
K void fmul(int32_t *r, const int32_t *a, const int32_t *b) {
  int64_t t[16];
  for (int k = 0; k < 16; k++) {
    int64_t lo = 0, hi = 0;
    for (int i = 0; i <= k; i++) lo += (int64_t)a[i] * b[k - i];
    for (int i = k + 1; i < 16; i++) hi += (int64_t)a[i] * b[k + 16 - i];
    t[k] = lo + 38 * hi;
  }
  carry(t);
  store(r, t);
}

static void fadd(int32_t *r, const int32_t *a, const int32_t *b) {
  int64_t t[16];
  for (int i = 0; i < 16; i++) t[i] = (int64_t)a[i] + b[i];
  carry(t);
  store(r, t);
}

/* a - b + 2p keeps every limb non-negative for reduced inputs; carry makes it exact anyway. */
static void fsub(int32_t *r, const int32_t *a, const int32_t *b) {
  int64_t t[16];
  for (int i = 0; i < 16; i++) t[i] = (int64_t)a[i] - b[i];
  carry(t);
  store(r, t);
}

static void fcopy(int32_t *r, const int32_t *a) {
  for (int i = 0; i < 16; i++) r[i] = a[i];
}

static void fsqrn(int32_t *r, const int32_t *a, int n) {
  fmul(r, a, a);
  for (int i = 1; i < n; i++) fmul(r, r, r);
}

/* The canonical 32 bytes (TweetNaCl's pack25519 on carried limbs). */
static void fpack(uint8_t *o, const int32_t *n) {
  int64_t t[16], m[16];
  for (int i = 0; i < 16; i++) t[i] = n[i];
  carry(t); /* three passes: every limb ends in [0, 2^16) */
  carry(t);
  carry(t);
  for (int j = 0; j < 2; j++) {
    m[0] = t[0] - 0xffed;
    for (int i = 1; i < 15; i++) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
      m[i - 1] &= 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
    int64_t borrow = (m[15] >> 16) & 1;
    m[14] &= 0xffff;
    if (borrow == 0) for (int i = 0; i < 16; i++) t[i] = m[i];
  }
  for (int i = 0; i < 16; i++) {
    o[2 * i] = (uint8_t)(t[i] & 0xff);
    o[2 * i + 1] = (uint8_t)((t[i] >> 8) & 0xff);
  }
}

static void funpack(int32_t *r, const uint8_t *b) {
  for (int i = 0; i < 16; i++) r[i] = b[2 * i] + 256 * b[2 * i + 1];
  r[15] &= 0x7fff;
}

/* z^(2^250 - 1) into t250 and z^11 into z11 (ref10's chain, as field25519.ts). */
static void chain250(int32_t *t250, int32_t *z11, const int32_t *z) {
  fe z2, z9, t0, t1, t10, t50;
  fmul(z2, z, z);
  fsqrn(t0, z2, 2);
  fmul(z9, z, t0);
  fmul(z11, z2, z9);
  fmul(t0, z11, z11);
  fmul(t0, z9, t0);
  fsqrn(t1, t0, 5);
  fmul(t1, t1, t0);
  fcopy(t10, t1);
  fsqrn(t0, t1, 10);
  fmul(t0, t0, t10);
  fsqrn(t250, t0, 20);
  fmul(t250, t250, t0);
  fsqrn(t250, t250, 10);
  fmul(t250, t250, t10);
  fcopy(t50, t250);
  fsqrn(t0, t250, 50);
  fmul(t0, t0, t50);
  fsqrn(t1, t0, 100);
  fmul(t1, t1, t0);
  fsqrn(t1, t1, 50);
  fmul(t250, t1, t50);
}

static void finv(int32_t *r, const int32_t *z) {
  fe t250, z11, t0;
  chain250(t250, z11, z);
  fsqrn(t0, t250, 5);
  fmul(r, t0, z11);
}

static void fpow2523(int32_t *r, const int32_t *z) {
  fe t250, z11, t0;
  chain250(t250, z11, z);
  fsqrn(t0, t250, 2);
  fmul(r, t0, z);
}

/* 2d, radix 2^16 (ed25519-curve.ts D2). */
static const int32_t D2[16] = {0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
                               0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406};

/* r = p + q: add-2008-hwcd-3, as ed25519-curve.ts addPoints. r may alias p or q. */
K void gadd(ge *r, const ge *p, const ge *q) {
  fe a, b, c, d, e, f, g, h;
  fsub(a, p->y, p->x);
  fsub(h, q->y, q->x);
  fmul(a, a, h);
  fadd(b, p->y, p->x);
  fadd(h, q->y, q->x);
  fmul(b, b, h);
  fmul(c, p->t, q->t);
  fmul(c, c, D2);
  fmul(d, p->z, q->z);
  fadd(d, d, d);
  fsub(e, b, a);
  fsub(f, d, c);
  fadd(g, d, c);
  fadd(h, b, a);
  fmul(r->x, e, f);
  fmul(r->y, g, h);
  fmul(r->t, e, h);
  fmul(r->z, f, g);
}

/* r = 2p: dbl-2008-hwcd, as ed25519-curve.ts doublePoint. */
K void gdouble(ge *r, const ge *p) {
  fe a, b, c, e, f, g, h;
  fmul(a, p->x, p->x);
  fmul(b, p->y, p->y);
  fmul(c, p->z, p->z);
  fadd(c, c, c);
  fadd(e, p->x, p->y);
  fmul(e, e, e);
  fsub(e, e, a);
  fsub(e, e, b);
  fsub(g, b, a);
  fsub(f, g, c);
  fadd(h, a, b);
  for (int i = 0; i < 16; i++) h[i] = -h[i];
  fmul(r->x, e, f);
  fmul(r->y, g, h);
  fmul(r->t, e, h);
  fmul(r->z, f, g);
}

static void gidentity(ge *r) {
  for (int i = 0; i < 16; i++) r->x[i] = r->y[i] = r->z[i] = r->t[i] = 0;
  r->y[0] = 1;
  r->z[0] = 1;
}

/* r += sign(e) * entry (y + x, y - x, 2dxy: 96 canonical bytes), madd as ed25519-table.ts addEntry. */
static void gaddentry(ge *r, const uint8_t *entry, int neg) {
  fe ypx, ymx, xy2d, a, b, c, d;
  funpack(neg ? ymx : ypx, entry);
  funpack(neg ? ypx : ymx, entry + 32);
  funpack(xy2d, entry + 64);
  fsub(a, r->y, r->x);
  fmul(a, a, ymx);
  fadd(b, r->y, r->x);
  fmul(b, b, ypx);
  fmul(c, r->t, xy2d);
  fadd(d, r->z, r->z);
  fsub(r->x, b, a);
  fadd(r->y, b, a);
  if (neg) {
    fadd(a, d, c);
    fsub(b, d, c);
  } else {
    fsub(a, d, c);
    fadd(b, d, c);
  }
  fmul(r->t, r->x, r->y);
  fmul(r->x, r->x, a);
  fmul(r->y, b, r->y);
  fmul(r->z, a, b);
}

/* 64 signed radix-16 digits in [-8, 8] of a 32-byte scalar below 2^255 (ed25519-table.ts digits). */
static void digits(int8_t *e, const uint8_t *s) {
  for (int i = 0; i < 32; i++) {
    e[2 * i] = (int8_t)(s[i] & 15);
    e[2 * i + 1] = (int8_t)((s[i] >> 4) & 15);
  }
  int c = 0;
  for (int i = 0; i < 63; i++) {
    e[i] = (int8_t)(e[i] + c);
    c = (e[i] + 8) >> 4;
    e[i] = (int8_t)(e[i] - (c << 4));
  }
  e[63] = (int8_t)(e[63] + c);
}

/* --- Scalars mod L = 2^252 + 27742317777372353535851937790883648493 ------------- */

static const int32_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};

/* 64 little-endian digits of base 256 mod L, as ed25519.ts modL (TweetNaCl's, floors as arithmetic shifts). */
static void modl(uint8_t *r, int64_t *x) {
  int64_t c;
  int i, j;
  for (i = 63; i >= 32; i--) {
    c = 0;
    for (j = i - 32; j < i - 12; j++) {
      x[j] += c - 16 * x[i] * L[j - (i - 32)];
      c = (x[j] + 128) >> 8;
      x[j] -= c * 256;
    }
    x[j] += c;
    x[i] = 0;
  }
  c = 0;
  for (j = 0; j < 32; j++) {
    x[j] += c - (x[31] >> 4) * L[j];
    c = x[j] >> 8;
    x[j] -= c * 256;
  }
  for (j = 0; j < 32; j++) x[j] -= c * L[j];
  for (i = 0; i < 32; i++) {
    int64_t q = x[i] >> 8;
    x[i + 1] += q;
    r[i] = (uint8_t)(x[i] - q * 256);
  }
}

/* --- SHA-512 (FIPS 180-4) ---------------------------------------------------- */

static const uint64_t SHA_K[80] = {
  0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL, 0x3956c25bf348b538ULL,
  0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, 0xd807aa98a3030242ULL, 0x12835b0145706fbeULL,
  0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL, 0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL,
  0xc19bf174cf692694ULL, 0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
  0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL, 0x983e5152ee66dfabULL,
  0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL, 0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL,
  0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, 0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL,
  0x53380d139d95b3dfULL, 0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
  0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, 0xd192e819d6ef5218ULL,
  0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL, 0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL,
  0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL, 0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL,
  0x682e6ff3d6b2b8a3ULL, 0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
  0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL, 0xca273eceea26619cULL,
  0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, 0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL,
  0x113f9804bef90daeULL, 0x1b710b35131c471bULL, 0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL,
  0x431d67c49c100d4cULL, 0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static void sha512block(uint64_t *st, const uint8_t *m) {
  uint64_t w[80], v[8];
  for (int t = 0; t < 16; t++) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x = (x << 8) | m[8 * t + i];
    w[t] = x;
  }
  for (int t = 16; t < 80; t++) {
    uint64_t s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7);
    uint64_t s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6);
    w[t] = s1 + w[t - 7] + s0 + w[t - 16];
  }
  for (int i = 0; i < 8; i++) v[i] = st[i];
  for (int t = 0; t < 80; t++) {
    uint64_t e = v[4], a = v[0];
    uint64_t t1 = v[7] + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & v[5]) ^ (~e & v[6])) + SHA_K[t] + w[t];
    uint64_t t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
    for (int i = 7; i > 0; i--) v[i] = v[i - 1];
    v[4] += t1;
    v[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) st[i] += v[i];
}

/* --- Entry points: what E.nativeCall calls --------------------------------------- */

/* r = a * b (r may alias a or b); r = a^2 when b is a. */
ENTRY void pd_mul(int32_t *r, const int32_t *a, const int32_t *b) { fmul(r, a, b); }
ENTRY void pd_add(int32_t *r, const int32_t *a, const int32_t *b) { fadd(r, a, b); }
ENTRY void pd_sub(int32_t *r, const int32_t *a, const int32_t *b) { fsub(r, a, b); }
ENTRY void pd_set(int32_t *r, const int32_t *a) { fcopy(r, a); }
/* 32 canonical little-endian bytes of a; from 32 bytes (top bit ignored). */
ENTRY void pd_pack(uint8_t *o, const int32_t *a) { fpack(o, a); }
ENTRY void pd_unpack(int32_t *r, const uint8_t *b) { funpack(r, b); }
ENTRY void pd_inv(int32_t *r, const int32_t *z) { finv(r, z); }
ENTRY void pd_pow2523(int32_t *r, const int32_t *z) { fpow2523(r, z); }

/*
 * r = [s1]p1 + [s2]p2 by Straus-Shamir (ed25519.ts doubleScalarMul): pts is
 * p1, p2 and room for p1 + p2 (3 points), s the two 32-byte scalars.
 */
ENTRY void pd_straus(ge *r, ge *pts, const uint8_t *s) {
  ge *p1 = &pts[0], *p2 = &pts[1], *both = &pts[2];
  gadd(both, p1, p2);
  gidentity(r);
  for (int i = 255; i >= 0; i--) {
    gdouble(r, r);
    int b1 = (s[i >> 3] >> (i & 7)) & 1;
    int b2 = (s[32 + (i >> 3)] >> (i & 7)) & 1;
    if (b1 && b2) gadd(r, r, both);
    else if (b1) gadd(r, r, p1);
    else if (b2) gadd(r, r, p2);
  }
}

/*
 * r = [s1]P1 - [s2]P2 with both points' tables (ed25519-table.ts tableMulSub):
 * subs holds the addresses (32-bit little-endian) of the 16 subtables of P1's
 * table then of P2's (each 8 entries of 96 bytes), s the two 32-byte scalars.
 */
ENTRY void pd_tablemulsub(ge *r, const uint8_t *subs, const uint8_t *s) {
  const uint8_t *sub[32];
  int8_t e1[64], e2[64];
  for (int i = 0; i < 32; i++) { /* read byte by byte: the list may sit at any address */
    const uint8_t *b = subs + 4 * i;
    sub[i] = (const uint8_t *)(uintptr_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);
  }
  digits(e1, s);
  digits(e2, s + 32);
  gidentity(r);
  for (int g = 3; g >= 0; g--) {
    if (g < 3) for (int i = 0; i < 4; i++) gdouble(r, r);
    for (int m = 0; m < 16; m++) {
      int d1 = e1[4 * m + g], d2 = -e2[4 * m + g];
      if (d1 != 0) gaddentry(r, sub[m] + ((d1 < 0 ? -d1 : d1) - 1) * 96, d1 < 0);
      if (d2 != 0) gaddentry(r, sub[16 + m] + ((d2 < 0 ? -d2 : d2) - 1) * 96, d2 < 0);
    }
  }
}

/* r = the 64 bytes at h mod L, 32 bytes (r may be h). */
ENTRY void pd_reduce64(uint8_t *r, const uint8_t *h) {
  int64_t x[65];
  for (int i = 0; i < 64; i++) x[i] = h[i];
  x[64] = 0;
  modl(r, x);
}

/* out = SHA-512 of the n bytes at m (out: 64 bytes; no alignment needed). */
ENTRY void pd_sha512(uint8_t *out, const uint8_t *m, uint32_t n) {
  uint64_t st[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
  uint8_t last[256];
  uint32_t full = n & ~127u;
  for (uint32_t i = 0; i < full; i += 128) sha512block(st, m + i);
  uint32_t rest = n - full, len = rest + 17 <= 128 ? 128 : 256;
  for (uint32_t i = 0; i < len; i++) last[i] = i < rest ? m[full + i] : 0;
  last[rest] = 0x80;
  uint64_t bits = (uint64_t)n << 3;
  for (int i = 0; i < 8; i++) last[len - 1 - i] = (uint8_t)(bits >> (8 * i));
  sha512block(st, last);
  if (len == 256) sha512block(st, last + 128);
  for (int i = 0; i < 64; i++) out[i] = (uint8_t)(st[i >> 3] >> (56 - 8 * (i & 7)));
}

/*
 * The table path of a verification whole (ed25519.ts ed25519Verify with tables,
 * after its checks of S and R): a[0] the address of R || A || M, a[1] its
 * length, a[2] of the signature, a[3] of the 32 subtable addresses as
 * pd_tablemulsub takes them. 1 when the encoding of [S]B - [k]A, k = SHA-512(R || A || M)
 * mod L, is R, else 0.
 */
ENTRY int pd_verifytables(const uint32_t *a) {
  const uint8_t *ram = (const uint8_t *)(uintptr_t)a[0], *sig = (const uint8_t *)(uintptr_t)a[2];
  uint8_t h[64], s[64], enc[32];
  ge q;
  fe zi, t;
  pd_sha512(h, ram, a[1]);
  for (int i = 0; i < 32; i++) s[i] = sig[32 + i];
  pd_reduce64(s + 32, h);
  pd_tablemulsub(&q, (const uint8_t *)(uintptr_t)a[3], s);
  finv(zi, q.z);
  fmul(t, q.x, zi);
  fpack(enc, t);
  int sign = enc[0] & 1;
  fmul(t, q.y, zi);
  fpack(enc, t);
  enc[31] |= (uint8_t)(sign << 7);
  int diff = 0;
  for (int i = 0; i < 32; i++) diff |= enc[i] ^ sig[i];
  return diff == 0;
}

/* --- Text: Base45 and UTF-8 (base45.ts, bytes.ts utf8Decode, the same checks in the same order) --- */

static int b45value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 55;
  switch (c) {
    case ' ': return 36;
    case '$': return 37;
    case '%': return 38;
    case '*': return 39;
    case '+': return 40;
    case '-': return 41;
    case '.': return 42;
    case '/': return 43;
    case ':': return 44;
  }
  return -1;
}

/*
 * The n characters at t (n % 3 != 1, checked by the caller) decoded into out:
 * the number of bytes, or -1 for a character outside the alphabet, -2 for a
 * group above 65535 (255 at the end), the first error in the text's order.
 */
ENTRY int pd_base45(uint8_t *out, const uint8_t *t, uint32_t n) {
  int o = 0;
  for (uint32_t i = 0; i < n; i += 3) {
    int c0 = b45value(t[i]), c1 = b45value(t[i + 1]);
    if (c0 < 0 || c1 < 0) return -1;
    if (i + 2 < n) {
      int c2 = b45value(t[i + 2]);
      if (c2 < 0) return -1;
      int v = c0 + c1 * 45 + c2 * 2025;
      if (v > 65535) return -2;
      out[o++] = (uint8_t)(v >> 8);
      out[o++] = (uint8_t)v;
    } else {
      int v = c0 + c1 * 45;
      if (v > 255) return -2;
      out[o++] = (uint8_t)v;
    }
  }
  return o;
}

/* Strict UTF-8 (RFC 3629) of the n bytes at b: -1 not valid, 0 valid ASCII, 1 valid with other characters. */
ENTRY int pd_utf8(const uint8_t *b, uint32_t n) {
  int ascii = 1;
  uint32_t i = 0;
  while (i < n) {
    uint32_t c = b[i], cp, k;
    if (c < 0x80) cp = c, k = 0;
    else if (c >= 0xc2 && c <= 0xdf) cp = c & 0x1f, k = 1;
    else if (c >= 0xe0 && c <= 0xef) cp = c & 0x0f, k = 2;
    else if (c >= 0xf0 && c <= 0xf4) cp = c & 0x07, k = 3;
    else return -1;
    if (i + k >= n && k > 0) return -1;
    for (uint32_t j = 1; j <= k; j++) {
      uint32_t cc = b[i + j];
      if ((cc & 0xc0) != 0x80) return -1;
      cp = cp * 64 + (cc & 0x3f);
    }
    if (k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return -1;
    if (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) return -1;
    if (k > 0) ascii = 0;
    i += k + 1;
  }
  return ascii ? 0 : 1;
}

/* --- CBOR (cbor.ts): the item tree as records, for valid input only ---------------------
 * One record of 6 words per item, in pre-order: kind (cbor.ts CBOR.*, + 16 for text that
 * is not ASCII), start, end, then lo and hi of an integer's argument, a byte or text
 * string's offset and length, an array's or map's count; and the record after the item's
 * own. Any input the portable decoder would refuse is refused here too (its checks, not
 * its error names: the caller then runs the portable decoder for those); so is input
 * beyond the records' room. */

typedef struct {
  const uint8_t *d;
  uint32_t n, pos, count, cap, maxDepth;
  uint32_t *rec;
} cbor_t;

static int cbor_item(cbor_t *c, uint32_t depth);

static int cbor_same_key(cbor_t *c, uint32_t a, uint32_t b) {
  uint32_t *x = c->rec + 6 * a, *y = c->rec + 6 * b;
  if ((x[0] & 15) != (y[0] & 15)) return 0;
  if ((x[0] & 15) != 3) return x[3] == y[3] && x[4] == y[4];
  if (x[4] != y[4]) return 0;
  for (uint32_t i = 0; i < x[4]; i++) if (c->d[x[3] + i] != c->d[y[3] + i]) return 0;
  return 1;
}

static int cbor_item(cbor_t *c, uint32_t depth) {
  uint32_t start = c->pos, lo = 0, hi = 0;
  if (depth > c->maxDepth || c->count >= c->cap || c->pos >= c->n) return -1;
  uint32_t me = c->count++;
  uint32_t *r = c->rec + 6 * me;
  uint32_t ib = c->d[c->pos++], major = ib >> 5, info = ib & 31, kind;
  if (ib == 0xff) return -1;
  if (major == 7) {
    if (info < 20 || info > 22) return -1;
    kind = info - 13; /* 20, 21, 22: FALSE 7, TRUE 8, NULL 9 */
  } else {
    if (info < 24) lo = info;
    else {
      if (info > 27) return -1;
      uint32_t nb = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : 8;
      if (c->pos + nb > c->n) return -1;
      for (uint32_t i = 0; i < nb; i++) {
        hi = (hi << 8) | (lo >> 24);
        lo = (lo << 8) | c->d[c->pos++];
      }
      uint32_t min = info == 24 ? 24 : info == 25 ? 256 : info == 26 ? 65536 : 0;
      if (hi == 0 && (nb == 8 || lo < min)) return -1; /* not the shortest form */
      if (hi >= 2097152) return -1;                    /* 2^53 or more */
    }
    kind = major;
    uint32_t left = c->n - c->pos;
    switch (major) {
      case 0: break;
      case 1:
        if (hi == 2097151 && lo == 0xffffffffu) return -1;
        break;
      case 2:
      case 3:
        if (hi != 0 || lo > left) return -1;
        r[3] = c->pos;
        r[4] = lo;
        if (major == 3) {
          int u = pd_utf8(c->d + c->pos, lo);
          if (u < 0) return -1;
          if (u) kind |= 16;
        }
        c->pos += lo;
        break;
      case 4:
        if (hi != 0 || lo > left) return -1;
        for (uint32_t i = 0; i < lo; i++) if (cbor_item(c, depth + 1) < 0) return -1;
        break;
      case 5:
        if (hi != 0 || lo > left / 2) return -1;
        for (uint32_t i = 0; i < lo; i++) {
          uint32_t k = c->count;
          if (cbor_item(c, depth + 1) < 0) return -1;
          uint32_t kk = c->rec[6 * k] & 15;
          if (kk != 0 && kk != 1 && kk != 3) return -1;
          /* earlier keys of this map: the first after the map's record, then each value's next's */
          for (uint32_t j = me + 1; j != k; j = c->rec[6 * c->rec[6 * j + 5] + 5])
            if (cbor_same_key(c, j, k)) return -1;
          if (cbor_item(c, depth + 1) < 0) return -1;
        }
        break;
      default:
        if (hi != 0 || lo != 18) return -1;
        if (cbor_item(c, depth + 1) < 0) return -1;
        break;
    }
  }
  if (major == 2 || major == 3) {
    /* r[3], r[4] set above */
  } else {
    r[3] = lo;
    r[4] = hi;
  }
  r[0] = kind;
  r[1] = start;
  r[2] = c->pos;
  r[5] = c->count;
  return 0;
}

/*
 * The n bytes at d as one CBOR item filling them, into records at rec (room for
 * `limits` >> 8 records; depth at most `limits` & 255): the number of records,
 * or -1 (refused, or no room: the caller decodes it the portable way).
 */
ENTRY int pd_cbor(uint32_t *rec, const uint8_t *d, uint32_t n, uint32_t limits) {
  cbor_t c = {d, n, 0, 0, limits >> 8, limits & 255, rec};
  if (cbor_item(&c, 1) < 0 || c.pos != n) return -1;
  return (int)c.count;
}

/* 1 when the n bytes at a and at b are the same (bytes.ts equal: every byte read, whatever differs). */
ENTRY int pd_equal(const uint8_t *a, const uint8_t *b, uint32_t n) {
  uint32_t d = 0;
  for (uint32_t i = 0; i < n; i++) d |= (uint32_t)(a[i] ^ b[i]);
  return d == 0;
}
