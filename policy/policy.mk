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
POLICY_INCS := $(wildcard policy/*.inc)
# A binary carries the thread roles and the policies of its own devices only.
PROFILE_POLICIES := policy/main.policy policy/vcpu.policy \
	$(if $(filter 1,$(HAS_CTL)),policy/ctl.policy) \
	$(wildcard $(foreach d,$(DEVICES),policy/dev_$(d).policy))
# Rewritten only when the set of policy files changes, so removing one
# regenerates the C files too.
POLICY_LIST := build/host/policy-files.list

$(POLICY_COMPILE): policy/compile.c policy/policy.h | $(SETUP)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CFLAGS_COMMON) -Ipolicy -o $@ $< -lseccomp

$(POLICY_LIST): FORCE
	@mkdir -p $(dir $@)
	@echo "$(POLICY_FILES)" | cmp -s - $@ || echo "$(POLICY_FILES)" > $@

$(B)/policies.c: $(POLICY_COMPILE) $(PROFILE_POLICIES) $(POLICY_INCS) $(B)/.profile
	@mkdir -p $(dir $@)
	$(POLICY_COMPILE) -o $@ $(PROFILE_POLICIES)

$(B)/policies-debug.c: $(POLICY_COMPILE) $(PROFILE_POLICIES) $(POLICY_INCS) $(B)/.profile
	@mkdir -p $(dir $@)
	$(POLICY_COMPILE) --debug -o $@ $(PROFILE_POLICIES)

.PHONY: policy-check
policy-check: $(POLICY_COMPILE)
	$(POLICY_COMPILE) --check $(POLICY_FILES)
