/*
 * Faultline conformance probe: the Linux side of packages/conformance.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o init probe.c
 * The protocol (program format and JSON output) is the conformance spec
 * ("Conformance probe protocol"); this file implements it for x86-64 Linux
 * and for arm64 (aarch64-linux-gnu-gcc -static: the same source, with the
 * few lines that differ under __aarch64__ — the exec trampoline, the serial
 * port, and the fault's syndrome, which arm64 reports as the ESR in the
 * signal frame's esr_context record where x86 has REG_ERR and REG_TRAPNO).
 *
 * DESIGN
 *
 * One static binary plays two roles, chosen by argv[0]:
 *
 *   master  the initramfs's /init (pid 1, root). It mounts /proc, /sys and a
 *           tmpfs on /tmp, prints the boot line, then runs every program in
 *           /cases (sorted by file name), one case after the other, and
 *           powers the machine off. It parses each program, resolves every
 *           address (labels, label+N) itself, sends each step to the task
 *           that performs it, and after every step reads the watched pages
 *           of every task from /proc/PID/pagemap, /proc/kpageflags and
 *           /proc/kpagecount (only root may see PFNs: fs/proc/task_mmu.c,
 *           pagemap_open / pm->show_pfn). Output goes to /dev/ttyS1, in raw
 *           mode so the tty layer adds no \r.
 *
 *   puppet  a task of a case ("spawn a" = fork + execve("/init",
 *           {"puppet", <slot>, <uid>}) so each spawned task is a fresh program
 *           image, with ADDR_NO_RANDOMIZE as well as the kernel's norandmaps).
 *           Right after exec it drops to the case's uid/gid (setgid, then
 *           setuid), then serves commands one at a time: each command is one
 *           line on its own named FIFO /tmp/fifo/<slot>.cmd, each answer one
 *           line on /tmp/fifo/<slot>.rep. The FIFOs are named (mkfifo) rather
 *           than inherited pipes so that a puppet's fork child, which is
 *           another task of the case, can open its own pair by name. The
 *           master opens its ends first (cmd O_RDWR so it never blocks, rep
 *           O_RDONLY|O_NONBLOCK: Linux reports POLLHUP on it only once a
 *           writer has come and gone, fs/pipe.c pipe_poll), so a puppet's
 *           blocking opens return at once.
 *
 * An answer line is "<status> <minflt|-> <aux|-> <json>": status is "ok",
 * "ready" (a new task is warmed up) or "dead" (the task reported a signal or
 * an exit and is calling _exit); aux carries a number the master needs
 * (mmap's address, fork's child pid, spawn's brk); json is the step's result.
 *
 * A stuck or crashed puppet must not hang the boot: every wait for an answer
 * or a death polls the rep FIFO together with a pidfd of the task, with a
 * timeout of REPLY_TIMEOUT_MS of wall time; on a timeout or an unexpected
 * death the master prints {"case":…,"error":…}, SIGKILLs the case's
 * processes (every spawned puppet leads its own process group, which its
 * fork children inherit), reaps them and goes on with the next case.
 * Fork children are reaped by nobody while their parent lives: puppets set
 * SIGCHLD to SIG_IGN, so the kernel reaps them at exit (kernel/exit.c,
 * exit_notify → do_notify_parent returns autoreap). The master waits for a
 * task's death through its pidfd, which becomes readable once the task has
 * exited (kernel/fork.c pidfd_poll), and exit_mm ran before that, so a dead
 * task's pages are already unmapped when the next watch is read.
 *
 * WARM-UP: keeping minflt exact
 *
 * "minflt" is getrusage(RUSAGE_SELF).ru_minflt before and after the access,
 * measured in the task. Every fault the kernel completes on the task's
 * behalf counts, whether the access came from user mode or from the kernel's
 * copy_{from,to}_user (mm/memory.c mm_account_fault counts before looking at
 * regs), while a fault that ends in a signal does not count (it returns early
 * on VM_FAULT_ERROR, and bad_area() never reaches handle_mm_fault). So the
 * probe's own memory must never fault during a measurement. At start and
 * after every fork (in parent and child: fork write-protects the anonymous
 * pages of both, and drops the PTEs of file-backed pages without an anon_vma
 * from the child, mm/memory.c vma_needs_copy), a puppet:
 *   - reads every page of every mapping it had before the first step (text,
 *     rodata, RELRO, the vDSO), and writes every writable one (data, bss,
 *     heap/TLS) back with its own value, which breaks COW;
 *   - writes 64 KiB of stack below its current stack pointer, and every page
 *     above it up to the top of [stack];
 *   - runs each path it will use once (getrusage twice, snprintf, the errno
 *     names), and takes its signals on a static, warmed sigaltstack, so that
 *     the signal frame itself never faults.
 * The recorded ranges are those of the puppet's startup: mappings that the
 * case creates later (mmap, brk growth) are never touched by the warm-up.
 *
 * SIGNALS AND EXEC DETECTION
 *
 * read/write/touch/exec/copy_* run under SA_SIGINFO handlers for SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE and SIGTRAP. The handler reports si_code, si_addr,
 * uc_mcontext.gregs[REG_ERR] and [REG_TRAPNO] and _exits. On x86 the kernel
 * fills REG_ERR/REG_TRAPNO from tsk->thread.error_code/trap_nr, which
 * arch/x86/mm/fault.c sets in set_signal_archinfo() from the hardware error
 * code after sanitize_error_code(): for an address >= TASK_SIZE_MAX it sets
 * X86_PF_PROT, so that user space cannot tell whether a kernel address is
 * mapped (with PTI the user page tables do not even map it).
 * exec calls the address with %eax = 0 (probe_call_at below saves the
 * callee-saved registers and %rsp so that code which returns cannot break
 * the probe). A zero page decodes as "add %al,(%rax)", which faults writing
 * address 0 with RIP == addr: the fetch itself succeeded. The rule is that
 * the fetch failed iff a SIGSEGV or SIGBUS has si_addr == addr (the page
 * fault of the fetch has CR2 == RIP); any other outcome (a return, a signal
 * elsewhere, SIGILL) means it succeeded: the handler siglongjmps back and the
 * step reports {}.
 * Note what a fetch from a not-present page of a readable, non-executable
 * VMA reports: arch/x86/mm/fault.c access_error() never looks at VM_EXEC, so
 * the first fault (error code 0x14) is served like a read (minflt 1, the
 * zero page or the file page mapped with NX), and the retried fetch then
 * faults on the NX PTE: the signal carries 0x15 (user|instr|prot).
 *
 * HANDLERS
 *
 * A case's "sigaction … handler" makes on_fault a handler of the case's:
 * installed with the case's flags (no SA_NODEFER unless it says so, so the
 * kernel blocks the signal while it runs), it answers "handled" with what it
 * was handed and serves the master's commands from inside the handler —
 * the handler's steps — until "sigreturn" (it returns, and the kernel
 * retries the access) or "longjmp" (siglongjmp to the access the master
 * asked for, which sigsetjmp'd with savemask = 1 before it began, so the
 * mask it had comes back). A task killed outright — a fault's signal it
 * blocks or ignores, which force_sig_fault (kernel/signal.c) unblocks and
 * resets to SIG_DFL — cannot answer: the master learns the signal from its
 * wait status. The case's "default" stays the reporting handler, with
 * SA_NODEFER: it stands for the default action and reports what a handler
 * would see; with SA_RESETHAND the handler puts it back as it starts, as
 * the kernel resets its own action.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096UL
#define PAGE_DOWN(a) ((a) & ~(PAGE - 1))

#define CASES_DIR "/cases"
#define FIFO_DIR "/tmp/fifo"
#define FILES_DIR "/tmp/files"
#define SCRATCH_DIR "/tmp/scratch"
#define PIPES_DIR "/tmp/pipes" /* the case's pipes: FIFOs, see "pipe" in PROTOCOL.md */
#if defined(__aarch64__)
/* QEMU's virt board has one PL011 (ttyAMA0, the console); a pci-serial device is the 8250 ttyS0. */
#define OUTPUT_TTY "/dev/ttyS0"
#elif defined(__x86_64__)
#define OUTPUT_TTY "/dev/ttyS1"
#else
#error "the probe runs on x86-64 and arm64 only"
#endif
#define PUPPET_ARGV0 "puppet"

#define REPLY_TIMEOUT_MS 60000 /* wall time per answer: generous for a loaded host running TCG */
#define MAX_TASKS 64
#define MAX_WATCHES 16
#define MAX_LABELS 256
#define COMMAND_MAX 3072 /* one command line, well under PIPE_BUF */
#define REPLY_MAX 2048
#define MAX_IOV 16 /* segments of one readv, writev or process_vm_* buffer list */
#define MAX_PIPES 16

#define KPF_ZERO_PAGE 24 /* include/uapi/linux/kernel-page-flags.h */
#define PM_PFN_MASK ((1ULL << 55) - 1) /* Documentation/admin-guide/mm/pagemap.rst */
#define PM_SWAP (1ULL << 62)
#define PM_PRESENT (1ULL << 63)

/* ------------------------------------------------------------------ */
/* Small helpers shared by both roles                                  */
/* ------------------------------------------------------------------ */

static const char *errno_name(int e)
{
	static char unknown[16];
	const char *name = strerrorname_np(e);
	if (name)
		return name;
	snprintf(unknown, sizeof unknown, "E%d", e);
	return unknown;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGTRAP: return "SIGTRAP";
	case SIGKILL: return "SIGKILL";
	default: return "SIG?";
	}
}

