#!/usr/bin/env python3
"""fuzz/gen_seeds.py - write the seed corpora fuzz/corpus/<dev>/.

Not part of the build: run it by hand after changing the op encoding in
fuzz/fuzz_hlp.h (fuzz_run) and commit the files it writes. Each seed is a
short guest session that reaches one of the device's main paths, so the
fuzzer starts from inputs that already get past the easy checks.
"""
import os
import struct

OP_PIO_W, OP_PIO_R, OP_MMIO_W, OP_MMIO_R, OP_INPUT, OP_CLOCK, OP_RESET, \
    OP_MEM, OP_TIMER = range(9)
LOG2 = {1: 0, 2: 1, 4: 2, 8: 3}


class Seq:
    """Encodes ops as fuzz_run decodes them for a target's windows."""

    def __init__(self, pio_base, mmio_base=0):
        self.pio_base, self.mmio_base, self.b = pio_base, mmio_base, b""

    def _pio(self, op, addr, size):
        off = addr - self.pio_base + 4  # window starts 4 below the base
        assert 0 <= off < 64
        self.b += bytes([op, LOG2[size] << 6 | off])

    def pio_w(self, addr, val, size=1):
        self._pio(OP_PIO_W, addr, size)
        self.b += val.to_bytes(size, "little")
        return self

    def pio_r(self, addr, size=1):
        self._pio(OP_PIO_R, addr, size)
        return self

    def _mmio(self, op, off, size):
        self.b += bytes([op, LOG2[size] << 6]) + struct.pack("<H", off + 8)

    def mmio_w(self, off, val, size):
        self._mmio(OP_MMIO_W, off, size)
        self.b += val.to_bytes(size, "little")
        return self

    def mmio_r(self, off, size):
        self._mmio(OP_MMIO_R, off, size)
        return self

    def input(self, data):
        assert len(data) < 64
        self.b += bytes([OP_INPUT, len(data)]) + data
        return self

    def clock(self, ns):
        self.b += bytes([OP_CLOCK]) + struct.pack("<I", ns)
        return self

    def reset(self):
        self.b += bytes([OP_RESET])
        return self

    def mem(self, gpa, data):
        self.b += bytes([OP_MEM]) + struct.pack("<HB", gpa, len(data)) + data
        return self

    def timer(self, tid):
        self.b += bytes([OP_TIMER, tid])
        return self


def uart_seeds():
    p = 0x3f8
    thr, ier, iir, lcr, mcr, lsr, msr = p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6
    s = {}
    q = Seq(p).pio_w(lcr, 0x80).pio_w(p, 0x01).pio_w(ier, 0).pio_w(lcr, 0x03)
    q.pio_w(iir, 0xc7).pio_w(mcr, 0x0b).pio_w(ier, 0x0f)
    q.pio_r(iir).pio_r(lsr).pio_r(msr)
    for c in b"hello\n":
        q.pio_w(thr, c)
    s["linux_init"] = q.pio_r(iir).pio_r(iir).b
    q = Seq(p).pio_w(iir, 0x81).pio_w(ier, 0x01).pio_w(mcr, 0x08)
    q.input(b"abc").pio_r(iir).clock(1000000).pio_r(iir)
    s["rx_timeout"] = q.pio_r(p).pio_r(p).pio_r(p).pio_r(iir).pio_r(lsr).b
    q = Seq(p).pio_w(iir, 0x01).pio_w(mcr, 0x1f).pio_r(msr)
    for i in range(20):
        q.pio_w(thr, 0x40 + i)
    q.pio_w(ier, 0x05).pio_r(iir).pio_r(lsr).pio_r(iir)
    for _ in range(16):
        q.pio_r(p)
    s["loopback_overrun"] = q.pio_w(mcr, 0x0b).pio_r(msr).pio_r(msr).b
    q = Seq(p).pio_w(ier, 0x03).pio_w(mcr, 0x08)
    q.input(b"the quick brown fox jumps over the lazy dog")
    for _ in range(10):
        q.pio_r(iir).pio_r(p)
    s["nofifo_input"] = q.pio_r(p, 2).pio_r(p, 8).pio_w(p, 0x4142, 2).b
    q = Seq(p).pio_w(ier, 0x02).pio_w(mcr, 0x08).pio_r(iir).reset()
    q.pio_r(iir).pio_r(lsr).timer(0).pio_r(p - 2, 4).pio_r(p + 7, 2)
    s["reset_edges"] = q.pio_w(p + 7, 0x5a).pio_r(p + 7).b
    return s


