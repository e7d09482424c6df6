/* tests/hvt/bad.c - built in variants (-DABI_VER=3, -DNO_ABI_NOTE,
 * -DMFT_VERSION_USED=2, ...) whose notes wisp must refuse before loading;
 * if one ever runs, it says so and fails. */
#include "hvtlib.h"

#ifdef MFT_ATTACHED
HVT_MANIFEST(1, { .name = "disk", .type = MFT_DEV_BLOCK_BASIC, .attached = 1 });
#elif defined(MFT_BADNAME)
HVT_MANIFEST(1, MFT_BLOCK("d-1"));
#elif defined(MFT_BADTYPE)
HVT_MANIFEST(1, { .name = "x", .type = 7 });
#else
HVT_MANIFEST(0);
#endif

int hvt_main_test(void)
{
	hvt_puts("a malformed unikernel ran\n");
	return 1;
}