/* "0x…" hex or decimal, the whole token, 64-bit unsigned. */
static bool parse_number(const char *s, uint64_t *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* ------------------------------------------------------------------ */
/* PUPPET                                                              */
/* ------------------------------------------------------------------ */

enum puppet_op { OP_NONE, OP_READ, OP_WRITE, OP_EXEC, OP_TOUCH, OP_COPY };

struct own_range {
	uintptr_t start, end;
	bool readable, writable;
};

/* Everything the puppet uses lives here or on the warmed stack. */
static struct {
	int cmd_fd, rep_fd;
	struct own_range ranges[64];
	int nranges;
	uintptr_t stack_lo, stack_hi; /* the stack span the warm-up dirties */
	char maps[65536];
	char command[COMMAND_MAX + 1];
	size_t command_len;
	char reply[REPLY_MAX];
	char json[REPLY_MAX];
	char path[256];
	unsigned char fill[65536]; /* 0xAA source for copy_to_user's scratch file */
	struct iovec local[MAX_IOV], remote[MAX_IOV]; /* readv/writev's and process_vm_*'s buffers */
	/* state of the measured operation, read by the fault handler */
	volatile int op;
	volatile uintptr_t op_addr;
	volatile long minflt_before;
	volatile long minflt_in_handler;
	volatile uint64_t touch_pages;
	sigjmp_buf exec_return;
	/* The case's signal handlers (see HANDLERS in the design comment). */
	volatile int mode[2]; /* SIGSEGV, SIGBUS: MODE_DEFAULT, MODE_IGNORE or MODE_HANDLER */
	volatile bool resethand[2]; /* the handler was installed with SA_RESETHAND */
	volatile int handler_depth; /* scenario handlers the puppet is inside */
	sigjmp_buf outer_jmp; /* where a handler's siglongjmp lands: the access the master asked for */
	struct op_state {
		int op;
		uintptr_t addr;
		long minflt_before;
		uint64_t touch_pages;
	} outer;
} P;

enum { MODE_DEFAULT, MODE_IGNORE, MODE_HANDLER };

static int sig_slot(int sig)
{
	return sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : -1;
}

static unsigned char altstack[65536] __attribute__((aligned(64)));

/* The exec target is called from here, see the design comment. */
#if defined(__x86_64__)
uintptr_t probe_saved_rsp;
void probe_call_at(uintptr_t addr);
__asm__(".text\n"
	".globl probe_call_at\n"
	".type probe_call_at,@function\n"
	"probe_call_at:\n"
	"\tpush %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
	"\tmov %rsp, probe_saved_rsp(%rip)\n"
	"\txor %eax, %eax\n"
	"\tcall *%rdi\n"
	"\tmov probe_saved_rsp(%rip), %rsp\n"
	"\tcld\n"
	"\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n"
	"\tret\n"
	".size probe_call_at, .-probe_call_at\n");
#else
/* arm64: x0 = 0 in the call, as %eax on x86; a zero-filled page decodes as
 * UDF #0 (permanently undefined), so a fetch that succeeds ends in SIGILL
 * with the PC at the target. Callee-saved registers are kept on the stack. */
uintptr_t probe_saved_sp;
void probe_call_at(uintptr_t addr);
__asm__(".text\n"
	".globl probe_call_at\n"
	".type probe_call_at,%function\n"
	"probe_call_at:\n"
	"\tstp x29, x30, [sp, #-96]!\n"
	"\tstp x19, x20, [sp, #16]\n\tstp x21, x22, [sp, #32]\n\tstp x23, x24, [sp, #48]\n"
	"\tstp x25, x26, [sp, #64]\n\tstp x27, x28, [sp, #80]\n"
	"\tadrp x9, probe_saved_sp\n\tmov x10, sp\n\tstr x10, [x9, :lo12:probe_saved_sp]\n"
	"\tmov x16, x0\n\tmov x0, #0\n"
	"\tblr x16\n"
	"\tadrp x9, probe_saved_sp\n\tldr x10, [x9, :lo12:probe_saved_sp]\n\tmov sp, x10\n"
	"\tldp x19, x20, [sp, #16]\n\tldp x21, x22, [sp, #32]\n\tldp x23, x24, [sp, #48]\n"
	"\tldp x25, x26, [sp, #64]\n\tldp x27, x28, [sp, #80]\n"
	"\tldp x29, x30, [sp], #96\n"
	"\tret\n"
	".size probe_call_at, .-probe_call_at\n");
#endif

/*
 * The fault's syndrome as the signal frame carries it, as JSON members:
 * on x86 "err" (REG_ERR: the error code, sanitized for kernel addresses)
 * and "trap" (REG_TRAPNO); on arm64 "esr", from the frame's esr_context
 * record (arch/arm64/kernel/signal.c setup_sigframe: written only when the
 * fault set one, with Linux's rewrite for kernel addresses), or null.
 */
#if defined(__aarch64__)
struct probe_ctx_head {
	uint32_t magic;
	uint32_t size;
};
#define PROBE_ESR_MAGIC 0x45535201 /* arch/arm64/include/uapi/asm/sigcontext.h ESR_MAGIC */
static void format_syndrome(char *out, size_t n, const ucontext_t *uc)
{
	const unsigned char *p = (const unsigned char *)uc->uc_mcontext.__reserved;
	const unsigned char *end = p + sizeof uc->uc_mcontext.__reserved;
	while (p + sizeof(struct probe_ctx_head) <= end) {
		const struct probe_ctx_head *h = (const void *)p;
		if (h->magic == 0 || h->size < sizeof *h)
			break;
		if (h->magic == PROBE_ESR_MAGIC) {
			uint64_t esr;
			memcpy(&esr, p + sizeof *h, sizeof esr);
			snprintf(out, n, "\"esr\":%llu", (unsigned long long)esr);
			return;
		}
		p += h->size;
	}
	snprintf(out, n, "\"esr\":null");
}
#else
static void format_syndrome(char *out, size_t n, const ucontext_t *uc)
{
	snprintf(out, n, "\"err\":%lld,\"trap\":%lld", (long long)uc->uc_mcontext.gregs[REG_ERR],
		 (long long)uc->uc_mcontext.gregs[REG_TRAPNO]);
}
#endif

static long minflt_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void puppet_reply(const char *status, long minflt, bool has_minflt, const char *aux, const char *json)
{
	char mf[32];
	if (has_minflt)
		snprintf(mf, sizeof mf, "%ld", minflt);
	else
		strcpy(mf, "-");
	int n = snprintf(P.reply, sizeof P.reply, "%s %s %s %s\n", status, mf, aux ? aux : "-", json);
	if (n < 0 || (size_t)n >= sizeof P.reply)
		n = snprintf(P.reply, sizeof P.reply, "%s - - {\"errno\":\"E2BIG\"}\n", status);
	write_all(P.rep_fd, P.reply, (size_t)n);
}

static void run_command(char *line);
static char *read_command(void);
static void on_fault(int sig, siginfo_t *si, void *context);

/*
 * The case's handler: tell the master what it was handed, then run the
 * commands it sends (the handler's steps) until it says how the handler
 * ends — "sigreturn" (return: the kernel retries the access) or "longjmp"
 * (siglongjmp to the access the master asked for, which then reports
 * {"jumped":true}). Each command's own state is restored after it: a
 * handler's access must not disturb the measurement it interrupted.
 */
static void serve_handler(int sig, siginfo_t *si, const ucontext_t *uc)
{
	char json[256], syndrome[96];
	format_syndrome(syndrome, sizeof syndrome, uc);
	snprintf(json, sizeof json, "{\"signal\":\"%s\",\"code\":%d,\"addr\":\"0x%lx\",%s}", signal_name(sig),
		 si->si_code, (unsigned long)si->si_addr, syndrome);
	/* SA_RESETHAND reset the kernel's action to SIG_DFL as it entered this
	 * handler: the default action is the reporting handler's to stand for. */
	int slot = sig_slot(sig);
	if (P.resethand[slot]) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sigemptyset(&sa.sa_mask);
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
		sigaction(sig, &sa, NULL);
		P.mode[slot] = MODE_DEFAULT;
		P.resethand[slot] = false;
	}
	puppet_reply("handled", 0, false, NULL, json);
	struct op_state here = { P.op, P.op_addr, P.minflt_before, P.touch_pages };
	P.handler_depth = P.handler_depth + 1;
	for (char *line; (line = read_command()) != NULL;) {
		if (strcmp(line, "sigreturn") == 0) {
			P.handler_depth = P.handler_depth - 1;
			P.op = here.op;
			P.op_addr = here.addr;
			P.minflt_before = here.minflt_before;
			P.touch_pages = here.touch_pages;
			return;
		}
		if (strcmp(line, "longjmp") == 0) {
			P.handler_depth = 0;
			P.op = P.outer.op;
			P.op_addr = P.outer.addr;
			P.minflt_before = P.outer.minflt_before;
			P.touch_pages = P.outer.touch_pages;
			siglongjmp(P.outer_jmp, 1);
		}
		run_command(line);
		P.op = here.op;
		P.op_addr = here.addr;
		P.minflt_before = here.minflt_before;
		P.touch_pages = here.touch_pages;
	}
	_exit(0);
}

/* SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP during a measured access. */
static void on_fault(int sig, siginfo_t *si, void *context)
{
	long minflt = minflt_now() - P.minflt_before;
	uintptr_t addr = (uintptr_t)si->si_addr;
	/*
	 * A call to a non-canonical address raises #GP, not #PF: the kernel sends
	 * SIGSEGV with SI_KERNEL and si_addr 0 (arch/x86/kernel/traps.c,
	 * gp_user_force_sig_segv), so there the fetch failed although si_addr
	 * is not the target.
	 */
	int64_t top = (int64_t)P.op_addr >> 47;
	bool noncanonical = top != 0 && top != -1;
	bool fetch_failed = (sig == SIGSEGV || sig == SIGBUS) &&
			    (addr == P.op_addr || (noncanonical && si->si_code == SI_KERNEL));
	if (P.op == OP_EXEC && !fetch_failed) {
		P.minflt_in_handler = minflt;
		siglongjmp(P.exec_return, 1);
	}
	const ucontext_t *uc = context;
	int slot = sig_slot(sig);
	if (slot >= 0 && P.mode[slot] == MODE_HANDLER && P.op != OP_NONE) {
		serve_handler(sig, si, uc);
		return;
	}
	char touched[40] = "";
	if (P.op == OP_TOUCH)
		snprintf(touched, sizeof touched, ",\"pages\":%llu", (unsigned long long)P.touch_pages);
	char syndrome[96];
	format_syndrome(syndrome, sizeof syndrome, uc);
	snprintf(P.json, sizeof P.json, "{\"signal\":\"%s\",\"code\":%d,\"addr\":\"0x%lx\",%s%s}", signal_name(sig),
		 si->si_code, (unsigned long)addr, syndrome, touched);
	puppet_reply("dead", minflt, P.op != OP_NONE, NULL, P.json);
	_exit(0);
}

static void install_fault_handlers(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGCHLD, SIG_IGN); /* fork children are reaped by the kernel */
	signal(SIGPIPE, SIG_IGN);
}

static void open_fifos(const char *slot)
{
	char path[128];
	snprintf(path, sizeof path, FIFO_DIR "/%s.cmd", slot);
	P.cmd_fd = open(path, O_RDONLY);
	snprintf(path, sizeof path, FIFO_DIR "/%s.rep", slot);
	P.rep_fd = open(path, O_WRONLY);
	if (P.cmd_fd < 0 || P.rep_fd < 0)
		_exit(111);
}

/*
 * Record the puppet's own mappings (all of them but [stack], [vvar] and
 * [vsyscall]). [vdso] is read like text: on arm64 a handler returns through
 * its sigreturn trampoline (setup_return() uses VDSO_SYMBOL(sigtramp) when
 * glibc gives no SA_RESTORER), and fork does not copy the PTEs of that
 * special mapping, so a child's first signal would fault on it.
 */
static void record_own_ranges(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		_exit(112);
	size_t len = 0;
	ssize_t n;
	while (len < sizeof P.maps - 1 && (n = read(fd, P.maps + len, sizeof P.maps - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	P.maps[len] = '\0';

	uintptr_t here = (uintptr_t)&fd;
	P.nranges = 0;
	for (char *line = P.maps; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned long start, end;
		char perms[8] = "";
		int name_at = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &name_at) >= 3) {
			const char *name = line + name_at;
			if (strcmp(name, "[stack]") == 0) {
				uintptr_t lo = PAGE_DOWN(here) - 65536 - PAGE;
				P.stack_lo = lo < start ? start : lo;
				P.stack_hi = end;
			} else if (strcmp(name, "[vvar]") != 0 && strcmp(name, "[vsyscall]") != 0 &&
				   P.nranges < (int)(sizeof P.ranges / sizeof P.ranges[0])) {
				struct own_range *r = &P.ranges[P.nranges++];
				r->start = start;
				r->end = end;
				r->readable = perms[0] == 'r';
				r->writable = perms[1] == 'w';
			}
		}
		line = next;
	}
}

static void __attribute__((noinline)) dirty_stack_array(void)
{
	volatile unsigned char frame[65536];
	for (size_t i = 0; i < sizeof frame; i += PAGE)
		frame[i] = 0;
	frame[sizeof frame - 1] = 0;
}

static void touch_span(uintptr_t start, uintptr_t end, bool writable)
{
	for (uintptr_t a = start; a < end; a += PAGE) {
		volatile unsigned char *p = (volatile unsigned char *)a;
		unsigned char v = *p;
		if (writable)
			*p = v;
	}
}

/* See WARM-UP in the design comment. */
static void warm_up(void)
{
	for (int i = 0; i < P.nranges; i++)
		if (P.ranges[i].readable)
			touch_span(P.ranges[i].start, P.ranges[i].end, P.ranges[i].writable);
	dirty_stack_array();
	touch_span(P.stack_lo, P.stack_hi, true);
	/* The paths of the command loop, once each with harmless arguments. */
	(void)minflt_now();
	(void)minflt_now();
	snprintf(P.json, sizeof P.json, "{\"x\":\"0x%lx\",\"%s\":%d,%lld}", 1UL, errno_name(EFAULT), 1, 1LL);
	(void)signal_name(SIGSEGV);
	(void)write(P.rep_fd, P.reply, 0);
	uint64_t scratch;
	(void)parse_number("0x1", &scratch);
}

static void reply_ready(void)
{
	char aux[32];
	uintptr_t brk_now = (uintptr_t)syscall(SYS_brk, 0);
	snprintf(aux, sizeof aux, "0x%lx", (unsigned long)((brk_now + PAGE - 1) & ~(PAGE - 1)));
	snprintf(P.json, sizeof P.json, "{\"pid\":%d}", (int)getpid());
	puppet_reply("ready", 0, false, aux, P.json);
}

/* Next command line (without its '\n'), or NULL when the master closed the FIFO. */
static char *read_command(void)
{
	for (;;) {
		char *nl = memchr(P.command, '\n', P.command_len);
		if (nl) {
			size_t line_len = (size_t)(nl - P.command);
			static char line[COMMAND_MAX + 1];
			memcpy(line, P.command, line_len);
			line[line_len] = '\0';
			memmove(P.command, nl + 1, P.command_len - line_len - 1);
			P.command_len -= line_len + 1;
			return line;
		}
		if (P.command_len >= COMMAND_MAX)
			return NULL;
		ssize_t n = read(P.cmd_fd, P.command + P.command_len, COMMAND_MAX - P.command_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		P.command_len += (size_t)n;
	}
}

/* Splits a command into at most max tokens; returns how many. */
static int split_tokens(char *line, char **tok, int max)
{
	int n = 0;
	for (char *s = strtok(line, " "); s && n < max; s = strtok(NULL, " "))
		tok[n++] = s;
	return n;
}

static uint64_t num(const char *s)
{
	uint64_t v = 0;
	parse_number(s, &v);
	return v;
}

static void begin_measure(int op, uintptr_t addr)
{
	P.op = op;
	P.op_addr = addr;
	P.minflt_before = minflt_now();
}

static void reply_jumped(bool touch);

/*
 * Makes the access the master asked for the landing place of a handler's
 * siglongjmp (only an access begun outside any handler is one): there it
 * replies {"jumped":true} and returns. Goes before begin_measure.
 */
#define LAND_JUMPS_HERE(touch)                                      \
	do {                                                        \
		if (P.handler_depth == 0) {                         \
			if (sigsetjmp(P.outer_jmp, 1) != 0) {       \
				reply_jumped(touch);                \
				return;                             \
			}                                           \
		}                                                   \
	} while (0)

static void remember_outer(void)
{
	if (P.handler_depth == 0)
		P.outer = (struct op_state){ P.op, P.op_addr, P.minflt_before, P.touch_pages };
}

static long end_measure(void);

static void reply_jumped(bool touch)
{
	long minflt = end_measure();
	if (touch)
		snprintf(P.json, sizeof P.json, "{\"jumped\":true,\"pages\":%llu}", (unsigned long long)P.touch_pages);
	else
		snprintf(P.json, sizeof P.json, "{\"jumped\":true}");
	puppet_reply("ok", minflt, true, NULL, P.json);
}

static long end_measure(void)
{
	long delta = minflt_now() - P.minflt_before;
	P.op = OP_NONE;
	return delta;
}

/* Unaligned types: a load or store of 2, 4 or 8 bytes is one instruction, wherever it falls. */
typedef uint16_t __attribute__((aligned(1))) u16u;
typedef uint32_t __attribute__((aligned(1))) u32u;
typedef uint64_t __attribute__((aligned(1))) u64u;

static void op_read(uintptr_t addr, int size)
{
	LAND_JUMPS_HERE(false);
	begin_measure(OP_READ, addr);
	remember_outer();
	uint64_t v = size == 8   ? *(volatile u64u *)addr
		     : size == 4 ? *(volatile u32u *)addr
		     : size == 2 ? *(volatile u16u *)addr
				 : *(volatile unsigned char *)addr;
	long minflt = end_measure();
	if (size == 1)
		snprintf(P.json, sizeof P.json, "{\"value\":%u}", (unsigned)v);
	else
		snprintf(P.json, sizeof P.json, "{\"value\":\"0x%llx\"}", (unsigned long long)v);
	puppet_reply("ok", minflt, true, NULL, P.json);
}

static void op_write(uintptr_t addr, uint64_t v, int size)
{
	LAND_JUMPS_HERE(false);
	begin_measure(OP_WRITE, addr);
	remember_outer();
	if (size == 8)
		*(volatile u64u *)addr = v;
	else if (size == 4)
		*(volatile u32u *)addr = (uint32_t)v;
	else if (size == 2)
		*(volatile u16u *)addr = (uint16_t)v;
	else
		*(volatile unsigned char *)addr = (unsigned char)v;
	long minflt = end_measure();
	puppet_reply("ok", minflt, true, NULL, "{}");
}

static void op_exec(uintptr_t addr)
{
	P.minflt_in_handler = -1;
	LAND_JUMPS_HERE(false);
	if (sigsetjmp(P.exec_return, 1) == 0) {
		begin_measure(OP_EXEC, addr);
		remember_outer();
		probe_call_at(addr);
	}
	long minflt = end_measure();
	if (P.minflt_in_handler >= 0)
		minflt = P.minflt_in_handler;
	puppet_reply("ok", minflt, true, NULL, "{}");
}

static void op_touch(uintptr_t addr, uint64_t length, unsigned char v)
{
	LAND_JUMPS_HERE(true);
	P.touch_pages = 0;
	begin_measure(OP_TOUCH, addr);
	remember_outer();
	if (length > 0) {
		uintptr_t last_page = PAGE_DOWN(addr + (length - 1));
		*(volatile unsigned char *)addr = v;
		P.touch_pages = 1;
		if (P.handler_depth == 0)
			P.outer.touch_pages = 1;
		for (uintptr_t page = PAGE_DOWN(addr) + PAGE; page - PAGE != last_page; page += PAGE) {
			*(volatile unsigned char *)page = v;
			P.touch_pages = P.touch_pages + 1;
			if (P.handler_depth == 0)
				P.outer.touch_pages = P.touch_pages;
		}
	}
	long minflt = end_measure();
	snprintf(P.json, sizeof P.json, "{\"pages\":%llu}", (unsigned long long)P.touch_pages);
	puppet_reply("ok", minflt, true, NULL, P.json);
}

static int open_scratch(void)
{
	snprintf(P.path, sizeof P.path, SCRATCH_DIR "/%d", (int)getpid());
	return open(P.path, O_CREAT | O_TRUNC | O_RDWR, 0600);
}

static void reply_count(ssize_t ret, int err, long minflt)
{
	if (ret < 0)
		snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(err));
	else
		snprintf(P.json, sizeof P.json, "{\"ret\":%lld}", (long long)ret);
	puppet_reply("ok", minflt, true, NULL, P.json);
}

/* write(2) from user memory: the kernel's copy_from_user. */
static void op_copy_from_user(uintptr_t addr, uint64_t length)
{
	int fd = open_scratch();
	if (fd < 0) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"cannot create the scratch file\"}");
		return;
	}
	begin_measure(OP_COPY, addr);
	ssize_t ret = write(fd, (const void *)addr, length);
	int err = errno;
	long minflt = end_measure();
	close(fd);
	unlink(P.path);
	reply_count(ret, err, minflt);
}