def i8042_seeds():
    d, c = 0x60, 0x64
    s = {}
    q = Seq(d).pio_r(c).pio_w(c, 0xaa).pio_r(d).pio_w(c, 0x20).pio_r(d)
    q.pio_w(c, 0x60).pio_w(d, 0x65).pio_w(c, 0xa7).pio_w(c, 0x20).pio_r(d)
    q.pio_w(c, 0xa8).pio_w(c, 0xa9).pio_r(d).pio_w(c, 0xab).pio_r(d)
    q.pio_w(c, 0xd3).pio_w(d, 0x5a).pio_r(c).pio_r(d)
    s["linux_probe"] = q.pio_w(c, 0xad).pio_w(c, 0xae).pio_r(c).b
    s["reset_fe"] = Seq(d).pio_r(c).pio_w(c, 0xfe).b
    q = Seq(d).pio_w(c, 0xd0).pio_r(d).pio_w(c, 0xd1).pio_w(d, 0x03)
    s["reset_outport"] = q.pio_w(c, 0xd1).pio_w(d, 0x02).b
    q = Seq(d).pio_w(d, 0xff).pio_r(c).pio_w(c, 0xd4).pio_w(d, 0xf4)
    s["no_devices"] = q.pio_r(c).pio_w(c, 0xd2).pio_w(d, 0xaa).pio_r(d).b
    q = Seq(d).pio_w(c, 0x25).pio_r(d).pio_w(c, 0x65).pio_w(d, 0x12)
    s["ram_edges"] = q.pio_w(c, 0x25).pio_r(d).pio_r(d, 2).pio_w(c - 1, 0xfe, 2).b
    return s


def debug_exit_seeds():
    p = 0xf4
    return {
        "exit_0": Seq(p).pio_w(p, 0).b,
        "exit_word": Seq(p).pio_r(p, 4).pio_w(p, 0x1234, 2).b,
        "exit_big": Seq(p).pio_w(p, 0xffffffff, 4).pio_w(p + 1, 7).b,
        "edges": Seq(p).pio_r(p - 2, 4).pio_w(p + 3, 1, 2).pio_w(p, 1, 8)
        .pio_w(p + 3, 9).reset().b,
    }


def pvpanic_seeds():
    p = 0x505
    return {
        "probe_panic": Seq(p).pio_r(p).pio_w(p, 1).b,
        "crash_loaded": Seq(p).pio_r(p).pio_w(p, 2).pio_w(p, 0).b,
        "edges": Seq(p).pio_r(p - 1).pio_r(p, 2).pio_w(p, 0x101, 2)
        .pio_w(p + 1, 1).pio_w(p, 0xfc).reset().pio_w(p, 0x85).b,
    }


def bootport_seeds():
    p = 0x80
    q = Seq(p)
    for i in range(8):
        q.pio_w(p, i * 0x21).clock(1234567 * (i + 1)).pio_r(p)
    return {
        "codes": q.b,
        "edges": Seq(p).pio_r(p).pio_w(p, 0x1234, 2).pio_w(p - 1, 1)
        .pio_w(p + 1, 2).pio_w(p, 0xaa).reset().pio_r(p).pio_r(p, 2).b,
    }


