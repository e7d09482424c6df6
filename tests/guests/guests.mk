# Test guests (tests/guests/), built freestanding. Output: build/guests/.
#   long mode, C:   <name>.c + start.S + lib.c (+ GUEST_EXTRA_<name>)
#   long mode, asm: <name>.S alone, its own _start
#   real mode:      <name>.S, .code16, ELF32 at 0x10000
GUEST_DIR := build/guests
GUEST_SRC := tests/guests
GUEST_OBJ := $(GUEST_DIR)/obj

GUESTS_C := hello pio mmio uart_irq smp flood status bench poke doorbell dirty fb dirtybench rom \
	platform slowcon pci edu nvme count bars
GUESTS_ASM := triple hlt spin mark idle
GUESTS_REAL := real16
GUEST_EXTRA_uart_irq := isr idt
GUEST_EXTRA_pci := isr idt
GUEST_EXTRA_edu := isr idt
GUEST_EXTRA_nvme := isr idt

GUEST_CC := gcc
GUEST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -nostdlib -static -no-pie -fno-pic -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -O2 -fno-tree-vectorize \
	-fno-builtin -fno-asynchronous-unwind-tables -fcf-protection=none
GUEST_LD := ld
GUEST_LDFLAGS := -static -nostdlib --no-dynamic-linker -z noexecstack
GUEST_HDRS := $(GUEST_SRC)/guest.h

GUEST_ELFS := $(patsubst %,$(GUEST_DIR)/%.elf,$(GUESTS_C) $(GUESTS_ASM) \
	$(GUESTS_REAL))
guests: $(GUEST_ELFS)

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.c $(GUEST_HDRS)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -c $< -o $@

$(GUEST_OBJ)/real16/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 -c $< -o $@

guest_objs = $(patsubst %,$(GUEST_OBJ)/%.o,start $(1) lib $(GUEST_EXTRA_$(1)))

define guest_c_rule
$(GUEST_DIR)/$(1).elf: $(call guest_objs,$(1)) $(GUEST_SRC)/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GUEST_SRC)/guest.ld -o $$@ \
		$(call guest_objs,$(1))
endef
$(foreach g,$(GUESTS_C),$(eval $(call guest_c_rule,$(g))))

$(patsubst %,$(GUEST_DIR)/%.elf,$(GUESTS_ASM)): $(GUEST_DIR)/%.elf: \
		$(GUEST_OBJ)/%.o $(GUEST_SRC)/guest.ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T $(GUEST_SRC)/guest.ld -o $@ $<

$(patsubst %,$(GUEST_DIR)/%.elf,$(GUESTS_REAL)): $(GUEST_DIR)/%.elf: \
		$(GUEST_OBJ)/real16/%.o $(GUEST_SRC)/real16.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T $(GUEST_SRC)/real16.ld \
		-o $@ $<