/* read(2) into user memory from a file of 0xAA bytes: the kernel's copy_to_user. */
static void op_copy_to_user(uintptr_t addr, uint64_t length)
{
	int fd = open_scratch();
	if (fd < 0) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"cannot create the scratch file\"}");
		return;
	}
	for (uint64_t left = length; left > 0;) {
		size_t chunk = left < sizeof P.fill ? (size_t)left : sizeof P.fill;
		ssize_t w = write(fd, P.fill, chunk);
		if (w <= 0)
			break;
		left -= (uint64_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	begin_measure(OP_COPY, addr);
	ssize_t ret = read(fd, (void *)addr, length);
	int err = errno;
	long minflt = end_measure();
	close(fd);
	unlink(P.path);
	reply_count(ret, err, minflt);
}

/* Reads n "addr len" pairs from tok into iov; false if n is out of range. */
static bool take_iov(struct iovec *iov, char **tok, uint64_t n)
{
	if (n < 1 || n > MAX_IOV)
		return false;
	for (uint64_t i = 0; i < n; i++)
		iov[i] = (struct iovec){ (void *)num(tok[2 * i]), num(tok[2 * i + 1]) };
	return true;
}

/*
 * readv|writev <pipe|file> <name> <offset> <n> <addr len>…: the system call
 * on a pipe (the master's FIFO, opened O_RDWR|O_NONBLOCK like the
 * simulator's pipe, so an empty or full pipe gives EAGAIN) or on a file of
 * the files directory at an offset. One buffer is read(2)/write(2) or
 * pread(2)/pwrite(2); more are readv(2)/writev(2) or preadv(2)/pwritev(2).
 */
static void op_io(bool write_op, const char *on, const char *name, uint64_t offset, uint64_t n, char **pairs)
{
	bool pipe = strcmp(on, "pipe") == 0;
	if (!take_iov(P.local, pairs, n)) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"bad buffer list\"}");
		return;
	}
	snprintf(P.path, sizeof P.path, "%s/%s", pipe ? PIPES_DIR : FILES_DIR, name);
	int fd = open(P.path, O_RDWR | (pipe ? O_NONBLOCK : 0));
	if (fd < 0) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"cannot open the pipe or file\"}");
		return;
	}
	begin_measure(OP_COPY, (uintptr_t)P.local[0].iov_base);
	ssize_t ret;
	if (pipe)
		ret = n == 1 ? (write_op ? write(fd, P.local[0].iov_base, P.local[0].iov_len)
					 : read(fd, P.local[0].iov_base, P.local[0].iov_len))
			     : (write_op ? writev(fd, P.local, (int)n) : readv(fd, P.local, (int)n));
	else
		ret = n == 1 ? (write_op ? pwrite(fd, P.local[0].iov_base, P.local[0].iov_len, (off_t)offset)
					 : pread(fd, P.local[0].iov_base, P.local[0].iov_len, (off_t)offset))
			     : (write_op ? pwritev(fd, P.local, (int)n, (off_t)offset)
					 : preadv(fd, P.local, (int)n, (off_t)offset));
	int err = errno;
	long minflt = end_measure();
	close(fd);
	reply_count(ret, err, minflt);
}

/*
 * pvm <0 read|1 write> <pid> <nlocal> <addr len>… <nremote> <addr len>…:
 * process_vm_readv(2) / process_vm_writev(2). The target's faults are taken
 * by get_user_pages_remote on this task's behalf, so they count in this
 * task's ru_minflt (mm/memory.c mm_account_fault: current->min_flt).
 */
static void op_process_vm(bool write_op, pid_t pid, char **tok, int ntok)
{
	uint64_t nl = num(tok[0]);
	if (nl < 1 || nl > MAX_IOV || (int)(2 * nl + 2) > ntok || !take_iov(P.local, tok + 1, nl)) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"bad buffer list\"}");
		return;
	}
	uint64_t nr = num(tok[1 + 2 * nl]);
	if ((int)(2 * nl + 2 * nr + 2) != ntok || !take_iov(P.remote, tok + 2 + 2 * nl, nr)) {
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"bad buffer list\"}");
		return;
	}
	begin_measure(OP_COPY, (uintptr_t)P.local[0].iov_base);
	ssize_t ret = write_op ? process_vm_writev(pid, P.local, nl, P.remote, nr, 0)
			       : process_vm_readv(pid, P.local, nl, P.remote, nr, 0);
	int err = errno;
	long minflt = end_measure();
	reply_count(ret, err, minflt);
}

/*
 * pmem <0 read|1 write> <pid> <addr> <buf> <len>: /proc/<pid>/mem read or
 * written at addr. By lseek and read/write rather than pread/pwrite, which
 * refuse an offset past 2^63 (ksys_pread64: pos < 0) where this file takes
 * any (FMODE_UNSIGNED_OFFSET, mem_lseek): kernel addresses reach mem_rw.
 * Only the read or write is measured; an open that fails is its errno.
 */
static void op_proc_mem(bool write_op, pid_t pid, uint64_t addr, uintptr_t buf, uint64_t len)
{
	snprintf(P.path, sizeof P.path, "/proc/%d/mem", (int)pid);
	int fd = open(P.path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		reply_count(-1, errno, 0);
		return;
	}
	errno = 0;
	if (lseek(fd, (off_t)addr, SEEK_SET) == (off_t)-1 && errno != 0) {
		int err = errno;
		close(fd);
		reply_count(-1, err, 0);
		return;
	}
	begin_measure(OP_COPY, buf);
	ssize_t ret = write_op ? write(fd, (const void *)buf, len) : read(fd, (void *)buf, len);
	int err = errno;
	long minflt = end_measure();
	close(fd);
	reply_count(ret, err, minflt);
}

/* What mmap or mremap returned: the address (also the reply's aux, for a label) or the errno. */
static void reply_mapping(void *p, int err, long minflt)
{
	if (p == MAP_FAILED) {
		snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(err));
		puppet_reply("ok", minflt, true, NULL, P.json);
		return;
	}
	char aux[32];
	snprintf(aux, sizeof aux, "0x%lx", (unsigned long)p);
	snprintf(P.json, sizeof P.json, "{\"address\":\"%s\"}", aux);
	puppet_reply("ok", minflt, true, aux, P.json);
}

static void op_mmap(uintptr_t addr, uint64_t length, int prot, int flags, const char *file, uint64_t offset)
{
	int fd = -1;
	if (strcmp(file, "-") != 0) {
		snprintf(P.path, sizeof P.path, FILES_DIR "/%s", file);
		fd = open(P.path, O_RDWR);
		if (fd < 0) {
			snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(errno));
			puppet_reply("ok", 0, true, NULL, P.json);
			return;
		}
	}
	long before = minflt_now();
	void *p = mmap((void *)addr, length, prot, flags, fd, (off_t)offset);
	int err = errno;
	long minflt = minflt_now() - before; /* MAP_POPULATE faults the pages in here */
	if (fd >= 0)
		close(fd);
	reply_mapping(p, err, minflt);
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* mremap <addr> <old_len> <new_len> <flags> <new_addr>: the address it returns
 * (also the reply's aux, for a label), or its errno; minflt across the call
 * (a locked area that grows is faulted in during it). */
static void op_mremap(uintptr_t addr, uint64_t old_len, uint64_t new_len, int flags, uintptr_t new_addr)
{
	long before = minflt_now();
	/* The system call itself, not glibc's wrapper: before glibc's fix for BZ #31968 (2.41; backported to
	 * some 2.36 updates) the wrapper read the fifth argument only with MREMAP_FIXED, so a DONTUNMAP hint
	 * reached the kernel as 0 — which the arm64 cross libc (2.36-8cross1) still does. */
	long ret = syscall(SYS_mremap, addr, old_len, new_len, flags, new_addr);
	void *p = ret == -1 ? MAP_FAILED : (void *)ret;
	int err = errno;
	long minflt = minflt_now() - before;
	reply_mapping(p, err, minflt);
}

static void reply_errno_of(int ret, int err)
{
	if (ret == 0)
		snprintf(P.json, sizeof P.json, "{\"errno\":null}");
	else
		snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(err));
	puppet_reply("ok", 0, false, NULL, P.json);
}

/* sigaction <signo> <mode> <nodefer> <resethand>: the case's disposition. Its
 * "default" is the reporting handler, which stands for the default action. */
static void op_sigaction(int sig, int mode, bool nodefer, bool resethand)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (mode == MODE_IGNORE)
		sa.sa_handler = SIG_IGN;
	else {
		sa.sa_sigaction = on_fault;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		if (mode == MODE_DEFAULT || nodefer)
			sa.sa_flags |= SA_NODEFER;
		if (mode == MODE_HANDLER && resethand)
			sa.sa_flags |= SA_RESETHAND;
	}
	int ret = sigaction(sig, &sa, NULL);
	int err = errno;
	int slot = sig_slot(sig);
	if (ret == 0 && slot >= 0) {
		P.mode[slot] = mode;
		P.resethand[slot] = mode == MODE_HANDLER && resethand;
	}
	reply_errno_of(ret, err);
}

/* sigprocmask <how: 0 block, 1 unblock, 2 setmask> <bits: 1 SIGSEGV, 2 SIGBUS, 4 SIGKILL> */
static void op_sigprocmask(int how, unsigned bits)
{
	sigset_t set;
	sigemptyset(&set);
	if (bits & 1)
		sigaddset(&set, SIGSEGV);
	if (bits & 2)
		sigaddset(&set, SIGBUS);
	if (bits & 4)
		sigaddset(&set, SIGKILL);
	int ret = sigprocmask(how == 0 ? SIG_BLOCK : how == 1 ? SIG_UNBLOCK : SIG_SETMASK, &set, NULL);
	reply_errno_of(ret, errno);
}

static void puppet_serve(const char *slot);

/* fork <child-slot>: both sides warm up again before they answer. */
static void op_fork(const char *child_slot)
{
	pid_t pid = fork();
	if (pid == 0) {
		close(P.cmd_fd);
		close(P.rep_fd);
		P.command_len = 0;
		puppet_serve(child_slot);
		_exit(0);
	}
	if (pid < 0) {
		snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(errno));
		puppet_reply("ok", 0, false, NULL, P.json);
		return;
	}
	warm_up();
	char aux[24];
	snprintf(aux, sizeof aux, "%d", (int)pid);
	snprintf(P.json, sizeof P.json, "{\"pid\":%d}", (int)pid);
	puppet_reply("ok", 0, false, aux, P.json);
}