def rtc_seeds():
    i, d = 0x70, 0x71
    s = {}

    def reg_r(q, idx):
        return q.pio_w(i, idx).pio_r(d)

    def reg_w(q, idx, v):
        return q.pio_w(i, idx).pio_w(d, v)

    q = Seq(i)
    for idx in (0x0a, 0, 2, 4, 6, 7, 8, 9, 0x32, 0x0b, 0x0d, 0x0c):
        reg_r(q, idx)
    s["linux_read"] = q.b
    q = reg_w(Seq(i), 0x0b, 0x82)
    for idx, v in ((0, 0x59), (2, 0x59), (4, 0x23), (7, 0x31), (8, 0x12),
                   (9, 0x99), (0x32, 0x20)):
        reg_w(q, idx, v)
    reg_w(q, 0x0b, 0x02).clock(1500000000)
    s["set_time"] = reg_r(reg_r(q, 0), 9).b
    q = reg_w(Seq(i), 0x0b, 0x06)
    reg_w(reg_w(reg_w(q, 1, 0xc0), 3, 0xc0), 5, 0xc0)
    reg_w(q, 0x0b, 0x36).clock(1100000000).timer(0)
    s["alarm_uie"] = reg_r(reg_r(q, 0x0c), 0x0c).reset().b
    q = reg_w(Seq(i), 0x0b, 0x00)
    reg_r(reg_w(q, 4, 0x92), 4).clock(999800000)
    s["h12_uip"] = reg_r(reg_r(q, 0x0a), 0x0a).b
    q = Seq(i).pio_w(i, 0x8f).pio_r(i).pio_w(i, 0x5a20, 2).pio_r(i, 2)
    s["ram_nmi"] = reg_w(q, 0xff, 0x11).pio_r(d).pio_w(i, 0x11, 4).b
    return s


def testdev_seeds():
    p, base = 0xe0, 0xd0000000
    s = {}
    q = Seq(p, base)
    for _ in range(5):
        q.pio_w(p, 0, 4)
    s["counter"] = q.pio_r(p, 4).pio_r(p, 2).pio_r(p + 1).b
    q = Seq(p, base).pio_w(p + 4, 42).pio_w(p + 5, 1).pio_w(p + 5, 0)
    s["mark_irq"] = q.pio_w(p + 5, 2).pio_w(p + 5, 3).pio_r(p + 7).b
    q = Seq(p, base)
    for size, off in ((1, 0), (2, 0x10), (4, 0x20), (8, 0x28)):
        q.mmio_w(off, 0x1122334455667788 & ((1 << 8 * size) - 1), size)
        q.mmio_r(off, size)
    s["mmio_sizes"] = q.mmio_r(0xff8, 8).mmio_r(0xffc, 4).b
    q = Seq(p, base).mmio_w(3, 0xdeadbeef, 8).mmio_r(2, 4).mmio_r(1, 2)
    s["unaligned"] = q.mmio_r(0, 8).mmio_r(0xff8, 8).b
    q = Seq(p, base).mmio_r(-8, 8).mmio_w(0x1000, 1, 4).mmio_w(0xff8, 5, 8)
    q.mem(0x100, b"scratch").pio_w(p, 1, 4).reset().mmio_r(0xff8, 8)
    s["edges_reset"] = q.pio_r(p, 4).pio_r(p + 6, 2).b
    return s


def pci_seeds():
    """fuzz/pci_target.c ops: kind, arg, u16 register, u32 value."""
    def op(kind, arg, reg, val):
        return struct.pack("<BBHI", kind, arg, reg, val & 0xffffffff)

    def cfg_w(slot, reg, val, size=4, conf1=False):
        code = {1: 0, 2: 1, 4: 2}[size] << 2
        return op(0, (0xc0 if conf1 else 0x40) | code | slot, reg, val)

    def cfg_r(slot, reg, size=4):
        return op(0, ({1: 0, 2: 1, 4: 2}[size] << 2) | slot, reg, 0)

    def msix_w(fn, off, val):
        return op(1, 0x40 | (2 << 2) | fn, off, val)

    s = {}
    size = b"".join(cfg_w(1, 0x10 + 4 * b, 0xffffffff) + cfg_r(1, 0x10 + 4 * b)
                    for b in range(6))
    s["sizing"] = size + cfg_w(1, 0x10, 0xc0000000) + cfg_w(1, 4, 2, 2)
    move = cfg_w(1, 4, 6, 2) + cfg_w(1, 0x10, 0xc0100000)
    move += cfg_w(1, 0x10, 0x1000) + cfg_w(1, 0x10, 0xc0000000, conf1=True)
    s["move"] = move + cfg_w(1, 4, 0, 2) + cfg_w(2, 4, 2, 2)
    linux = cfg_w(1, 4, 6, 2) + cfg_w(1, 0x7e, 0xc000, 2)
    for v in range(8):
        linux += msix_w(0, 16 * v, 0xfee00000) + msix_w(0, 16 * v + 8, 0x40 + v)
        linux += msix_w(0, 16 * v + 12, 0)
    linux += cfg_w(1, 0x7e, 0x8000, 2)
    linux += b"".join(op(2, 0, v, 0) for v in range(9))
    linux += msix_w(0, 12, 1) + op(2, 0, 0, 0) + msix_w(0, 12, 0)
    s["msix_linux"] = linux + op(1, (2 << 2), 0x800, 0)
    caps = b"".join(cfg_r(1, r, 1) for r in range(0x34, 0x100, 1))
    s["caps_walk"] = caps + op(3, 0 | (2 << 3), 0, 0x80000800) + op(3, 4, 0, 7)
    return s


