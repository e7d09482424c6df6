/*
 * monitor/kvm/kvm.h - the KVM room: the system and VM fds, capabilities, the
 * in-kernel irqchip and PIT (kvm.c), vCPU threads and their CPUID and run
 * loop (vcpu.c), exit dispatch (exit.c). It may call devhost/ (a trapped
 * access into a device or its process), boot/ (a vCPU's entry state),
 * jail/ (a vCPU thread's filter) and core/.
 */
#ifndef WISP_KVM_H
#define WISP_KVM_H

#include "core/vm.h"

/* kvm.c: open /dev/kvm, check API and capabilities, create the VM, register
 * guest RAM (vm->mem, already initialised). The irqchip comes after the
 * devices are constructed: memslots they map (MMIO2) are cheap before it. */
int kvm_open_vm(struct vm *vm);
void kvm_create_irqchip(struct vm *vm);
/* vcpu.c */
int vcpu_create(struct vm *vm, unsigned idx);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpus_halt_check(struct vm *vm);
/* Give vm->mem its writers hook: while it unmaps a tracked MMIO2 slot, no
 * vCPU is inside KVM_RUN (the holder kicks them out and waits). */
void vcpus_hold_init(struct vm *vm);
/* pause.c (main thread): hold every vCPU out of KVM_RUN and every device
 * process still, or let them go; 0 once the VM is in that state, or
 * -ESHUTDOWN (stopping), -EOPNOTSUPP (a device worker thread). A kicked
 * vCPU parks in vcpu_park; vcpus_unpark wakes parked ones (at stop too). */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
void vcpu_park(struct vcpu *v);
void vcpus_unpark(struct vm *vm);
/* exit.c: one exit of a vCPU; returns false when the VM must stop. */
bool exit_dispatch(struct vcpu *v);
/* io dispatch shared with the benchmark and tests */
void io_dispatch(struct vm *vm, struct iobus *bus, uint64_t addr, void *data,
		 unsigned size, bool is_write);
void mmio_dispatch(struct vm *vm, uint64_t addr, void *data, unsigned size,
		   bool is_write);

#endif