static void run_command(char *line)
{
	char *tok[8 + 4 * MAX_IOV];
	int n = split_tokens(line, tok, 8 + 4 * MAX_IOV);
	if (n == 0)
		return;
	const char *op = tok[0];
	if (strcmp(op, "read") == 0 && n == 3)
		op_read(num(tok[1]), (int)num(tok[2]));
	else if (strcmp(op, "write") == 0 && n == 4)
		op_write(num(tok[1]), num(tok[2]), (int)num(tok[3]));
	else if (strcmp(op, "exec") == 0 && n == 2)
		op_exec(num(tok[1]));
	else if (strcmp(op, "touch") == 0 && n == 4)
		op_touch(num(tok[1]), num(tok[2]), (unsigned char)num(tok[3]));
	else if (strcmp(op, "copy_from_user") == 0 && n == 3)
		op_copy_from_user(num(tok[1]), num(tok[2]));
	else if (strcmp(op, "copy_to_user") == 0 && n == 3)
		op_copy_to_user(num(tok[1]), num(tok[2]));
	else if ((strcmp(op, "readv") == 0 || strcmp(op, "writev") == 0) && n >= 5 && n == 5 + 2 * (int)num(tok[4]))
		op_io(op[0] == 'w', tok[1], tok[2], num(tok[3]), num(tok[4]), tok + 5);
	else if (strcmp(op, "pvm") == 0 && n >= 4)
		op_process_vm(num(tok[1]) != 0, (pid_t)num(tok[2]), tok + 3, n - 3);
	else if (strcmp(op, "pmem") == 0 && n == 6)
		op_proc_mem(num(tok[1]) != 0, (pid_t)num(tok[2]), num(tok[3]), num(tok[4]), num(tok[5]));
	else if (strcmp(op, "mmap") == 0 && n == 7)
		op_mmap(num(tok[1]), num(tok[2]), (int)num(tok[3]), (int)num(tok[4]), tok[5], num(tok[6]));
	else if (strcmp(op, "mremap") == 0 && n == 6)
		op_mremap(num(tok[1]), num(tok[2]), num(tok[3]), (int)num(tok[4]), num(tok[5]));
	else if (strcmp(op, "munmap") == 0 && n == 3) {
		int ret = munmap((void *)num(tok[1]), num(tok[2]));
		reply_errno_of(ret, errno);
	} else if (strcmp(op, "mprotect") == 0 && n == 4) {
		int ret = mprotect((void *)num(tok[1]), num(tok[2]), (int)num(tok[3]));
		reply_errno_of(ret, errno);
	} else if (strcmp(op, "brk") == 0 && n == 2) {
		long ret = syscall(SYS_brk, num(tok[1]));
		snprintf(P.json, sizeof P.json, "{\"brk\":\"0x%lx\"}", (unsigned long)ret);
		puppet_reply("ok", 0, false, NULL, P.json);
	} else if (strcmp(op, "fork") == 0 && n == 2)
		op_fork(tok[1]);
	else if (strcmp(op, "sigaction") == 0 && n == 5)
		op_sigaction((int)num(tok[1]), (int)num(tok[2]), num(tok[3]) != 0, num(tok[4]) != 0);
	else if ((strcmp(op, "mlock") == 0 || strcmp(op, "munlock") == 0) && n == 3) {
		long before = minflt_now();
		int ret = op[0] == 'm' && op[1] == 'l' ? mlock((void *)num(tok[1]), num(tok[2]))
							: munlock((void *)num(tok[1]), num(tok[2]));
		int err = errno;
		long minflt = minflt_now() - before;
		if (ret == 0)
			snprintf(P.json, sizeof P.json, "{\"errno\":null}");
		else
			snprintf(P.json, sizeof P.json, "{\"errno\":\"%s\"}", errno_name(err));
		puppet_reply("ok", minflt, true, NULL, P.json);
	} else if (strcmp(op, "madvise") == 0 && n == 3) {
		int ret = madvise((void *)num(tok[1]), num(tok[2]), MADV_DONTNEED);
		reply_errno_of(ret, errno);
	} else if (strcmp(op, "sigprocmask") == 0 && n == 3)
		op_sigprocmask((int)num(tok[1]), (unsigned)num(tok[2]));
	else if (strcmp(op, "exit") == 0) {
		puppet_reply("dead", 0, false, NULL, "{}");
		_exit(0);
	} else
		puppet_reply("ok", 0, false, NULL, "{\"harness\":\"unknown command\"}");
}

static void puppet_serve(const char *slot)
{
	open_fifos(slot);
	warm_up();
	reply_ready();
	for (char *line; (line = read_command()) != NULL;)
		run_command(line);
}