# virtio-pci (devices/virtio.h): BAR0 is the fuzz window (common config at
# 0, ISR 0x1000, device config 0x2000, doorbell 0x3000); rings as
# tests/unit/virtio_drv.h lays them out.
VQ_STATUS, VQ_NOTIFY = 0x14, 0x3000
VQ_WRITE, VQ_NEXT, VQ_INDIRECT = 2, 1, 4


def vq_ring(i):
    return 0x1000 + i * 0x3000


def virtio_setup(q, nq, feats_lo, qsize=8):
    """Reset, negotiate VERSION_1 plus feats_lo, set up nq queues, go."""
    q.mmio_w(VQ_STATUS, 0, 1).mmio_w(VQ_STATUS, 1, 1).mmio_w(VQ_STATUS, 3, 1)
    q.mmio_w(0x00, 0, 4).mmio_r(0x04, 4).mmio_w(0x00, 1, 4).mmio_r(0x04, 4)
    q.mmio_w(0x08, 0, 4).mmio_w(0x0c, feats_lo, 4)
    q.mmio_w(0x08, 1, 4).mmio_w(0x0c, 1, 4)
    q.mmio_w(VQ_STATUS, 0x0b, 1).mmio_r(VQ_STATUS, 1)
    for i in range(nq):
        base = vq_ring(i)
        q.mmio_w(0x16, i, 2).mmio_w(0x18, qsize, 2).mmio_w(0x1a, i + 1, 2)
        q.mmio_w(0x20, base, 4).mmio_w(0x24, 0, 4)
        q.mmio_w(0x28, base + 0x1000, 8)
        q.mmio_w(0x30, base + 0x2000, 4).mmio_w(0x34, 0, 4)
        q.mmio_w(0x1c, 1, 2)
    return q.mmio_w(0x10, 0, 2).mmio_w(VQ_STATUS, 0x0f, 1)


def vq_desc(q, table, i, addr, length, flags, nxt=0):
    return q.mem(table + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))


def vq_avail(q, qi, idx, heads):
    """The avail ring's first entries and its index (the driver's order:
    entries, then idx)."""
    av = vq_ring(qi) + 0x1000
    q.mem(av + 4, b"".join(struct.pack("<H", h) for h in heads))
    return q.mem(av, struct.pack("<HH", 0, idx))


