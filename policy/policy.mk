# Seccomp policies (policy/policy.h). Each policy/<role>.policy is compiled at
# build time by a host tool linked with libseccomp into $(B)/policies.c (and
# $(B)/policies-debug.c for the trapping debug build); wisp itself never links
# libseccomp. The generated files include "policy.h": compile them with
# -Ipolicy.
#   make policy-check    each role's syscalls, pseudo-code and raw BPF; fails
#                        on more than 25 syscalls, an ioctl rule without a
#                        request (a1) condition, or mmap/mprotect allowing
#                        PROT_EXEC
POLICY_COMPILE := build/host/policy-compile
POLICY_FILES := $(sort $(wildcard policy/*.policy))
# Rewritten only when the set of policy files changes, so removing one
# regenerates the C files too.
POLICY_LIST := build/host/policy-files.list

$(POLICY_COMPILE): policy/compile.c policy/policy.h | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -Ipolicy -o $@ $< -lseccomp

$(POLICY_LIST): FORCE
	@mkdir -p $(dir $@)
	@echo "$(POLICY_FILES)" | cmp -s - $@ || echo "$(POLICY_FILES)" > $@

$(B)/policies.c: $(POLICY_COMPILE) $(POLICY_FILES) $(POLICY_LIST)
	@mkdir -p $(dir $@)
	$(POLICY_COMPILE) -o $@ $(POLICY_FILES)

$(B)/policies-debug.c: $(POLICY_COMPILE) $(POLICY_FILES) $(POLICY_LIST)
	@mkdir -p $(dir $@)
	$(POLICY_COMPILE) --debug -o $@ $(POLICY_FILES)

.PHONY: policy-check
policy-check: $(POLICY_COMPILE)
	$(POLICY_COMPILE) --check $(POLICY_FILES)
