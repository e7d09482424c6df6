/*
 * devices/hvt_abi.h - the Solo5 hvt guest ABI (x86-64), version 2, as wisp
 * implements it: ELF notes, the application manifest, the boot info, the
 * hypercall ports and argument structs, the shared net ring. Written from
 * the facts in the project's ABI reference, not from Solo5's headers.
 *
 * Shared by the monitor (loader, CLI), the hvt devices, the build-time
 * manifest reader and the test unikernels (freestanding: only stdint).
 * All integers little-endian; every struct is 8-byte aligned and padded to
 * a multiple of 8, and the _Static_asserts pin every size the ABI fixes.
 */
#ifndef WISP_HVT_ABI_H
#define WISP_HVT_ABI_H

#include <stdint.h>

/* --- ELF notes (read from PT_NOTE program headers only) --- */
#define HVT_NOTE_NAME "Solo5"      /* n_namesz 6, padded to 8 */
#define HVT_NOTE_NAMESZ 6
#define HVT_NOTE_HDR 20            /* namesz, descsz, type, name[8] */
#define HVT_NOTE_ABI 0x31494241u   /* "ABI1" */
#define HVT_NOTE_MFT 0x3154464du   /* "MFT1" */
#define HVT_NOTE_ABI_ALIGN 4
#define HVT_NOTE_MFT_ALIGN 8
#define HVT_NOTE_ABI_MAX 32
#define HVT_ABI_TARGET 1           /* hvt */
#define HVT_ABI_VERSION 2

struct hvt_abi_note {
	uint32_t target, version, reserved0, reserved1;
};

/* --- the application manifest --- */
#define MFT_VERSION 1
#define MFT_MAX_ENTRIES 64         /* including the reserved entry 0 */
#define MFT_NAME_SIZE 68           /* NUL-terminated, 1..67 characters */
#define MFT_DEV_BLOCK_BASIC 1u
#define MFT_DEV_NET_BASIC 2u
#define MFT_RESERVED_FIRST 0x40000000u

struct mft_block_basic {
	uint64_t capacity;         /* bytes */
	uint16_t block_size;
	uint8_t pad[6];
};

struct mft_net_basic {
	uint8_t mac[6];
	uint16_t mtu;
	uint8_t pad[8];
};

struct mft_entry {
	char name[MFT_NAME_SIZE];
	uint32_t type;
	union {
		struct mft_block_basic block_basic;
		struct mft_net_basic net_basic;
	} u;
	uint64_t hostfd;           /* host-private; wisp leaves it 0 */
	uint8_t attached;          /* 0 in the ELF; set by the host */
	uint8_t pad[7];
};

struct mft {
	uint32_t version;
	uint32_t entries;
	struct mft_entry e[];
};

#define MFT_SIZE(n) (8u + 104u * (n))
#define HVT_NOTE_MFT_MAX MFT_SIZE(MFT_MAX_ENTRIES) /* 6,664 + 4 of padding */

_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry");
_Static_assert(sizeof(struct mft) == 8, "mft");

/* --- guest-physical layout --- */
#define HVT_GDT_BASE 0x1000ull
#define HVT_PML4 0x2000ull
#define HVT_PDPT 0x3000ull
#define HVT_PD0 0x4000ull          /* four page directories, one per GiB */
#define HVT_PT0 0x8000ull          /* 4 KiB page table of the first 2 MiB */
#define HVT_BOOT_INFO 0x10000ull
#define HVT_MFT_BASE (HVT_BOOT_INFO + 56)
#define HVT_CMDLINE_SIZE 8192
#define HVT_GUEST_MIN_BASE 0x100000ull
#define HVT_PAGE_2M (2ull << 20)
#define HVT_MEM_MAX (4ull << 30)
#define HVT_MEM_DEFAULT_MIB 512

struct hvt_boot_info {
	uint64_t mem_size;         /* guest-usable RAM, excludes the ring */
	uint64_t kernel_end;
	uint64_t cpu_cycle_freq;   /* TSC Hz */
	uint64_t cmdline;          /* GPA */
	uint64_t mft;              /* GPA */
	uint32_t host_features;    /* HVT_FEATURE_RING_IO */
	uint32_t guest_features;
	uint64_t net_ring;         /* GPA or 0 */
};
_Static_assert(sizeof(struct hvt_boot_info) == 56, "boot info");

#define HVT_FEATURE_RING_IO (1u << 0)

/* --- hypercalls: a 32-bit OUT of the argument struct's GPA --- */
#define HVT_PIO_BASE 0x500
enum hvt_hc {
	HVT_HC_WALLTIME = 1,
	HVT_HC_PUTS = 2,
	HVT_HC_POLL = 3,
	HVT_HC_BLOCK_WRITE = 4,
	HVT_HC_BLOCK_READ = 5,
	HVT_HC_NET_WRITE = 6,
	HVT_HC_NET_READ = 7,
	HVT_HC_HALT = 8,
	HVT_HC_MAX = 9,
};
#define HVT_RING_KICK_PORT 0x600

enum hvt_result {
	HVT_R_OK = 0,
	HVT_R_AGAIN = 1,
	HVT_R_EINVAL = 2,
	HVT_R_EUNSPEC = 3,
};

struct hvt_hc_walltime {
	uint64_t nsecs;
};

struct hvt_hc_puts {
	uint64_t data, len;
};

struct hvt_hc_poll {
	uint64_t timeout_nsecs;
	uint64_t ready_set;
	int32_t ret;
	uint32_t pad;
};

/* BLOCK_WRITE and BLOCK_READ share one layout. */
struct hvt_hc_block {
	uint64_t handle, offset, data, len;
	int32_t ret;
	uint32_t pad;
};

/* NET_WRITE and NET_READ share one layout (NET_READ's len is in/out). */
struct hvt_hc_net {
	uint64_t handle, data, len;
	int32_t ret;
	uint32_t pad;
};

struct hvt_hc_halt {
	uint64_t cookie;           /* GPA of HVT_HALT_COOKIE_MAX bytes, or 0 */
	int32_t exit_status;
	uint32_t pad;
};
#define HVT_HALT_COOKIE_MAX 512

_Static_assert(sizeof(struct hvt_hc_poll) == 24, "poll");
_Static_assert(sizeof(struct hvt_hc_block) == 40, "block");
_Static_assert(sizeof(struct hvt_hc_net) == 32, "net");
_Static_assert(sizeof(struct hvt_hc_halt) == 16, "halt");

/* --- the shared net ring (host feature bit 0) --- */
#define HVT_RING_ENTRIES 1024u
#define HVT_RING_MASK (HVT_RING_ENTRIES - 1)
#define HVT_RING_OP_WRITE 1u
#define HVT_RING_OP_READ 2u

struct hvt_ring_entry {
	uint32_t operation, handle;
	uint64_t data;
	uint32_t len, id;
	uint64_t reserved;
};

struct hvt_ring_commit {
	uint32_t id;
	int32_t ret;
	uint32_t len, reserved;
};

struct hvt_ring {
	uint32_t ent_tail, com_head;       /* guest */
	uint8_t pad0[56];
	uint32_t ent_head, com_tail;       /* host */
	uint32_t needs_kick;
	uint8_t pad1[52];
	struct hvt_ring_entry entries[HVT_RING_ENTRIES];
	struct hvt_ring_commit commits[HVT_RING_ENTRIES];
};
_Static_assert(sizeof(struct hvt_ring) == 49280, "ring");

#endif
