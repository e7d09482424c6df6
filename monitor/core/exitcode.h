/*
 * monitor/core/exitcode.h - wisp's exit statuses. The README's table is this file.
 *
 * Ranges keep the guest's status apart from wisp's own:
 *   0..63     the guest's own status (debug-exit port), or 0 when the guest
 *             asked for a reset/power-off
 *   64..79    wisp's own errors (values follow sysexits.h where one fits)
 *   128+N     wisp was ended by signal N after an orderly stop (SIGINT 130,
 *             SIGTERM 143)
 * Every wisp error also prints one line on stderr starting with "wisp: ".
 */
#ifndef WISP_EXITCODE_H
#define WISP_EXITCODE_H

enum wisp_exit {
	WISP_EXIT_OK = 0,
	WISP_EXIT_GUEST_MAX = 63,    /* highest status a guest can report */
	WISP_EXIT_USAGE = 64,        /* bad CLI: option, number, device spec */
	WISP_EXIT_IMAGE = 65,        /* guest image is malformed or does not fit */
	WISP_EXIT_NOINPUT = 66,      /* a named file is missing or unreadable */
	WISP_EXIT_GUEST_RANGE = 67,  /* guest reported a status above 63 */
	WISP_EXIT_GUEST_PANIC = 68,  /* the guest kernel panicked (pvpanic) */
	WISP_EXIT_KVM = 69,          /* /dev/kvm unusable: API or capability */
	WISP_EXIT_INTERNAL = 70,     /* wisp invariant failed (a wisp bug) */
	WISP_EXIT_OSERR = 71,        /* a host system call failed */
	WISP_EXIT_HLT = 72,          /* guest halted with no way to wake */
	WISP_EXIT_TRIPLE_FAULT = 73, /* KVM_EXIT_SHUTDOWN */
	WISP_EXIT_FAIL_ENTRY = 75,   /* KVM_EXIT_FAIL_ENTRY */
	WISP_EXIT_KVM_INTERNAL = 76, /* KVM_EXIT_INTERNAL_ERROR (e.g. emulation) */
	WISP_EXIT_UNKNOWN_EXIT = 77, /* an exit reason wisp does not handle */
	WISP_EXIT_DEVICE = 78,       /* a device failed to construct or broke */
	WISP_EXIT_GUEST_ABI = 74,    /* guest broke its ABI (hvt: bad pointer,
					unclaimed port, bad hypercall) */
	WISP_EXIT_SANDBOX = 79,      /* a sandboxed device process died, hung
				      * or asked for what it does not own */
	WISP_EXIT_GUEST_REBOOT = 80, /* the guest asked for a reboot (i8042 or
				      * ACPI reset, KVM's reset event): not an
				      * error; an orchestrator may start it
				      * again */
	WISP_EXIT_SIGNAL_BASE = 128,
};

#endif