static int puppet_main(const char *slot, const char *uid_text)
{
	uint64_t uid = 0;
	parse_number(uid_text, &uid);
	if (uid != 0) {
		if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)
			_exit(110);
		/* Changing the euid made the process non-dumpable (kernel/cred.c commit_creds, with
		 * suid_dumpable 0), and ptrace_may_access refuses a non-dumpable target to anyone
		 * without CAP_SYS_PTRACE: process_vm_* between two of the case's tasks would fail
		 * with EPERM. A program that never changed its uid is dumpable; so is the simulator's. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
			_exit(111);
	}
	memset(P.fill, 0xAA, sizeof P.fill);
	install_fault_handlers();
	record_own_ranges();
	puppet_serve(slot);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* MASTER                                                              */
/* ------------------------------------------------------------------ */

/* A growable string, for JSON lines of any length. */
struct str {
	char *p;
	size_t len, cap;
};

static void str_reserve(struct str *s, size_t extra)
{
	if (s->len + extra + 1 <= s->cap)
		return;
	size_t cap = s->cap ? s->cap : 256;
	while (cap < s->len + extra + 1)
		cap *= 2;
	char *p = realloc(s->p, cap);
	if (!p)
		abort();
	s->p = p;
	s->cap = cap;
}

static void __attribute__((format(printf, 2, 3))) str_printf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	str_reserve(s, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

static void str_json_string(struct str *s, const char *text)
{
	str_printf(s, "\"");
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			str_printf(s, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			str_printf(s, "\\u%04x", *c);
		else
			str_printf(s, "%c", *c);
	}
	str_printf(s, "\"");
}

static void str_free(struct str *s)
{
	free(s->p);
	s->p = NULL;
	s->len = s->cap = 0;
}

static int output_fd = 1;

static void emit_line(struct str *s)
{
	str_printf(s, "\n");
	write_all(output_fd, s->p, s->len);
	str_free(s);
}

static void console_note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	write_all(2, buf, (size_t)n);
}

static char *read_text_file(const char *path, size_t *len_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct str s = { 0 };
	str_reserve(&s, 4096);
	for (;;) {
		str_reserve(&s, 4096);
		ssize_t n = read(fd, s.p + s.len, s.cap - s.len - 1);
		if (n <= 0)
			break;
		s.len += (size_t)n;
	}
	close(fd);
	s.p[s.len] = '\0';
	if (len_out)
		*len_out = s.len;
	return s.p;
}

static char *trim_newline(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

static long read_number_file(const char *path)
{
	char *text = read_text_file(path, NULL);
	long v = text ? strtol(text, NULL, 10) : -1;
	free(text);
	return v;
}

/* ---- boot ---------------------------------------------------------- */

static void mount_filesystems(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/tmp", 01777);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) != 0)
		console_note("probe: mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		console_note("probe: mount /sys: %s", strerror(errno));
	if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") != 0)
		console_note("probe: mount /tmp: %s", strerror(errno));
	mkdir(FIFO_DIR, 0755);
	mkdir(FILES_DIR, 0755);
	mkdir(SCRATCH_DIR, 01777);
	chmod(SCRATCH_DIR, 01777);
	mkdir(PIPES_DIR, 0755);
	/* Yama's default (1, relational) lets a process ptrace — and process_vm_* — only its
	 * descendants; the simulator models the classic rules of kernel/ptrace.c alone
	 * (same uid and dumpable, or CAP_SYS_PTRACE), which is ptrace_scope 0. */
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0\n", 2) != 2)
			console_note("probe: cannot set ptrace_scope: %s", strerror(errno));
		close(fd);
	}
}

/* The second serial port, raw: no \n → \r\n, no echo, 8 bits. */
static void open_output(void)
{
	int fd = open(OUTPUT_TTY, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		console_note("probe: cannot open " OUTPUT_TTY ": %s; writing to the console", strerror(errno));
		output_fd = 1;
		return;
	}
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetospeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	output_fd = fd;
}

static long mem_total_kb(void)
{
	char *text = read_text_file("/proc/meminfo", NULL);
	long kb = -1;
	const char *at = text ? strstr(text, "MemTotal:") : NULL;
	if (at)
		kb = strtol(at + strlen("MemTotal:"), NULL, 10);
	free(text);
	return kb;
}

static void emit_boot_line(void)
{
	struct utsname u;
	uname(&u);
	struct str s = { 0 };
	str_printf(&s, "{\"boot\":{\"kernel\":");
	str_json_string(&s, u.release);
	str_printf(&s, ",\"machine\":");
	str_json_string(&s, u.machine);
	str_printf(&s, ",\"page_size\":%ld,\"mem_total_kb\":%ld,\"thp\":", sysconf(_SC_PAGESIZE), mem_total_kb());
	char *thp = read_text_file("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
	if (thp)
		str_json_string(&s, trim_newline(thp));
	else
		str_printf(&s, "null");
	free(thp);
	struct statfs fs;
	const char *files_fs = statfs(FILES_DIR, &fs) == 0 && fs.f_type == 0x01021994 /* TMPFS_MAGIC */ ? "tmpfs"
											       : "unknown";
	str_printf(&s, ",\"mmap_min_addr\":%ld,\"randomize_va_space\":%ld,\"files_fs\":\"%s\",\"ptrace_scope\":%ld}}",
		   read_number_file("/proc/sys/vm/mmap_min_addr"),
		   read_number_file("/proc/sys/kernel/randomize_va_space"), files_fs,
		   read_number_file("/proc/sys/kernel/yama/ptrace_scope"));
	emit_line(&s);
}

/* ---- programs -------------------------------------------------------- */

struct step {
	int number;
	int ntok;
	char **tok; /* tok[0] is the step kind */
	/* a sigaction with a handler: the steps of its body ("do" lines) */
	struct step *body;
	int nbody;
};

struct watch {
	char *task;
	char *addr;
};

struct program {
	char *id;
	uint64_t uid;
	bool thp; /* "thp always": transparent huge pages on for this case */
	struct watch watches[MAX_WATCHES];
	int nwatches;
	struct step *steps;
	int nsteps;
	char *text; /* owns every token */
	char error[256];
};

struct step_shape {
	const char *kind;
	int ntok; /* tokens including the kind */
};

static const struct step_shape STEP_SHAPES[] = {
	{ "spawn", 2 },	      { "fork", 3 },	       { "exit", 2 },	       { "mmap", 9 },
	{ "munmap", 4 },      { "mprotect", 5 },       { "brk", 3 },	       { "read", 3 },
	{ "write", 4 },	      { "exec", 3 },	       { "touch", 5 },	       { "copy_from_user", 4 },
	{ "copy_to_user", 4 }, { "file", 3 },	       { "read_file", 4 },     { "sigaction", 6 },
	{ "sigprocmask", 4 }, { "mark", 2 },	       { "madvise", 5 },       { "ftruncate", 3 },
	{ "mlock", 4 },	      { "munlock", 4 },	       { "pipe", 2 },	       { "readv", 6 },
	{ "writev", 6 },      { "process_vm_readv", 5 }, { "process_vm_writev", 5 },
	{ "proc_mem_read", 6 }, { "proc_mem_write", 6 }, { "mremap", 8 },
};

/* SIGSEGV, SIGBUS or SIGKILL by name; 0 for anything else. */
static int parse_signal(const char *s)
{
	return strcmp(s, "SIGSEGV") == 0 ? SIGSEGV : strcmp(s, "SIGBUS") == 0 ? SIGBUS : strcmp(s, "SIGKILL") == 0 ? SIGKILL : 0;
}

/* A word of a comma list and the bit it stands for. */
struct word_bit {
	const char *word;
	int bit;
};

/* A comma list of the table's words, or "-" for none: their bits ORed; false if a word is not in the table. */
static bool parse_word_bits(const char *s, const struct word_bit *table, int *bits)
{
	*bits = 0;
	if (strcmp(s, "-") == 0)
		return true;
	char copy[128];
	if (strlen(s) >= sizeof copy)
		return false;
	strcpy(copy, s);
	char *save = NULL;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		const struct word_bit *e = table;
		while (e->word && strcmp(e->word, w) != 0)
			e++;
		if (!e->word)
			return false;
		*bits |= e->bit;
	}
	return true;
}

/* A comma list of signals or "-", as the bits op_sigprocmask takes; false if malformed. */
static bool parse_signal_bits(const char *s, unsigned *bits)
{
	static const struct word_bit SIGNALS[] = { { "SIGSEGV", 1 }, { "SIGBUS", 2 }, { "SIGKILL", 4 }, { NULL, 0 } };
	int b;
	bool ok = parse_word_bits(s, SIGNALS, &b);
	*bits = (unsigned)b;
	return ok;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

static bool parse_prot(const char *s, int *prot)
{
	if (strlen(s) != 3 || (s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-'))
		return false;
	*prot = (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) | (s[2] == 'x' ? PROT_EXEC : 0);
	return true;
}

/* flags: comma list of private,shared,fixed,growsdown,anon,populate or "-" (MAP_PRIVATE unless shared;
 * MAP_ANONYMOUS unless a file is named). */
static bool parse_map_flags(const char *s, bool has_file, int *flags)
{
	static const struct word_bit MAP_WORDS[] = {
		{ "private", 0 },	    { "shared", MAP_SHARED }, { "fixed", MAP_FIXED }, { "growsdown", MAP_GROWSDOWN },
		{ "anon", MAP_ANONYMOUS }, { "populate", MAP_POPULATE }, { NULL, 0 },
	};
	int f;
	*flags = 0;
	if (!parse_word_bits(s, MAP_WORDS, &f))
		return false;
	*flags = f | (has_file ? 0 : MAP_ANONYMOUS) | (f & MAP_SHARED ? 0 : MAP_PRIVATE);
	return true;
}

/* mremap's flags: a comma list of maymove, fixed, dontunmap, or "-". */
static bool parse_mremap_flags(const char *s, int *flags)
{
	static const struct word_bit MREMAP_WORDS[] = {
		{ "maymove", MREMAP_MAYMOVE }, { "fixed", MREMAP_FIXED }, { "dontunmap", MREMAP_DONTUNMAP }, { NULL, 0 },
	};
	return parse_word_bits(s, MREMAP_WORDS, flags);
}

static bool is_hex_bytes(const char *s)
{
	if (strcmp(s, "-") == 0)
		return true;
	size_t n = strlen(s);
	if (n % 2 != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A file of the files directory: no '/', not "." or "..", short enough for any path buffer. */
static bool is_file_name(const char *s)
{
	return s[0] && strlen(s) <= 200 && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/*
 * A buffer list "addr:len,addr:len,…" (1..MAX_IOV segments): splits a copy of
 * text into its address expressions and lengths; false if malformed. The
 * addresses are resolved later, when the step runs.
 */
struct iov_text {
	char copy[COMMAND_MAX];
	char *addr[MAX_IOV];
	uint64_t len[MAX_IOV];
	int n;
};

static bool split_iov(const char *text, struct iov_text *out)
{
	if (strlen(text) >= sizeof out->copy)
		return false;
	strcpy(out->copy, text);
	out->n = 0;
	char *save = NULL;
	for (char *seg = strtok_r(out->copy, ",", &save); seg; seg = strtok_r(NULL, ",", &save)) {
		char *colon = strrchr(seg, ':');
		if (out->n == MAX_IOV || !colon || colon == seg || !parse_number(colon + 1, &out->len[out->n]))
			return false;
		*colon = '\0';
		out->addr[out->n++] = seg;
	}
	return out->n > 0;
}

/* Checks what can be checked before running: token counts, prot, flags, numbers, hex. */
static bool check_step(struct step *st, char *why, size_t whylen)
{
	const char *kind = st->tok[0];
	const struct step_shape *shape = NULL;
	for (size_t i = 0; i < sizeof STEP_SHAPES / sizeof STEP_SHAPES[0]; i++)
		if (strcmp(STEP_SHAPES[i].kind, kind) == 0)
			shape = &STEP_SHAPES[i];
	if (!shape) {
		snprintf(why, whylen, "step %d: unknown step kind '%s'", st->number, kind);
		return false;
	}
	/* read and write may end with a size (2, 4 or 8 bytes; 1 without it) */
	bool sized = (strcmp(kind, "read") == 0 || strcmp(kind, "write") == 0) && st->ntok == shape->ntok + 1;
	if (st->ntok != shape->ntok && !sized) {
		snprintf(why, whylen, "step %d: %s takes %d arguments, got %d", st->number, kind, shape->ntok - 1,
			 st->ntok - 1);
		return false;
	}
	uint64_t v;
	int i;
	const char *bad = NULL;
	if (strcmp(kind, "mmap") == 0) {
		if (!parse_prot(st->tok[4], &i))
			bad = st->tok[4];
		else if (!parse_map_flags(st->tok[5], strcmp(st->tok[6], "-") != 0, &i))
			bad = st->tok[5];
		else if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
		else if (!parse_number(st->tok[7], &v))
			bad = st->tok[7];
		else if (strcmp(st->tok[6], "-") != 0 && !is_file_name(st->tok[6]))
			bad = st->tok[6];
	} else if (strcmp(kind, "munmap") == 0 || strcmp(kind, "copy_from_user") == 0 ||
		   strcmp(kind, "copy_to_user") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
	} else if (strcmp(kind, "mprotect") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
		else if (!parse_prot(st->tok[4], &i))
			bad = st->tok[4];
	} else if (strcmp(kind, "write") == 0) {
		uint64_t size = 1;
		if (sized && (!parse_number(st->tok[4], &size) || (size != 2 && size != 4 && size != 8)))
			bad = st->tok[4];
		else if (!parse_number(st->tok[3], &v) || (size < 8 && v >> (8 * size) != 0))
			bad = st->tok[3];
	} else if (strcmp(kind, "read") == 0 && sized) {
		if (!parse_number(st->tok[3], &v) || (v != 2 && v != 4 && v != 8))
			bad = st->tok[3];
	} else if (strcmp(kind, "touch") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
		else if (!parse_number(st->tok[4], &v) || v > 255)
			bad = st->tok[4];
	} else if (strcmp(kind, "file") == 0) {
		if (!is_file_name(st->tok[1]))
			bad = st->tok[1];
		else if (!is_hex_bytes(st->tok[2]))
			bad = st->tok[2];
	} else if (strcmp(kind, "sigaction") == 0) {
		const char *mode = st->tok[3], *then = st->tok[5];
		bool handler = strcmp(mode, "handler") == 0;
		if (!parse_signal(st->tok[2]))
			bad = st->tok[2];
		else if (!handler && strcmp(mode, "default") != 0 && strcmp(mode, "ignore") != 0)
			bad = mode;
		else if (handler ? strcmp(then, "return") != 0 && strncmp(then, "jump:", 5) != 0 : strcmp(then, "-") != 0)
			bad = then;
	} else if (strcmp(kind, "mlock") == 0 || strcmp(kind, "munlock") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
	} else if (strcmp(kind, "mremap") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
		else if (!parse_number(st->tok[4], &v))
			bad = st->tok[4];
		else if (!parse_mremap_flags(st->tok[5], &i))
			bad = st->tok[5];
	} else if (strcmp(kind, "madvise") == 0) {
		if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
		else if (strcmp(st->tok[4], "dontneed") != 0)
			bad = st->tok[4];
	} else if (strcmp(kind, "ftruncate") == 0) {
		if (!is_file_name(st->tok[1]))
			bad = st->tok[1];
		else if (!parse_number(st->tok[2], &v))
			bad = st->tok[2];
	} else if (strcmp(kind, "sigprocmask") == 0) {
		unsigned bits;
		if (strcmp(st->tok[2], "block") != 0 && strcmp(st->tok[2], "unblock") != 0 &&
		    strcmp(st->tok[2], "setmask") != 0)
			bad = st->tok[2];
		else if (!parse_signal_bits(st->tok[3], &bits))
			bad = st->tok[3];
	} else if (strcmp(kind, "pipe") == 0) {
		if (!is_file_name(st->tok[1]))
			bad = st->tok[1];
	} else if (strcmp(kind, "readv") == 0 || strcmp(kind, "writev") == 0) {
		static struct iov_text iov;
		bool pipe = strcmp(st->tok[2], "pipe") == 0;
		if (!pipe && strcmp(st->tok[2], "file") != 0)
			bad = st->tok[2];
		else if (!is_file_name(st->tok[3]))
			bad = st->tok[3];
		else if (pipe ? strcmp(st->tok[4], "-") != 0 : !parse_number(st->tok[4], &v))
			bad = st->tok[4];
		else if (!split_iov(st->tok[5], &iov))
			bad = st->tok[5];
	} else if (strcmp(kind, "process_vm_readv") == 0 || strcmp(kind, "process_vm_writev") == 0) {
		static struct iov_text iov;
		if (!split_iov(st->tok[3], &iov))
			bad = st->tok[3];
		else if (!split_iov(st->tok[4], &iov))
			bad = st->tok[4];
	} else if (strcmp(kind, "proc_mem_read") == 0 || strcmp(kind, "proc_mem_write") == 0) {
		if (!parse_number(st->tok[5], &v))
			bad = st->tok[5];
	} else if (strcmp(kind, "read_file") == 0) {
		if (!is_file_name(st->tok[1]))
			bad = st->tok[1];
		else if (!parse_number(st->tok[2], &v))
			bad = st->tok[2];
		else if (!parse_number(st->tok[3], &v))
			bad = st->tok[3];
	}
	if (bad) {
		snprintf(why, whylen, "step %d: malformed %s argument '%s'", st->number, kind, bad);
		return false;
	}
	return true;
}

static int split_words(char *line, char ***out)
{
	int n = 0, cap = 8;
	char **tok = malloc(sizeof *tok * (size_t)cap);
	char *save = NULL;
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == cap) {
			cap *= 2;
			tok = realloc(tok, sizeof *tok * (size_t)cap);
		}
		tok[n++] = w;
	}
	*out = tok;
	return n;
}

/* Parses a program; on a malformed line, fills p->error. */
static void parse_program(struct program *p, char *text, const char *fallback_id)
{
	memset(p, 0, sizeof *p);
	p->text = text;
	int cap = 16;
	p->steps = malloc(sizeof *p->steps * (size_t)cap);
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		trim_newline(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char **tok;
		int ntok = split_words(line, &tok);
		if (ntok == 0) {
			free(tok);
			continue;
		}
		const char *kind = tok[0];
		bool header = strcmp(kind, "case") == 0 || strcmp(kind, "uid") == 0 || strcmp(kind, "watch") == 0 ||
			      strcmp(kind, "thp") == 0;
		if (header) {
			if (p->nsteps > 0 && !p->error[0])
				snprintf(p->error, sizeof p->error, "header line '%s' after the first step", kind);
			else if (strcmp(kind, "case") == 0 && ntok == 2)
				p->id = tok[1];
			else if (strcmp(kind, "uid") == 0 && ntok == 2 && parse_number(tok[1], &p->uid))
				;
			else if (strcmp(kind, "thp") == 0 && ntok == 2 &&
				 (strcmp(tok[1], "always") == 0 || strcmp(tok[1], "never") == 0))
				p->thp = strcmp(tok[1], "always") == 0;
			else if (strcmp(kind, "watch") == 0 && ntok == 3 && p->nwatches < MAX_WATCHES)
				p->watches[p->nwatches++] = (struct watch){ tok[1], tok[2] };
			else if (!p->error[0])
				snprintf(p->error, sizeof p->error, "malformed header line '%s'", kind);
			free(tok);
			continue;
		}
		if (strcmp(kind, "do") == 0) {
			/* A step of the handler the last step installed. */
			struct step *owner = p->nsteps > 0 ? &p->steps[p->nsteps - 1] : NULL;
			if (!owner || strcmp(owner->tok[0], "sigaction") != 0 || strcmp(owner->tok[3], "handler") != 0 ||
			    ntok < 2) {
				if (!p->error[0])
					snprintf(p->error, sizeof p->error, "line %d: a 'do' line follows a sigaction with a handler", lineno);
				free(tok);
				continue;
			}
			memmove(tok, tok + 1, sizeof *tok * (size_t)(ntok - 1));
			owner->body = realloc(owner->body, sizeof *owner->body * (size_t)(owner->nbody + 1));
			struct step *b = &owner->body[owner->nbody++];
			*b = (struct step){ owner->number, ntok - 1, tok, NULL, 0 };
			if (!p->error[0] && check_step(b, p->error, sizeof p->error) &&
			    (strcmp(b->tok[0], "sigaction") == 0 && strcmp(b->tok[3], "handler") == 0))
				snprintf(p->error, sizeof p->error, "step %d: a handler's own step installs no handler", b->number);
			continue;
		}
		if (p->nsteps == cap) {
			cap *= 2;
			p->steps = realloc(p->steps, sizeof *p->steps * (size_t)cap);
		}
		struct step *st = &p->steps[p->nsteps++];
		*st = (struct step){ p->nsteps, ntok, tok, NULL, 0 };
		if (!p->error[0])
			check_step(st, p->error, sizeof p->error);
	}
	if (!p->id)
		p->id = (char *)fallback_id;
}

static void free_program(struct program *p)
{
	for (int i = 0; i < p->nsteps; i++) {
		for (int j = 0; j < p->steps[i].nbody; j++)
			free(p->steps[i].body[j].tok);
		free(p->steps[i].body);
		free(p->steps[i].tok);
	}
	free(p->steps);
	free(p->text);
}

/* ---- a running case -------------------------------------------------- */

struct task {
	char *name;
	int slot; /* FIFO names: FIFO_DIR/<slot>.cmd, .rep */
	pid_t pid;
	int pidfd, cmd_fd, rep_fd;
	bool alive, spawned;
	char buf[REPLY_MAX * 2];
	size_t buflen;
	bool rep_hup;
	/* the sigaction steps whose handlers it has installed, for SIGSEGV and SIGBUS */
	const struct step *handler[2];
	int killed_by; /* the signal that killed it, when it was the master's child; else 0 */
};

#define MAX_DELIVERIES 16 /* one access faulting into a handler that returns */
#define MAX_NESTING 8	  /* handlers inside handlers (SA_NODEFER) */

struct label {
	char *name;
	uint64_t value;
};

struct run {
	struct program *prog;
	struct task tasks[MAX_TASKS];
	int ntasks;
	int next_slot;
	struct label labels[MAX_LABELS];
	int nlabels;
	char error[512];
	/* the tasks whose handlers are running, innermost last: a "-" task in a handler's step */
	struct task *handling[MAX_NESTING];
	int nhandling;
	/* a handler sent "longjmp": the access replies "jumped" at the outermost level,
	 * and the steps up to the mark do not run */
	bool jumped;
	const char *jump_mark;
	/* the case's pipes: the master holds each FIFO open O_RDWR, so it lives from its
	 * step to the case's end and a task's open never waits for the other end */
	int pipe_fds[MAX_PIPES];
	int npipes;
};

struct reply {
	char status[16];
	bool has_minflt;
	long minflt;
	bool has_aux;
	uint64_t aux;
	const char *json;
};

static struct task *find_task(struct run *r, const char *name)
{
	for (int i = r->ntasks - 1; i >= 0; i--)
		if (strcmp(r->tasks[i].name, name) == 0)
			return &r->tasks[i];
	return NULL;
}

static void set_label(struct run *r, const char *name, uint64_t value)
{
	for (int i = 0; i < r->nlabels; i++)
		if (strcmp(r->labels[i].name, name) == 0) {
			r->labels[i].value = value;
			return;
		}
	if (r->nlabels < MAX_LABELS)
		r->labels[r->nlabels++] = (struct label){ strdup(name), value };
}

static bool find_label(struct run *r, const char *name, size_t len, uint64_t *value)
{
	for (int i = 0; i < r->nlabels; i++)
		if (strlen(r->labels[i].name) == len && strncmp(r->labels[i].name, name, len) == 0) {
			*value = r->labels[i].value;
			return true;
		}
	return false;
}

/* A number, a label, or label+N / label-N (64-bit wrapping arithmetic). */
static bool resolve_address(struct run *r, const char *text, uint64_t *out)
{
	if (find_label(r, text, strlen(text), out))
		return true;
	if (parse_number(text, out))
		return true;
	for (const char *op = text + strlen(text) - 1; op > text; op--) {
		if (*op != '+' && *op != '-')
			continue;
		uint64_t n, base;
		if (!parse_number(op + 1, &n) || !find_label(r, text, (size_t)(op - text), &base))
			return false;
		*out = *op == '+' ? base + n : base - n;
		return true;
	}
	return false;
}

static bool resolve_or_fail(struct run *r, const struct step *st, const char *text, uint64_t *out)
{
	if (resolve_address(r, text, out))
		return true;
	snprintf(r->error, sizeof r->error, "step %d: undefined label in address '%s'", st->number, text);
	return false;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads whatever the task has written. read() returns 0 both before the
 * puppet opened its end and after it closed it (fs/pipe.c pipe_read: no
 * writers), so 0 means "nothing now", never "gone": only poll's POLLHUP
 * tells a writer that came and went. */
static void drain_reply_fifo(struct task *t)
{
	while (t->buflen < sizeof t->buf - 1) {
		ssize_t n = read(t->rep_fd, t->buf + t->buflen, sizeof t->buf - 1 - t->buflen);
		if (n <= 0)
			break;
		t->buflen += (size_t)n;
	}
}

/* Takes one complete line out of the task's buffer into line. */
static bool take_line(struct task *t, char *line, size_t cap)
{
	char *nl = memchr(t->buf, '\n', t->buflen);
	if (!nl)
		return false;
	size_t len = (size_t)(nl - t->buf);
	if (len >= cap)
		len = cap - 1;
	memcpy(line, t->buf, len);
	line[len] = '\0';
	size_t used = (size_t)(nl - t->buf) + 1;
	memmove(t->buf, t->buf + used, t->buflen - used);
	t->buflen -= used;
	return true;
}

enum wait_result { GOT_LINE, TASK_DIED, TIMED_OUT };

/* Waits for one answer line from t, or its death, or the timeout. */
static enum wait_result await_line(struct task *t, char *line, size_t cap)
{
	int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
	for (;;) {
		drain_reply_fifo(t);
		if (take_line(t, line, cap))
			return GOT_LINE;
		struct pollfd fds[2] = {
			{ .fd = t->rep_hup ? -1 : t->rep_fd, .events = POLLIN },
			{ .fd = t->pidfd, .events = POLLIN },
		};
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return TIMED_OUT;
		int n = poll(fds, 2, (int)left);
		if (n < 0 && errno != EINTR)
			return TIMED_OUT;
		if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			drain_reply_fifo(t);
			return take_line(t, line, cap) ? GOT_LINE : TASK_DIED;
		}
		if (n > 0 && (fds[0].revents & POLLHUP) && !(fds[0].revents & POLLIN))
			t->rep_hup = true; /* the writer is gone: only the pidfd can wake us now */
	}
}

static bool parse_reply(char *line, struct reply *rep)
{
	char *save = NULL;
	char *status = strtok_r(line, " ", &save);
	char *minflt = strtok_r(NULL, " ", &save);
	char *aux = strtok_r(NULL, " ", &save);
	char *json = save;
	if (!status || !minflt || !aux || !json || !*json || strlen(status) >= sizeof rep->status)
		return false;
	strcpy(rep->status, status);
	rep->has_minflt = strcmp(minflt, "-") != 0;
	rep->minflt = rep->has_minflt ? strtol(minflt, NULL, 10) : 0;
	rep->has_aux = strcmp(aux, "-") != 0 && parse_number(aux, &rep->aux);
	rep->json = json;
	return true;
}

/* Waits for and parses one answer; on failure fills r->error. */
static bool await_reply(struct run *r, struct task *t, const char *what, char *line, size_t cap,
			struct reply *rep)
{
	enum wait_result w = await_line(t, line, cap);
	if (w == GOT_LINE && parse_reply(line, rep))
		return true;
	if (w == TIMED_OUT)
		snprintf(r->error, sizeof r->error, "%s: task %s (pid %d) did not answer within %d s", what, t->name,
			 (int)t->pid, REPLY_TIMEOUT_MS / 1000);
	else if (w == TASK_DIED) {
		t->alive = false;
		snprintf(r->error, sizeof r->error, "%s: task %s (pid %d) died without answering", what, t->name,
			 (int)t->pid);
	} else
		snprintf(r->error, sizeof r->error, "%s: task %s sent a malformed answer", what, t->name);
	return false;
}

/* Waits until a task that said it is exiting has exited; reaps it if it is our child. */
static bool await_death(struct run *r, struct task *t, const char *what)
{
	struct pollfd fd = { .fd = t->pidfd, .events = POLLIN };
	int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(r->error, sizeof r->error, "%s: task %s (pid %d) did not exit within %d s", what,
				 t->name, (int)t->pid, REPLY_TIMEOUT_MS / 1000);
			return false;
		}
		int n = poll(&fd, 1, (int)left);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
	}
	t->alive = false;
	/* A spawned task is the master's child: its wait status says what killed it. */
	siginfo_t info;
	memset(&info, 0, sizeof info);
	if (waitid(P_PID, (id_t)t->pid, &info, WEXITED | WNOHANG) == 0 && info.si_pid == t->pid &&
	    (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED))
		t->killed_by = info.si_status;
	return true;
}

static bool make_task_fifos(struct run *r, struct task *t)
{
	char path[128];
	const char *ends[2] = { "cmd", "rep" };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, FIFO_DIR "/%d.%s", t->slot, ends[i]);
		unlink(path);
		if (mkfifo(path, 0600) != 0 || chown(path, (uid_t)r->prog->uid, (gid_t)r->prog->uid) != 0) {
			snprintf(r->error, sizeof r->error, "cannot create FIFO %s: %s", path, strerror(errno));
			return false;
		}
		int fd = open(path, (i == 0 ? O_RDWR : O_RDONLY | O_NONBLOCK) | O_CLOEXEC);
		if (fd < 0) {
			snprintf(r->error, sizeof r->error, "cannot open FIFO %s: %s", path, strerror(errno));
			return false;
		}
		if (i == 0)
			t->cmd_fd = fd;
		else
			t->rep_fd = fd;
	}
	return true;
}

static struct task *new_task(struct run *r, const struct step *st, const char *name)
{
	struct task *old = find_task(r, name);
	if (old && old->alive) {
		snprintf(r->error, sizeof r->error, "step %d: task %s already exists", st->number, name);
		return NULL;
	}
	if (r->ntasks == MAX_TASKS) {
		snprintf(r->error, sizeof r->error, "step %d: more than %d tasks", st->number, MAX_TASKS);
		return NULL;
	}
	struct task *t = &r->tasks[r->ntasks++];
	memset(t, 0, sizeof *t);
	t->name = (char *)name;
	t->slot = r->next_slot++;
	t->pidfd = t->cmd_fd = t->rep_fd = -1;
	return make_task_fifos(r, t) ? t : NULL;
}

static bool send_command(struct run *r, struct task *t, const char *fmt, ...)
{
	char line[COMMAND_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof line - 1) {
		snprintf(r->error, sizeof r->error, "command for task %s is too long", t->name);
		return false;
	}
	line[n++] = '\n';
	write_all(t->cmd_fd, line, (size_t)n);
	return true;
}

static struct task *living_task(struct run *r, const struct step *st, const char *name)
{
	if (strcmp(name, "-") == 0) {
		if (r->nhandling == 0) {
			snprintf(r->error, sizeof r->error, "step %d: task '-' outside a handler", st->number);
			return NULL;
		}
		struct task *t = r->handling[r->nhandling - 1];
		return t->alive ? t : NULL;
	}
	struct task *t = find_task(r, name);
	if (!t || !t->alive) {
		snprintf(r->error, sizeof r->error, "step %d: %s: no living task %s", st->number, st->tok[0], name);
		return NULL;
	}
	return t;
}

/* The lowest address of the [stack] VMA of pid. */
static uint64_t stack_vma_start(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	char *maps = read_text_file(path, NULL);
	uint64_t start = 0;
	for (char *line = maps; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned long lo, hi;
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			start = lo;
		line = next;
	}
	free(maps);
	return start;
}

/* One step's outcome, filled by the step functions. */
struct outcome {
	struct str result;
	bool has_minflt;
	long minflt;
};

static void outcome_from_reply(struct outcome *o, const struct reply *rep)
{
	str_printf(&o->result, "%s", rep->json);
	o->has_minflt = rep->has_minflt;
	o->minflt = rep->minflt;
}

static bool step_spawn(struct run *r, const struct step *st, struct outcome *o)
{
	struct task *t = new_task(r, st, st->tok[1]);
	if (!t)
		return false;
	char slot[16], uid[24];
	snprintf(slot, sizeof slot, "%d", t->slot);
	snprintf(uid, sizeof uid, "%llu", (unsigned long long)r->prog->uid);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		personality(ADDR_NO_RANDOMIZE);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		char *argv[] = { PUPPET_ARGV0, slot, uid, NULL };
		char *envp[] = { NULL };
		execve("/init", argv, envp);
		_exit(127);
	}
	if (pid < 0) {
		snprintf(r->error, sizeof r->error, "step %d: fork for spawn: %s", st->number, strerror(errno));
		return false;
	}
	setpgid(pid, pid);
	t->pid = pid;
	t->alive = true;
	t->spawned = true;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char line[REPLY_MAX];
	struct reply rep;
	if (!await_reply(r, t, "spawn", line, sizeof line, &rep))
		return false;
	uint64_t stack = stack_vma_start(pid);
	set_label(r, "stack", stack);
	set_label(r, "brk", rep.aux);
	str_printf(&o->result, "{\"pid\":%d,\"stack\":\"0x%llx\",\"brk\":\"0x%llx\"}", (int)pid,
		   (unsigned long long)stack, (unsigned long long)rep.aux);
	return true;
}

static bool step_fork(struct run *r, const struct step *st, struct outcome *o)
{
	struct task *parent = living_task(r, st, st->tok[1]);
	if (!parent)
		return false;
	struct task *child = new_task(r, st, st->tok[2]);
	if (!child)
		return false;
	if (!send_command(r, parent, "fork %d", child->slot))
		return false;
	char line[REPLY_MAX];
	struct reply rep;
	if (!await_reply(r, parent, "fork", line, sizeof line, &rep))
		return false;
	if (!rep.has_aux) {
		snprintf(r->error, sizeof r->error, "step %d: fork failed in task %s: %s", st->number, parent->name,
			 rep.json);
		return false;
	}
	child->pid = (pid_t)rep.aux;
	child->alive = true;
	memcpy(child->handler, parent->handler, sizeof child->handler); /* copy_sighand */
	child->pidfd = (int)syscall(SYS_pidfd_open, child->pid, 0);
	struct reply ready;
	char line2[REPLY_MAX];
	if (!await_reply(r, child, "fork (child)", line2, sizeof line2, &ready))
		return false;
	str_printf(&o->result, "{\"pid\":%d}", (int)child->pid);
	return true;
}

static bool step_exit(struct run *r, const struct step *st, struct outcome *o)
{
	struct task *t = living_task(r, st, st->tok[1]);
	if (!t || !send_command(r, t, "exit"))
		return false;
	char line[REPLY_MAX];
	struct reply rep;
	if (!await_reply(r, t, "exit", line, sizeof line, &rep) || !await_death(r, t, "exit"))
		return false;
	str_printf(&o->result, "{}");
	return true;
}

static bool run_step(struct run *r, const struct step *st, struct outcome *o);

/* {"a":1} + key + array text → {"a":1,"key":[…]} */
static void merge_array(struct str *out, const char *object, const char *key, const char *array)
{
	size_t n = strlen(object);
	while (n > 0 && object[n - 1] != '}')
		n--;
	bool empty = n >= 2 && strspn(object + 1, " ") == n - 2;
	str_printf(out, "%.*s%s\"%s\":[%s]}", (int)(n > 0 ? n - 1 : 0), object, empty ? "" : ",", key, array);
}

/*
 * Sends a command to the step's task, waits for the answer; a "dead" answer
 * (a signal) is a result only for the memory accesses. For an access, a
 * "handled" answer means the case's handler is running: its steps are run
 * (see HANDLERS), and the access's answer comes after it returns.
 */
static bool run_in_task(struct run *r, const struct step *st, struct outcome *o, bool may_die, const char *fmt,
			...)
{
	struct task *t = living_task(r, st, st->tok[1]);
	if (!t)
		return false;
	char cmd[COMMAND_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (!send_command(r, t, "%s", cmd))
		return false;
	bool outermost = r->nhandling == 0;
	struct str handled = { 0 };
	int deliveries = 0;
	char line[REPLY_MAX];
	struct reply rep;
	for (;;) {
		if (!await_reply(r, t, st->tok[0], line, sizeof line, &rep)) {
			if (!may_die || t->alive)
				return false;
			/* Killed outright: a fault's signal the task had blocked or ignored
			 * (force_sig_fault made it the default action), or one inside a
			 * handler that blocks it. */
			if (!await_death(r, t, st->tok[0]))
				return false;
			r->error[0] = '\0';
			int sig = t->killed_by;
			struct str killed = { 0 };
			if (sig)
				str_printf(&killed, "{\"killed\":\"%s\"}", signal_name(sig));
			else
				str_printf(&killed, "{\"killed\":null}");
			if (handled.p)
				merge_array(&o->result, killed.p, "handled", handled.p);
			else
				str_printf(&o->result, "%s", killed.p);
			str_free(&killed);
			str_free(&handled);
			o->has_minflt = false;
			return true;
		}
		if (strcmp(rep.status, "handled") != 0)
			break;
		const struct step *h = t->handler[strstr(rep.json, "\"SIGBUS\"") ? 1 : 0];
		if (!h || ++deliveries > MAX_DELIVERIES || r->nhandling == MAX_NESTING) {
			snprintf(r->error, sizeof r->error, "step %d: task %s: %s", st->number, t->name,
				 !h ? "a handler ran that the case did not install" : "handlers returned or nested too often");
			str_free(&handled);
			return false;
		}
		size_t jlen = strlen(rep.json);
		str_printf(&handled, "%s{%.*s,\"steps\":[", deliveries > 1 ? "," : "", (int)(jlen - 2), rep.json + 1);
		r->handling[r->nhandling++] = t;
		for (int i = 0; i < h->nbody; i++) {
			struct outcome bo = { 0 };
			bool ok = run_step(r, &h->body[i], &bo);
			if (ok)
				str_printf(&handled, "%s{\"op\":\"%s\",\"result\":%s}", i ? "," : "", h->body[i].tok[0],
					   bo.result.p ? bo.result.p : "{}");
			str_free(&bo.result);
			if (!ok) {
				r->nhandling--;
				str_free(&handled);
				return false;
			}
			if (r->jumped || !t->alive)
				break;
		}
		r->nhandling--;
		const char *end = "sigreturn";
		if (!t->alive)
			end = "died";
		else if (r->jumped)
			end = "siglongjmp";
		else if (strncmp(h->tok[5], "jump:", 5) == 0) {
			if (!send_command(r, t, "longjmp"))
				return false;
			r->jumped = true;
			r->jump_mark = h->tok[5] + 5;
			end = "siglongjmp";
		} else if (!send_command(r, t, "sigreturn"))
			return false;
		str_printf(&handled, "],\"end\":\"%s\"}", end);
		if (!t->alive || (r->jumped && !outermost)) {
			/* Nothing more comes from this access: the task is dead, or the
			 * jump's answer belongs to the access at the outermost level. */
			merge_array(&o->result, !t->alive ? "{\"died\":true}" : "{\"jumped\":true}", "handled", handled.p);
			str_free(&handled);
			o->has_minflt = false;
			return true;
		}
		/* The access is retried (sigreturn), or the outermost one answers "jumped". */
		if (r->jumped)
			r->jumped = false;
	}
	if (strstr(rep.json, "\"harness\"")) {
		snprintf(r->error, sizeof r->error, "step %d: task %s: %s", st->number, t->name, rep.json);
		str_free(&handled);
		return false;
	}
	if (strcmp(rep.status, "dead") == 0) {
		if (!await_death(r, t, st->tok[0]))
			return false;
		if (!may_die) {
			snprintf(r->error, sizeof r->error, "step %d: task %s died during %s: %s", st->number, t->name,
				 st->tok[0], rep.json);
			return false;
		}
	}
	if (handled.p) {
		merge_array(&o->result, rep.json, "handled", handled.p);
		o->has_minflt = rep.has_minflt;
		o->minflt = rep.minflt;
	} else
		outcome_from_reply(o, &rep);
	str_free(&handled);
	if (strcmp(st->tok[0], "mmap") == 0 && rep.has_aux && strcmp(st->tok[8], "-") != 0)
		set_label(r, st->tok[8], rep.aux);
	if (strcmp(st->tok[0], "mremap") == 0 && rep.has_aux && strcmp(st->tok[7], "-") != 0)
		set_label(r, st->tok[7], rep.aux);
	return true;
}

/* sigaction <task> <signal> <default|ignore|handler> <flags|-> <then|->: the
 * master remembers the handler's steps; the task installs the disposition. */
static bool step_sigaction(struct run *r, const struct step *st, struct outcome *o)
{
	struct task *t = living_task(r, st, st->tok[1]);
	if (!t)
		return false;
	int sig = parse_signal(st->tok[2]);
	const char *m = st->tok[3];
	int mode = strcmp(m, "ignore") == 0 ? 1 : strcmp(m, "handler") == 0 ? 2 : 0;
	bool nodefer = has_word(st->tok[4], "nodefer"), resethand = has_word(st->tok[4], "resethand");
	if (!run_in_task(r, st, o, false, "sigaction %d %d %d %d", sig, mode, nodefer, resethand))
		return false;
	int slot = sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : -1;
	if (slot >= 0 && o->result.p && strstr(o->result.p, "\"errno\":null"))
		t->handler[slot] = mode == 2 ? st : NULL;
	return true;
}

static bool step_sigprocmask(struct run *r, const struct step *st, struct outcome *o)
{
	unsigned bits;
	parse_signal_bits(st->tok[3], &bits);
	int how = strcmp(st->tok[2], "block") == 0 ? 0 : strcmp(st->tok[2], "unblock") == 0 ? 1 : 2;
	return run_in_task(r, st, o, false, "sigprocmask %d %u", how, bits);
}

/* Appends " <n> <addr len>…" for a buffer list, its addresses resolved; false (r->error set) if one is unknown. */
static bool append_iov(struct run *r, const struct step *st, const char *text, char *cmd, size_t cap)
{
	static struct iov_text iov;
	split_iov(text, &iov); /* check_step accepted it */
	size_t used = strlen(cmd);
	used += (size_t)snprintf(cmd + used, cap - used, " %d", iov.n);
	for (int i = 0; i < iov.n && used < cap; i++) {
		uint64_t a;
		if (!resolve_or_fail(r, st, iov.addr[i], &a))
			return false;
		used += (size_t)snprintf(cmd + used, cap - used, " 0x%llx %llu", (unsigned long long)a,
					 (unsigned long long)iov.len[i]);
	}
	return true;
}

/* readv|writev <task> <pipe|file> <name> <offset|-> <buffers> */
static bool step_io(struct run *r, const struct step *st, struct outcome *o)
{
	char cmd[COMMAND_MAX];
	snprintf(cmd, sizeof cmd, "%s %s %s %s", st->tok[0], st->tok[2], st->tok[3],
		 strcmp(st->tok[4], "-") == 0 ? "0" : st->tok[4]);
	if (!append_iov(r, st, st->tok[5], cmd, sizeof cmd))
		return false;
	return run_in_task(r, st, o, false, "%s", cmd);
}

/* process_vm_readv|process_vm_writev <task> <target> <local buffers> <remote buffers>: the
 * target by its pid, which a dead target no longer has (ESRCH, as the simulator says). */
static bool step_process_vm(struct run *r, const struct step *st, struct outcome *o)
{
	struct task *target = find_task(r, st->tok[2]);
	if (!target) {
		snprintf(r->error, sizeof r->error, "step %d: %s: no task %s", st->number, st->tok[0], st->tok[2]);
		return false;
	}
	char cmd[COMMAND_MAX];
	snprintf(cmd, sizeof cmd, "pvm %d %d", strcmp(st->tok[0], "process_vm_writev") == 0, (int)target->pid);
	if (!append_iov(r, st, st->tok[3], cmd, sizeof cmd) || !append_iov(r, st, st->tok[4], cmd, sizeof cmd))
		return false;
	return run_in_task(r, st, o, false, "%s", cmd);
}

/* proc_mem_read|proc_mem_write <task> <target> <addr> <buf> <length>: the target by its pid,
 * "-" the handling task; a reaped one has no /proc entry any more (ENOENT). */
static bool step_proc_mem(struct run *r, const struct step *st, struct outcome *o)
{
	const char *who = st->tok[2];
	struct task *target = strcmp(who, "-") == 0 ? living_task(r, st, who) : find_task(r, who);
	if (!target) {
		if (!r->error[0])
			snprintf(r->error, sizeof r->error, "step %d: %s: no task %s", st->number, st->tok[0], who);
		return false;
	}
	pid_t pid = target->pid;
	uint64_t addr, buf, len;
	if (!resolve_or_fail(r, st, st->tok[3], &addr) || !resolve_or_fail(r, st, st->tok[4], &buf))
		return false;
	parse_number(st->tok[5], &len);
	return run_in_task(r, st, o, false, "pmem %d %d 0x%llx 0x%llx %llu", strcmp(st->tok[0], "proc_mem_write") == 0,
			   (int)pid, (unsigned long long)addr, (unsigned long long)buf, (unsigned long long)len);
}

static bool step_in_task(struct run *r, const struct step *st, struct outcome *o)
{
	const char *kind = st->tok[0];
	uint64_t a, n, v;
	if (strcmp(kind, "mmap") == 0) {
		uint64_t addr = 0;
		if (strcmp(st->tok[2], "-") != 0 && !resolve_or_fail(r, st, st->tok[2], &addr))
			return false;
		int prot, flags;
		parse_prot(st->tok[4], &prot);
		parse_map_flags(st->tok[5], strcmp(st->tok[6], "-") != 0, &flags);
		parse_number(st->tok[3], &n);
		parse_number(st->tok[7], &v);
		return run_in_task(r, st, o, false, "mmap 0x%llx %llu %d %d %s %llu", (unsigned long long)addr,
				   (unsigned long long)n, prot, flags, st->tok[6], (unsigned long long)v);
	}
	if (strcmp(kind, "mremap") == 0) {
		uint64_t addr, to = 0, old_len, new_len;
		if (!resolve_or_fail(r, st, st->tok[2], &addr))
			return false;
		if (strcmp(st->tok[6], "-") != 0 && !resolve_or_fail(r, st, st->tok[6], &to))
			return false;
		int flags;
		parse_mremap_flags(st->tok[5], &flags);
		parse_number(st->tok[3], &old_len);
		parse_number(st->tok[4], &new_len);
		return run_in_task(r, st, o, false, "mremap 0x%llx %llu %llu %d 0x%llx", (unsigned long long)addr,
				   (unsigned long long)old_len, (unsigned long long)new_len, flags, (unsigned long long)to);
	}
	if (strcmp(kind, "readv") == 0 || strcmp(kind, "writev") == 0)
		return step_io(r, st, o);
	if (strcmp(kind, "process_vm_readv") == 0 || strcmp(kind, "process_vm_writev") == 0)
		return step_process_vm(r, st, o);
	if (strcmp(kind, "proc_mem_read") == 0 || strcmp(kind, "proc_mem_write") == 0)
		return step_proc_mem(r, st, o);
	if (!resolve_or_fail(r, st, st->tok[2], &a))
		return false;
	unsigned long long A = (unsigned long long)a;
	if (strcmp(kind, "munmap") == 0 || strcmp(kind, "copy_from_user") == 0 || strcmp(kind, "copy_to_user") == 0) {
		parse_number(st->tok[3], &n);
		return run_in_task(r, st, o, strcmp(kind, "munmap") != 0, "%s 0x%llx %llu", kind, A,
				   (unsigned long long)n);
	}
	if (strcmp(kind, "mprotect") == 0) {
		int prot;
		parse_prot(st->tok[4], &prot);
		parse_number(st->tok[3], &n);
		return run_in_task(r, st, o, false, "mprotect 0x%llx %llu %d", A, (unsigned long long)n, prot);
	}
	if (strcmp(kind, "brk") == 0)
		return run_in_task(r, st, o, false, "brk 0x%llx", A);
	if (strcmp(kind, "mlock") == 0 || strcmp(kind, "munlock") == 0) {
		parse_number(st->tok[3], &n);
		return run_in_task(r, st, o, false, "%s 0x%llx %llu", kind, A, (unsigned long long)n);
	}
	if (strcmp(kind, "madvise") == 0) {
		parse_number(st->tok[3], &n);
		return run_in_task(r, st, o, false, "madvise 0x%llx %llu", A, (unsigned long long)n);
	}
	if (strcmp(kind, "exec") == 0)
		return run_in_task(r, st, o, true, "exec 0x%llx", A);
	if (strcmp(kind, "read") == 0) {
		n = 1;
		if (st->ntok == 4)
			parse_number(st->tok[3], &n);
		return run_in_task(r, st, o, true, "read 0x%llx %llu", A, (unsigned long long)n);
	}
	if (strcmp(kind, "write") == 0) {
		parse_number(st->tok[3], &v);
		n = 1;
		if (st->ntok == 5)
			parse_number(st->tok[4], &n);
		return run_in_task(r, st, o, true, "write 0x%llx %llu %llu", A, (unsigned long long)v,
				   (unsigned long long)n);
	}
	if (strcmp(kind, "touch") == 0) {
		parse_number(st->tok[3], &n);
		parse_number(st->tok[4], &v);
		return run_in_task(r, st, o, true, "touch 0x%llx %llu %llu", A, (unsigned long long)n,
				   (unsigned long long)v);
	}
	snprintf(r->error, sizeof r->error, "step %d: unhandled step kind %s", st->number, kind);
	return false;
}

static int hex_value(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

static bool step_file(struct run *r, const struct step *st, struct outcome *o)
{
	char path[256];
	snprintf(path, sizeof path, FILES_DIR "/%.200s", st->tok[1]);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(r->error, sizeof r->error, "step %d: cannot create %s: %s", st->number, path, strerror(errno));
		return false;
	}
	const char *hex = st->tok[2];
	size_t n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
	unsigned char *bytes = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		bytes[i] = (unsigned char)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
	write_all(fd, (const char *)bytes, n);
	free(bytes);
	if (fchown(fd, (uid_t)r->prog->uid, (gid_t)r->prog->uid) != 0)
		console_note("probe: fchown %s: %s", path, strerror(errno));
	struct stat sb;
	fstat(fd, &sb);
	close(fd);
	str_printf(&o->result, "{\"size\":%lld}", (long long)sb.st_size);
	return true;
}

/* ftruncate <name> <length>: by the master, on the files directory (tmpfs). */
static bool step_ftruncate(struct run *r, const struct step *st, struct outcome *o)
{
	char path[256];
	snprintf(path, sizeof path, FILES_DIR "/%.200s", st->tok[1]);
	uint64_t length;
	parse_number(st->tok[2], &length);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(r->error, sizeof r->error, "step %d: cannot open %s: %s", st->number, path, strerror(errno));
		return false;
	}
	int ret = ftruncate(fd, (off_t)length);
	int err = errno;
	close(fd);
	if (ret == 0)
		str_printf(&o->result, "{\"errno\":null}");
	else
		str_printf(&o->result, "{\"errno\":\"%s\"}", errno_name(err));
	return true;
}

static bool step_read_file(struct run *r, const struct step *st, struct outcome *o)
{
	char path[256];
	snprintf(path, sizeof path, FILES_DIR "/%.200s", st->tok[1]);
	uint64_t offset, length;
	parse_number(st->tok[2], &offset);
	parse_number(st->tok[3], &length);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(r->error, sizeof r->error, "step %d: cannot open %s: %s", st->number, path, strerror(errno));
		return false;
	}
	unsigned char *bytes = malloc(length + 1);
	ssize_t got = bytes ? pread(fd, bytes, length, (off_t)offset) : -1;
	close(fd);
	if (got < 0) {
		snprintf(r->error, sizeof r->error, "step %d: pread %s: %s", st->number, path, strerror(errno));
		free(bytes);
		return false;
	}
	str_printf(&o->result, "{\"bytes\":[");
	for (ssize_t i = 0; i < got; i++)
		str_printf(&o->result, "%s%u", i ? "," : "", bytes[i]);
	str_printf(&o->result, "]}");
	free(bytes);
	return true;
}