def virtio_rng_seeds():
    s = {}
    q = virtio_setup(Seq(0, 0), 1, 0)
    vq_desc(q, vq_ring(0), 0, 0x8000, 64, VQ_WRITE)
    vq_desc(q, vq_ring(0), 1, 0x8100, 16, VQ_WRITE | VQ_NEXT, 2)
    vq_desc(q, vq_ring(0), 2, 0x8200, 16, VQ_WRITE)
    vq_avail(q, 0, 2, [0, 1])
    s["setup_fill"] = q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(0x1000, 1).b
    q = virtio_setup(Seq(0, 0), 1, 1 << 28)
    vq_desc(q, 0x9000, 0, 0x8000, 32, VQ_WRITE | VQ_NEXT, 1)
    vq_desc(q, 0x9000, 1, 0x8400, 32, VQ_WRITE)
    vq_desc(q, vq_ring(0), 0, 0x9000, 32, VQ_INDIRECT)
    vq_avail(q, 0, 1, [0])
    s["indirect"] = q.mmio_w(VQ_NOTIFY, 0, 4).mmio_r(0x15, 1).b
    q = virtio_setup(Seq(0, 0), 1, 0)
    vq_desc(q, vq_ring(0), 0, 0x8000, 8, VQ_WRITE | VQ_NEXT, 0)
    vq_avail(q, 0, 1, [0])
    q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(VQ_STATUS, 1).reset()
    virtio_setup(q, 1, 0)
    vq_desc(q, vq_ring(0), 0, 0x8000, 8, VQ_WRITE)
    vq_avail(q, 0, 1, [0])
    s["loop_reset"] = q.mmio_w(VQ_NOTIFY, 0, 2).b
    return s


def blk_req(q, slot, typ, sector, data_len, data_write, hdr=0x8000):
    """Header at hdr, data at 0x9000 + slot * 0x1000, status byte."""
    ring = vq_ring(0)
    q.mem(hdr + 0x20 * slot, struct.pack("<IIQ", typ, 0, sector))
    d0 = 3 * slot
    vq_desc(q, ring, d0, hdr + 0x20 * slot, 16, VQ_NEXT, d0 + 1)
    if data_len:
        vq_desc(q, ring, d0 + 1, 0x9000 + slot * 0x400, data_len,
                VQ_NEXT | (VQ_WRITE if data_write else 0), d0 + 2)
        vq_desc(q, ring, d0 + 2, hdr + 0x20 * slot + 0x10, 1, VQ_WRITE)
    else:
        vq_desc(q, ring, d0 + 1, hdr + 0x20 * slot + 0x10, 1, VQ_WRITE)
    return d0


def virtio_blk_seeds():
    feats = 1 << 9 | 1 << 6 | 1 << 2
    s = {}
    q = Seq(0, 0)
    q.b = b"\x00"
    virtio_setup(q, 1, feats, 16)
    heads = [blk_req(q, 0, 0, 1, 512, True), blk_req(q, 1, 8, 0, 20, True),
             blk_req(q, 2, 4, 0, 0, False)]
    vq_avail(q, 0, 3, heads)
    s["read_id_flush"] = q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(0x2000, 8).b
    q = Seq(0, 0)
    q.b = b"\x00"
    virtio_setup(q, 1, feats, 16)
    q.mem(0x9000, bytes(range(200)))
    heads = [blk_req(q, 0, 1, 7, 512, False), blk_req(q, 1, 0, 7, 512, True),
             blk_req(q, 2, 0, 8, 512, True), blk_req(q, 3, 3, 0, 512, True)]
    vq_avail(q, 0, 4, heads)
    s["write_read_errors"] = q.mmio_w(VQ_NOTIFY, 0, 2).b
    q = Seq(0, 0)
    q.b = b"\x01"
    virtio_setup(q, 1, feats | 1 << 5, 16)
    vq_avail(q, 0, 1, [blk_req(q, 0, 1, 0, 512, False)])
    s["ro_write"] = q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(0x2014, 4).b
    # DISCARD (two ranges), WRITE_ZEROES with UNMAP, one past the end, a
    # FLUSH; the first byte's bit 1 takes fallocate away (the fallbacks)
    for name, first in (("discard_zeroes", b"\x00"),
                        ("zeroes_nofalloc", b"\x02")):
        q = Seq(0, 0)
        q.b = first
        virtio_setup(q, 1, feats | 1 << 13 | 1 << 14, 16)
        q.mem(0x9000, struct.pack("<QII", 1, 2, 0) + struct.pack("<QII", 6, 1, 0))
        q.mem(0x9400, struct.pack("<QII", 3, 4, 1))
        q.mem(0x9800, struct.pack("<QII", 7, 2, 0))
        heads = [blk_req(q, 0, 11, 0, 32, False), blk_req(q, 1, 13, 0, 16, False),
                 blk_req(q, 2, 13, 0, 16, False), blk_req(q, 3, 4, 0, 0, False)]
        vq_avail(q, 0, 4, heads)
        s[name] = q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(0x2024, 4).b
    return s


