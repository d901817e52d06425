/*
 * A QEMU TCG plugin (qemu-arm -plugin ./insn-count.so,out=PATH): counts the
 * guest instructions executed, and when the guest makes the marker system
 * call (number 0xF000, which Linux does not have: it returns -ENOSYS)
 * appends "MARK <r0> <count so far>" to PATH. The JavaScript under test
 * makes that call through E.nativeCall of a 10-byte Thumb stub, so a run
 * reads the instructions between any two marks. Only the few entry
 * points of QEMU's plugin API (version 1; tested with Debian's QEMU 7.2) it needs are
 * declared here, so it builds without QEMU's sources.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

extern void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
    void (*cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb));
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
    enum qemu_plugin_op op, void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id,
    void (*cb)(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num,
               uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
               uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8));
extern void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
    void (*cb)(qemu_plugin_id_t id, void *userdata), void *userdata);

static uint64_t insns; /* one guest thread runs the interpreter: a plain counter */
static FILE *out;

/* Each translated block adds its length when it runs (inline, no callback). */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, qemu_plugin_tb_n_insns(tb));
}

#define MARKER_SYSCALL 0xF000

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
  (void)id; (void)vcpu; (void)a2; (void)a3; (void)a4; (void)a5; (void)a6; (void)a7; (void)a8;
  if (num == MARKER_SYSCALL) {
    fprintf(out, "MARK %lld %llu\n", (long long)(int32_t)a1, (unsigned long long)insns);
    fflush(out);
  }
}

static void on_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id; (void)userdata;
  fprintf(out, "EXIT %llu\n", (unsigned long long)insns);
  fclose(out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  const char *path = NULL;
  for (int i = 0; i < argc; i++) if (strncmp(argv[i], "out=", 4) == 0) path = argv[i] + 4;
  out = path ? fopen(path, "w") : stderr;
  if (!out) return -1;
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
  qemu_plugin_register_atexit_cb(id, on_exit, NULL);
  return 0;
}