/* pipe <name>: a FIFO in the pipes directory, owned by the case's uid, held open by the master. */
static bool step_pipe(struct run *r, const struct step *st, struct outcome *o)
{
	char path[256];
	snprintf(path, sizeof path, PIPES_DIR "/%.200s", st->tok[1]);
	if (r->npipes == MAX_PIPES) {
		snprintf(r->error, sizeof r->error, "step %d: more than %d pipes", st->number, MAX_PIPES);
		return false;
	}
	if (mkfifo(path, 0600) != 0 || chown(path, (uid_t)r->prog->uid, (gid_t)r->prog->uid) != 0) {
		snprintf(r->error, sizeof r->error, "step %d: cannot create FIFO %s: %s", st->number, path,
			 strerror(errno));
		return false;
	}
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(r->error, sizeof r->error, "step %d: cannot open FIFO %s: %s", st->number, path,
			 strerror(errno));
		return false;
	}
	r->pipe_fds[r->npipes++] = fd;
	str_printf(&o->result, "{}");
	return true;
}

static bool run_step(struct run *r, const struct step *st, struct outcome *o)
{
	if (strcmp(st->tok[0], "pipe") == 0)
		return step_pipe(r, st, o);
	const char *kind = st->tok[0];
	if (strcmp(kind, "spawn") == 0)
		return step_spawn(r, st, o);
	if (strcmp(kind, "fork") == 0)
		return step_fork(r, st, o);
	if (strcmp(kind, "exit") == 0)
		return step_exit(r, st, o);
	if (strcmp(kind, "file") == 0)
		return step_file(r, st, o);
	if (strcmp(kind, "read_file") == 0)
		return step_read_file(r, st, o);
	if (strcmp(kind, "ftruncate") == 0)
		return step_ftruncate(r, st, o);
	if (strcmp(kind, "sigaction") == 0)
		return step_sigaction(r, st, o);
	if (strcmp(kind, "sigprocmask") == 0)
		return step_sigprocmask(r, st, o);
	if (strcmp(kind, "mark") == 0) {
		str_printf(&o->result, "{}");
		return true;
	}
	return step_in_task(r, st, o);
}