def virtio_net_seeds():
    feats = 1 << 5 | 1 << 16 | 1 << 28
    s = {}
    q = virtio_setup(Seq(0, 0), 2, feats)
    for i in range(4):
        vq_desc(q, vq_ring(0), i, 0x8000 + 0x800 * i, 1526, VQ_WRITE)
    vq_avail(q, 0, 4, [0, 1, 2, 3])
    s["rx"] = q.mmio_w(VQ_NOTIFY, 0, 2).mmio_r(0x2000, 4).mmio_r(0x2006, 2).b
    q = virtio_setup(Seq(0, 0), 2, feats)
    q.mem(0xa000, bytes(12) + bytes(range(60)))
    vq_desc(q, vq_ring(1), 0, 0xa000, 12, VQ_NEXT, 1)
    vq_desc(q, vq_ring(1), 1, 0xa00c, 60, 0)
    vq_desc(q, 0xb000, 0, 0xa000, 72, 0)
    vq_desc(q, vq_ring(1), 2, 0xb000, 16, VQ_INDIRECT)
    vq_avail(q, 1, 2, [0, 2])
    s["tx"] = q.mmio_w(VQ_NOTIFY, 1, 2).mmio_r(0x1000, 1).b
    q = virtio_setup(Seq(0, 0), 2, feats)
    vq_desc(q, vq_ring(0), 0, 0x8000, 12, VQ_WRITE | VQ_NEXT, 1)
    vq_desc(q, vq_ring(0), 1, 0x8100, 200, VQ_WRITE)
    vq_avail(q, 0, 1, [0])
    q.mmio_w(VQ_NOTIFY, 0, 2).mmio_w(VQ_STATUS, 0, 1)
    s["rx_small_reset"] = virtio_setup(q, 2, feats).mmio_w(VQ_NOTIFY, 0, 2).b
    return s


def virtq_seeds():
    """fuzz/virtq_target.c: a 12-byte queue header (log2 size, flags,
    desc/avail/used addresses, starting index) then the start of RAM."""
    def image(qsize, flags, descs, heads, start=0):
        desc, avail, used = 0x000, 0x400, 0x800
        mem = bytearray(0xa00)
        for i, (addr, length, fl, nxt) in descs.items():
            mem[desc + 16 * i:desc + 16 * i + 16] = struct.pack(
                "<QIHH", addr, length, fl, nxt)
        for k, h in enumerate(heads):
            at = avail + 4 + 2 * ((start + k) % qsize)
            mem[at:at + 2] = struct.pack("<H", h)
        mem[avail + 2:avail + 4] = struct.pack("<H", (start + len(heads)) & 0xffff)
        hdr = bytes([qsize.bit_length() - 1, flags]) + struct.pack(
            "<HHHHH", desc, avail, used, start, 0)
        return hdr + bytes(mem)
    return {
        "chains": image(8, 1, {0: (0x900, 16, VQ_NEXT, 1),
                               1: (0x910, 32, VQ_WRITE, 0),
                               2: (0x980, 48, VQ_INDIRECT, 0)}, [0, 2]),
        "wrap": image(4, 0, {3: (0x900, 4, VQ_WRITE, 0)}, [3, 3, 3],
                      start=0xfffe),
    }


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for dev, seeds in (("uart", uart_seeds()), ("i8042", i8042_seeds()),
                       ("debug_exit", debug_exit_seeds()),
                       ("testdev", testdev_seeds()),
                       ("pvpanic", pvpanic_seeds()),
                       ("bootport", bootport_seeds()),
                       ("rtc", rtc_seeds()), ("pci", pci_seeds()),
                       ("virtio_rng", virtio_rng_seeds()),
                       ("virtio_blk", virtio_blk_seeds()),
                       ("virtio_net", virtio_net_seeds()),
                       ("virtq", virtq_seeds())):
        os.makedirs(os.path.join(root, dev), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(root, dev, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
