// The Espruino image's native kernel (kernel.c) handed to the core as its
// natives (firmware/core/natives.ts). npm run build puts this file in front
// of the image, after `var PINDAI_KERNEL = {code: <the Thumb bytes, base64>,
// at: {<entry>: <offset>}}`, for boards that run Cortex-M code
// (host/build/espruino-kernel.ts). Plain ES5: it runs before the bundle.
// It defines PINDAI_KERNEL_NATIVES; the image's own natives
// (firmware/targets/espruino/natives.ts, put inside the bundle by
// rollup.config.js) take every entry of it over their own.
//
// Why this shape: Espruino interprets source, so each call from JavaScript
// costs thousands of instructions whatever it does (E.nativeCall with three
// numbers: about 8,000 on a Cortex-M4; a JavaScript function around it,
// 24,000). So the kernel takes whole pieces (a double scalar product, a
// table product, an inversion, SHA-512), and the field operations the core
// still makes one by one are one native call each on addresses held in the
// element. An element is {p: address of its 16 int32 limbs, b: the buffer
// holding them}: elements are cut 16 at a time from one flat Int32Array,
// which lives as long as any of them (the garbage collector sees b).
var PINDAI_KERNEL_NATIVES = (function (n, K) {
  if (K === undefined || typeof E === "undefined" || typeof E.nativeCall !== "function") return n;
  // The code must start 4-aligned (it reads its constants PC-relative) in a
  // flat string: where Espruino's variables are not a multiple of 4 bytes, a
  // few bytes of padding in front put it there.
  var raw = atob(K.code);
  var toFlat = E.toFlatString || E.toString; // E.toString made flat strings before 2v18
  var code;
  var pad = 0;
  for (; pad < 4; pad++) {
    code = toFlat("\0\0\0".substr(0, pad) + raw);
    var a = typeof code === "string" ? E.getAddressOf(code, true) : 0;
    if (a && ((a + pad) & 3) === 0) break;
  }
  raw = undefined; // the closures below keep this scope: keep only the flat copy
  K.code = undefined;
  if (pad === 4) return n; // no flat memory for it: the portable path
  function fn(name, sig) {
    return E.nativeCall(pad + K.at[name] + 1, sig, code); // + 1: Thumb
  }
  /** n bytes of flat memory at a 4-aligned address (elements and points must be): {a: address, b: buffer}. */
  function flat(len) {
    var b = new Uint8Array(len + 3);
    var a = E.getAddressOf(b, true);
    if (!a) throw new Error("no flat memory for " + len + " bytes");
    return { a: a + ((4 - (a & 3)) & 3), b: b };
  }
  var MUL = fn("pd_mul", "void(int,int,int)");
  var ADD = fn("pd_add", "void(int,int,int)");
  var SUB = fn("pd_sub", "void(int,int,int)");
  var SET = fn("pd_set", "void(int,int)");
  var PACK = fn("pd_pack", "void(int,int)");
  var UNPACK = fn("pd_unpack", "void(int,int)");
  var INV = fn("pd_inv", "void(int,int)");
  var POW = fn("pd_pow2523", "void(int,int)");
  var STRAUS = fn("pd_straus", "void(int,int,int)");
  var TABLE = fn("pd_tablemulsub", "void(int,int,int)");
  var SHA = fn("pd_sha512", "void(int,int,int)");
  var REDUCE = fn("pd_reduce64", "void(int,int)");

  var chunk;
  var used = 16;
  function fe() {
    if (used === 16) {
      chunk = flat(1024);
      used = 0;
    }
    used++;
    return { p: chunk.a + 64 * (used - 1), b: chunk.b };
  }
  /** A point whose four elements are consecutive (the kernel's layout): a product's result. */
  function point() {
    var f = flat(256);
    return { x: { p: f.a, b: f.b }, y: { p: f.a + 64, b: f.b }, z: { p: f.a + 128, b: f.b }, t: { p: f.a + 192, b: f.b } };
  }

  // Scratch, flat and never freed: bytes in and out, the kernel's point arguments, scalars, table addresses.
  var BB = new Uint8Array(64); // bytes only: any address
  var BBP = E.getAddressOf(BB, true);
  var BB32 = new Uint8Array(BB.buffer, 0, 32);
  var PTS = flat(768);
  var PTSP = PTS.a;
  var SUBS = new Int32Array(32); // the kernel reads it byte by byte
  var SUBSP = E.getAddressOf(SUBS, true);
  var MSG = new Uint8Array(512);
  var MSGP = E.getAddressOf(MSG, true);

  // The address of b[at..at + 32): in place where b is addressable (flat, or
  // memory-mapped flash), else a copy in BB.
  function bytesAt(b, at) {
    var a = E.getAddressOf(b, true);
    if (a) return a + at;
    BB.set(new Uint8Array(b.buffer, b.byteOffset + at, 32), 0);
    return BBP;
  }
  function putPoint(at, p) {
    SET(at, p.x.p);
    SET(at + 64, p.y.p);
    SET(at + 128, p.z.p);
    SET(at + 192, p.t.p);
  }
  function scalars(s1, s2) {
    BB.set(s1, 0);
    BB.set(s2, 32);
  }

  n.field = {
    fe: fe,
    set: function (r, a) { SET(r.p, a.p); },
    add: function (r, a, b) { ADD(r.p, a.p, b.p); },
    sub: function (r, a, b) { SUB(r.p, a.p, b.p); },
    mul: function (r, a, b) { MUL(r.p, a.p, b.p); },
    sqr: function (r, a) { MUL(r.p, a.p, a.p); },
    pack: function (o, a) {
      PACK(BBP, a.p);
      o.set(BB32, 0);
    },
    unpack: function (r, b) { UNPACK(r.p, bytesAt(b, 0)); },
    unpackAt: function (r, b, at) { UNPACK(r.p, bytesAt(b, at)); },
    inv: function (r, z) { INV(r.p, z.p); },
    pow2523: function (r, z) { POW(r.p, z.p); },
  };
  n.curve = {
    doubleScalarMul: function (s1, p1, s2, p2) {
      putPoint(PTSP, p1);
      putPoint(PTSP + 256, p2);
      scalars(s1, s2);
      var q = point();
      STRAUS(q.x.p, PTSP, BBP);
      return q;
    },
    // undefined (the core then runs its own) when a subtable is not in addressable memory.
    tableMulSub: function (s1, t1, s2, t2) {
      for (var m = 0; m < 16; m++) {
        var a1 = E.getAddressOf(t1[m], true);
        var a2 = E.getAddressOf(t2[m], true);
        if (!a1 || !a2) return undefined;
        SUBS[m] = a1;
        SUBS[16 + m] = a2;
      }
      scalars(s1, s2);
      var q = point();
      TABLE(q.x.p, SUBSP, BBP);
      return q;
    },
  };
  // The table path whole: one call instead of a hash, a reduction, a product
  // and an encoding through JavaScript. Subtable addresses are read once per
  // table (the last few tables are remembered, as the tables themselves are).
  var VERIFYT = fn("pd_verifytables", "int(int)");
  var VARGS = new Int32Array(36); // 4 arguments, then the 32 subtable addresses (large enough to be flat)
  var VARGSP = E.getAddressOf(VARGS, true);
  var known = [];
  function subsOf(t) {
    if (t === undefined) return undefined;
    for (var i = 0; i < known.length; i += 2) if (known[i] === t) return known[i + 1];
    if (t.length !== 16) return undefined; // ed25519-table.ts isTable
    var a = new Int32Array(16);
    for (var m = 0; m < 16; m++) {
      if (!(t[m].length >= 768)) return undefined;
      a[m] = E.getAddressOf(t[m], true);
      if (!a[m]) return undefined;
    }
    if (known.length >= 8) known.splice(0, 2);
    known.push(t, a);
    return a;
  }
  if (VARGSP) n.ed25519VerifyTables = function (pk, msg, sig, t1, t2) {
    var a1 = subsOf(t1);
    var a2 = subsOf(t2);
    if (!a1 || !a2 || !sig.buffer) return undefined;
    VARGS.set(a1, 4);
    VARGS.set(a2, 20);
    var len = 64 + msg.length;
    if (len > MSG.length) flatCopy(new Uint8Array(len));
    MSG.set(new Uint8Array(sig.buffer, sig.byteOffset, 32), 0);
    MSG.set(pk, 32);
    MSG.set(msg, 64);
    BB.set(sig, 0);
    VARGS[0] = MSGP;
    VARGS[1] = len;
    VARGS[2] = BBP;
    VARGS[3] = VARGSP + 16;
    return VERIFYT(VARGSP) === 1;
  };
  n.reduce64 = function (h) {
    BB.set(h, 0);
    REDUCE(BBP, BBP);
    return new Uint8Array(BB32);
  };
  /** m's bytes copied to flat memory (MSG, grown as needed): their address. */
  function flatCopy(m) {
    var len = m.length;
    if (len > MSG.length) {
      MSG = new Uint8Array(len);
      MSGP = E.getAddressOf(MSG, true);
    }
    if (!MSGP) throw new Error("no flat memory for " + len + " bytes");
    MSG.set(m, 0);
    return MSGP;
  }
  n.sha512 = function (m) {
    SHA(BBP, flatCopy(m), m.length);
    return new Uint8Array(BB);
  };
  // Text: a JavaScript loop over bytes costs thousands of instructions a byte.
  var B45 = fn("pd_base45", "int(int,int,int)");
  var UTF8 = fn("pd_utf8", "int(int,int)");
  var OUT = new Uint8Array(0);
  var OUTP = 0;
  n.base45Decode = function (text) {
    var len = text.length;
    if (((len + 2) / 3 | 0) * 2 > OUT.length) {
      OUT = new Uint8Array(((len + 2) / 3 | 0) * 2);
      OUTP = E.getAddressOf(OUT, true);
      if (!OUTP) throw new Error("no flat memory for Base45");
    }
    var o = B45(OUTP, flatCopy(new Uint8Array(E.toArrayBuffer(text))), len);
    if (o < 0) return o === -1 ? "BAD_CHAR" : "OVERFLOW";
    var r = new Uint8Array(o);
    r.set(new Uint8Array(OUT.buffer, 0, o));
    return r;
  };
  if (typeof E.asUTF8 === "function") n.utf8Decode = function (b) {
    var v = UTF8(flatCopy(b), b.length);
    if (v < 0) return undefined;
    var s = E.toString(b);
    if (s === undefined) throw new Error("no flat memory for text");
    return v === 0 ? s : E.asUTF8(s);
  };
  // CBOR: the kernel checks and parses (records of 6 words an item, kernel.c
  // pd_cbor), this makes cbor.ts's items from them; undefined for whatever the
  // kernel refuses, so the core's own decoder names the error.
  var CBOR_DEC = fn("pd_cbor", "int(int,int,int,int)");
  var ROOM = 32; // a QR's COSE and its payload need about 25; larger input (a key set) is decoded the portable way
  var REC = new Uint32Array(6 * ROOM);
  var RECP = E.getAddressOf(REC, true);
  var at; // the next record
  function item(d) {
    var i = at;
    at += 6;
    var k = REC[i] & 15;
    var it = { kind: k, start: REC[i + 1], end: REC[i + 2] };
    var a = REC[i + 3];
    var c;
    if (k < 2) {
      a += REC[i + 4] * 4294967296;
      it.int = k === 0 ? a : -1 - a;
    } else if (k === 2) it.bytes = new Uint8Array(new Uint8Array(d.buffer, d.byteOffset + a, REC[i + 4]));
    else if (k === 3) {
      c = E.toString(new Uint8Array(d.buffer, d.byteOffset + a, REC[i + 4]));
      if (c === undefined) throw new Error("no flat memory for text");
      it.text = REC[i] & 16 ? E.asUTF8(c) : c;
    } else if (k === 4) {
      it.items = [];
      for (c = 0; c < a; c++) it.items.push(item(d));
    } else if (k === 5) {
      it.keys = [];
      it.values = [];
      for (c = 0; c < a; c++) {
        it.keys.push(item(d));
        it.values.push(item(d));
      }
    } else if (k === 6) {
      it.tag = 18;
      it.content = item(d);
    }
    return it;
  }
  if (RECP && typeof E.asUTF8 === "function") n.cborDecode = function (d, maxDepth, maxItems) {
    if (!d.buffer || maxDepth > 255) return undefined;
    if (CBOR_DEC(RECP, flatCopy(d), d.length, maxDepth + 256 * (maxItems < ROOM ? maxItems : ROOM)) < 0) return undefined;
    at = 0;
    return item(d);
  };
  var EQ = fn("pd_equal", "int(int,int,int)");
  n.equalBytes = function (a, b) {
    var len = a.length;
    if (len !== b.length) return false;
    if (2 * len > MSG.length) flatCopy(new Uint8Array(2 * len));
    MSG.set(a, 0);
    MSG.set(b, len);
    return EQ(MSGP, MSGP + len, len) === 1;
  };
  n.copyBytes = function (dst, at, src, from, len) {
    if (src.buffer && dst.set) dst.set(new Uint8Array(src.buffer, src.byteOffset + from, len), at);
    else for (var i = 0; i < len; i++) dst[at + i] = src[from + i];
  };
  return n;
})({}, typeof PINDAI_KERNEL !== "undefined" ? PINDAI_KERNEL : undefined);