/* ---- watches ------------------------------------------------------- */

static int kpageflags_fd = -1, kpagecount_fd = -1;

static bool pread_u64(int fd, uint64_t index, uint64_t *out)
{
	return fd >= 0 && pread(fd, out, sizeof *out, (off_t)(index * sizeof *out)) == (ssize_t)sizeof *out;
}

static void append_page_state(struct str *s, pid_t pid, uint64_t vaddr)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t entry = 0;
	bool ok = pread_u64(fd, vaddr / PAGE, &entry);
	int saved = errno;
	if (fd >= 0)
		close(fd);
	/* The task is alive: a pagemap that cannot be read is the probe's failure, never "not present". */
	if (!ok) {
		str_printf(s, "{\"state\":\"error\",\"why\":\"reading %s failed: %s\"}", path, strerror(saved));
		return;
	}
	if (!(entry & (PM_PRESENT | PM_SWAP))) {
		str_printf(s, "{\"state\":\"none\"}");
		return;
	}
	if (!(entry & PM_PRESENT)) {
		str_printf(s, "{\"state\":\"swap\"}");
		return;
	}
	uint64_t pfn = entry & PM_PFN_MASK, flags = 0, count = 0;
	if (!pread_u64(kpageflags_fd, pfn, &flags) || !pread_u64(kpagecount_fd, pfn, &count)) {
		str_printf(s, "{\"state\":\"error\",\"why\":\"reading /proc/kpageflags or /proc/kpagecount for pfn %llu failed: %s\"}",
			   (unsigned long long)pfn, strerror(errno));
		return;
	}
	str_printf(s, "{\"state\":\"present\",\"pfn\":%llu,\"zero\":%s,\"mapcount\":%llu}", (unsigned long long)pfn,
		   (flags >> KPF_ZERO_PAGE) & 1 ? "true" : "false", (unsigned long long)count);
}

static void append_pages(struct run *r, struct str *s)
{
	str_printf(s, "[");
	for (int i = 0; i < r->prog->nwatches; i++) {
		const struct watch *w = &r->prog->watches[i];
		struct task *t = find_task(r, w->task);
		uint64_t addr;
		if (i)
			str_printf(s, ",");
		if (!t || !t->alive || !resolve_address(r, w->addr, &addr))
			str_printf(s, "{\"state\":\"unknown\"}");
		else
			append_page_state(s, t->pid, addr);
	}
	str_printf(s, "]");
}

/* ---- case lifecycle ---------------------------------------------------- */

static void emit_case_error(const struct program *p, const char *what)
{
	struct str s = { 0 };
	str_printf(&s, "{\"case\":");
	str_json_string(&s, p->id);
	str_printf(&s, ",\"error\":");
	str_json_string(&s, what);
	str_printf(&s, "}");
	emit_line(&s);
	console_note("probe: case %s: error: %s", p->id, what);
}

static void emit_step_line(struct run *r, const struct step *st, struct outcome *o)
{
	struct str s = { 0 };
	str_printf(&s, "{\"case\":");
	str_json_string(&s, r->prog->id);
	str_printf(&s, ",\"step\":%d,\"op\":", st->number);
	str_json_string(&s, st->tok[0]);
	str_printf(&s, ",\"result\":%s,\"minflt\":", o->result.p ? o->result.p : "{}");
	if (o->has_minflt)
		str_printf(&s, "%ld", o->minflt);
	else
		str_printf(&s, "null");
	str_printf(&s, ",\"pages\":");
	append_pages(r, &s);
	str_printf(&s, "}");
	emit_line(&s);
}

static void remove_dir_contents(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char path[PATH_MAX];
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

/* SIGKILLs every process of the case, reaps them all, removes its files. */
static void end_case(struct run *r)
{
	for (int i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];
		if (t->spawned && t->pid > 0)
			kill(-t->pid, SIGKILL);
		if (t->alive && t->pid > 0)
			kill(t->pid, SIGKILL);
	}
	int64_t deadline = now_ms() + REPLY_TIMEOUT_MS;
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p < 0 && errno == ECHILD)
			break;
		if (p > 0)
			continue;
		if (now_ms() > deadline) {
			console_note("probe: case %s: processes survived SIGKILL", r->prog->id);
			break;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < r->ntasks; i++) {
		struct task *t = &r->tasks[i];
		if (t->pidfd >= 0)
			close(t->pidfd);
		if (t->cmd_fd >= 0)
			close(t->cmd_fd);
		if (t->rep_fd >= 0)
			close(t->rep_fd);
	}
	for (int i = 0; i < r->nlabels; i++)
		free(r->labels[i].name);
	for (int i = 0; i < r->npipes; i++)
		close(r->pipe_fds[i]);
	remove_dir_contents(FIFO_DIR);
	remove_dir_contents(FILES_DIR);
	remove_dir_contents(SCRATCH_DIR);
	remove_dir_contents(PIPES_DIR);
}

/* ---- transparent huge pages ---------------------------------------------- */

static bool write_setting(const char *path, const char *value, char *error, size_t size)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);
	bool ok = fd >= 0 && write(fd, value, n) == (ssize_t)n;
	if (!ok)
		snprintf(error, size, "cannot write %s to %s: %s", value, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * THP as a case asks for it. hugepage_init cleared every flag at boot (the VM has less than 512 MiB), so
 * "always" sets what the simulator models: enabled; the huge zero page for reads (use_zero_page 1); no
 * reclaim or compaction at fault time (defrag never: GFP_TRANSHUGE_LIGHT — no free 2 MiB block, a 4 KiB
 * page); and a khugepaged that cannot collapse what a case builds (max_ptes_none, _swap and _shared 0: only
 * a block whose 512 PTEs all map exclusive, present pages qualifies). Memory is compacted first, so that
 * free 2 MiB blocks exist as they do in the simulator's fresh machine. "never" puts enabled back.
 */
static bool set_thp(bool on, char *error, size_t size)
{
	static const char *const DIR_ = "/sys/kernel/mm/transparent_hugepage";
	char path[PATH_MAX];
	if (!on) {
		snprintf(path, sizeof path, "%s/enabled", DIR_);
		return write_setting(path, "never", error, size);
	}
	static const char *const SETTINGS[][2] = {
		{ "use_zero_page", "1" },
		{ "defrag", "never" },
		{ "khugepaged/max_ptes_none", "0" },
		{ "khugepaged/max_ptes_swap", "0" },
		{ "khugepaged/max_ptes_shared", "0" },
		{ "enabled", "always" },
	};
	for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", DIR_, SETTINGS[i][0]);
		if (!write_setting(path, SETTINGS[i][1], error, size))
			return false;
	}
	return write_setting("/proc/sys/vm/compact_memory", "1", error, size);
}

static void run_program(struct program *p)
{
	struct str start = { 0 };
	str_printf(&start, "{\"case\":");
	str_json_string(&start, p->id);
	str_printf(&start, ",\"start\":true,\"uid\":%llu,\"thp\":\"%s\"}", (unsigned long long)p->uid,
		   p->thp ? "always" : "never");
	emit_line(&start);
	if (p->error[0]) {
		emit_case_error(p, p->error);
		return;
	}
	if (p->thp && !set_thp(true, p->error, sizeof p->error)) {
		emit_case_error(p, p->error);
		set_thp(false, p->error, sizeof p->error);
		return;
	}
	struct run *r = calloc(1, sizeof *r);
	r->prog = p;
	remove_dir_contents(FILES_DIR);
	chown(FILES_DIR, (uid_t)p->uid, (gid_t)p->uid);
	bool failed = false;
	for (int i = 0; i < p->nsteps && !failed; i++) {
		/* A handler siglongjmp'd: the steps up to its mark do not run. */
		if (r->jump_mark) {
			if (strcmp(p->steps[i].tok[0], "mark") != 0 || strcmp(p->steps[i].tok[1], r->jump_mark) != 0)
				continue;
			r->jump_mark = NULL;
		}
		struct outcome o = { 0 };
		if (run_step(r, &p->steps[i], &o))
			emit_step_line(r, &p->steps[i], &o);
		else {
			emit_case_error(p, r->error);
			failed = true;
		}
		str_free(&o.result);
	}
	if (!failed && r->jump_mark) {
		snprintf(r->error, sizeof r->error, "a handler jumped to mark %s, which no later step is", r->jump_mark);
		emit_case_error(p, r->error);
		failed = true;
	}
	if (!failed) {
		struct str done = { 0 };
		str_printf(&done, "{\"case\":");
		str_json_string(&done, p->id);
		str_printf(&done, ",\"done\":true}");
		emit_line(&done);
	}
	end_case(r);
	free(r);
	if (p->thp && !set_thp(false, p->error, sizeof p->error))
		console_note("probe: case %s: %s", p->id, p->error);
}

/* "/cases/003-some-id.txt" → "some-id" */
static char *id_from_file_name(const char *name)
{
	const char *dash = strchr(name, '-');
	const char *from = dash ? dash + 1 : name;
	char *id = strdup(from);
	char *dot = strrchr(id, '.');
	if (dot)
		*dot = '\0';
	return id;
}

static int select_regular(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static void run_all_cases(void)
{
	struct dirent **names;
	int n = scandir(CASES_DIR, &names, select_regular, alphasort);
	if (n < 0) {
		console_note("probe: no %s directory", CASES_DIR);
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, CASES_DIR "/%s", names[i]->d_name);
		struct stat sb;
		char *text = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? read_text_file(path, NULL) : NULL;
		if (text) {
			char *fallback = id_from_file_name(names[i]->d_name);
			struct program p;
			parse_program(&p, text, fallback);
			console_note("probe: case %s", p.id);
			run_program(&p);
			free_program(&p);
			free(fallback);
		}
		free(names[i]);
	}
	free(names);
}

static void power_off(void)
{
	if (output_fd > 2)
		tcdrain(output_fd);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static int master_main(void)
{
	signal(SIGPIPE, SIG_IGN);
	mount_filesystems();
	open_output();
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	kpagecount_fd = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
	emit_boot_line();
	run_all_cases();
	console_note("probe: all cases done");
	power_off();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[0], PUPPET_ARGV0) == 0)
		return puppet_main(argv[1], argv[2]);
	if (getpid() != 1) {
		fprintf(stderr, "usage: this is the initramfs's /init (pid 1); it runs the programs in " CASES_DIR
				"\n");
		return 2;
	}
	return master_main();
}
