#!/usr/bin/env python3
"""fuzz/gen_mon_seeds.py - write the seed corpora of the monitor-side
targets, fuzz/corpus/devproc/ and fuzz/corpus/devhlp/.

Not part of the build: run it by hand after changing a record layout in
fuzz/devproc_target.c or fuzz/devhlp_target.c and commit what it writes.
Each seed is a short sequence that gets past the easy checks to one path.
"""
import os
import struct

# devproc_target: kind, flags, op, state, a0/a1/a2 selectors, extra, raw1, raw2
UP, IO, RX, SHOT = 0, 4, 5, 6
SB, ST = 0, 1
POSTED = 0xc0
(IRQ_SET, RX_READY, POWEROFF, RESET, MAP, UNMAP, TRACK, QUERY,
 MARK, UP_PANIC, UP_LOG) = range(1, 12)
NO_NUL = 4  # state bit: the log line's rest is not NUL-terminated
LATE = 8  # flags bit of IO and RX: the record's up-call first, the answer late
RAW, PAGE, NEAR, TOP, NOBM, LOW = range(6)


def dp(kind, dev=SB, op=0, state=POSTED, s0=0, s1=RAW, s2=RAW, extra=0,
       raw1=0, raw2=0, flags=0):
    return bytes([kind, dev | flags, op, state, s0, s1, s2, extra]) + \
        struct.pack("<II", raw1, raw2)


def log(text, dev=SB, level=2, state=POSTED, whole=False):
    """A LOG up-call and its line (extra: the line's length)."""
    extra = 0x80 if whole else len(text) << 1
    return dp(UP, dev=dev, op=UP_LOG, state=state, s0=level, extra=extra) + text


def display(w, h, rects, rc=0):
    r = struct.pack("<iIIII", rc, w, h, 3, len(rects))
    for x0, y0, x1, y1 in rects + [(0, 0, 0, 0)] * (8 - len(rects)):
        r += struct.pack("<IIII", x0, y0, x1, y1)
    return r


def devproc_seeds():
    own_map = dp(UP, op=MAP, s0=0, s1=PAGE, raw2=0xd0100)
    return {
        "irq-own": dp(UP, op=IRQ_SET, s0=5, s1=1) +
        dp(UP, op=IRQ_SET, s0=9, s1=2) + dp(UP, op=IRQ_SET, s0=5, s1=0),
        "irq-foreign": dp(UP, op=IRQ_SET, s0=6, s1=1),
        "irq-bad": dp(UP, op=IRQ_SET, s0=0x83, s1=1, raw1=99) +
        dp(UP, op=IRQ_SET, s0=5, s1=3),
        "power-untrusted": dp(UP, op=POWEROFF, s0=3),
        "power-trusted": dp(UP, dev=ST, op=POWEROFF, s0=3) +
        dp(UP, dev=ST, op=RESET) + dp(UP, dev=ST, op=POWEROFF, s0=0x80 | TOP),
        "panic": dp(UP, dev=ST, op=UP_PANIC) + dp(UP, op=UP_PANIC),
        "log": log(b"hello from the device") +
        log(b"sb.0: named already", level=0) +
        log(b"st.0: not mine\nwisp: forged\x1b[2J") +
        log(b"debug only", level=3) + log(b"", dev=ST, level=7) +
        log(b"y" * 256, whole=True, state=POSTED | NO_NUL) +
        log(b"z" * 40, dev=ST, level=1, state=POSTED | NO_NUL) +
        log(b"not posted", state=1),
        "mmio2-own": own_map + dp(UP, op=TRACK, s0=0, s1=LOW, raw2=1) +
        dp(UP, op=MARK, s0=0, s1=LOW, s2=LOW, raw2=4096, raw1=1) +
        dp(UP, op=QUERY, s0=0, s1=LOW, raw2=8) +
        dp(UP, op=QUERY, s0=1, s1=NOBM) + dp(UP, op=UNMAP, s0=0),
        "mmio2-overlap": own_map + dp(UP, op=MAP, s0=1, s1=NEAR, raw2=1) +
        dp(UP, dev=ST, op=MAP, s0=4, s1=PAGE, raw2=0xd0100),
        "mmio2-foreign": dp(UP, op=MAP, s0=2, s1=PAGE, raw2=0xd0200),
        "mmio2-query-foreign": dp(UP, op=QUERY, s0=3, s1=LOW, raw2=8),
        "mmio2-big-bitmap": dp(UP, op=QUERY, s0=0, s1=6, raw2=16),
        "mmio2-no-handle": dp(UP, op=TRACK, s0=7, s1=LOW, raw2=1),
        "unknown-op": dp(UP, op=0) + dp(UP, op=IRQ_SET, s0=5, s1=1),
        "not-posted": dp(UP, op=IRQ_SET, state=1, s0=5, s1=1) +
        dp(UP, op=IRQ_SET, state=3, s0=5, s1=1),
        "io": dp(IO, op=1, state=2, s0=RAW, s1=RAW, raw1=0xd0000010,
                 raw2=0x11223344, flags=2) + dp(IO, op=0, s0=RAW, raw1=0x3f8),
        "chr-rx": dp(RX, s1=LOW, s2=RAW, raw1=0xffffffff, raw2=300) +
        dp(RX, dev=ST, s1=LOW, s2=LOW, raw2=8),
        "display": dp(SHOT) + display(640, 480, [(0, 0, 640, 480)]),
        "display-bad": dp(SHOT) + display(640, 480, [(0, 0, 641, 480)]),
        "display-err": dp(SHOT) + display(0, 0, [], rc=-5) +
        dp(SHOT) + display(0, 0, [], rc=-100000),
        "screenshot": dp(SHOT, flags=4) + display(320, 200, [(1, 2, 3, 4)]) +
        dp(SHOT, flags=4) + display(4000, 200, []),
        "late-irq": dp(IO, op=IRQ_SET, s0=5, s1=1, s2=LOW, raw1=0x1234,
                       raw2=0x5678, flags=LATE) +
        dp(IO, op=IRQ_SET, s0=5, s1=0, flags=LATE | 2),
        "late-foreign": dp(IO, op=IRQ_SET, s0=6, s1=1, flags=LATE) +
        dp(IO, op=IRQ_SET, s0=5, s1=1, flags=LATE),
        "late-power": dp(IO, dev=ST, op=POWEROFF, s0=3, flags=LATE) +
        dp(RX, dev=ST, op=RESET, s1=LOW, s2=LOW, raw2=8, flags=LATE),
        "late-unposted": dp(IO, op=IRQ_SET, state=1, s0=5, s1=1, flags=LATE),
        "late-log": dp(RX, op=UP_LOG, s0=2, s1=LOW, s2=LOW, raw2=16,
                       extra=10 << 1, flags=LATE) + b"from rx 01",
        "dead-then": dp(UP, op=IRQ_SET, s0=6, s1=1) +
        dp(UP, op=IRQ_SET, s0=5, s1=1) + dp(IO, raw1=0x10) +
        dp(RX, s1=LOW, raw2=4) + dp(SHOT) + display(8, 8, []) +
        dp(IO, op=IRQ_SET, s0=5, s1=1, flags=LATE),
    }


# devhlp_target: call, flags (bit 0: the trusted caller; 1, 2: variants;
# 3-5: sub-call), two selectors, raw a (bytes 4-11), raw b (bytes 12-15)
(IO_REG, IO_UNREG, IRQ, MEM, TIMER, M2_CREATE, M2_MAP, M2_QUERY, M2_RW, LOG,
 FILE, POLL, BELL, BELL_WAIT, WORKER, CHR, CFG, TRUSTED, CONSTRUCTED, PCI,
 FILE_META) = range(21)
# do_trusted's sub-calls (flags bits 3-5)
POWER, RESET_, FIND, FAULT, PANIC_, RAM = (x << 3 for x in range(6))
CHR_WRITE, CHR_RX, CHR_TX, CHR_READY = range(4)
U, T = 0, 1


def call(kind, flags=0, p2=0, p3=0, a=0, b=0, text=b"", raw=True):
    """flags bits 6-7 stay 0: the address a is taken raw."""
    rec = bytes([kind, flags, p2, p3]) + struct.pack("<Q", a)[:8]
    rec = rec[:8] + struct.pack("<I", a >> 32 & 0xffffffff) + \
        struct.pack("<I", b)
    return rec + text


def construct(d=U):
    return (call(IO_REG, d, 0, 3, 0x3f8) +          # PIO 0x3f8+8
            call(IO_REG, d, 1, 12, 0xd0010000) +     # MMIO 4 KiB
            call(IRQ, d, 1, 4 + d, raw=False) +      # claim line 4 or 5
            call(TIMER, d, 1, raw=False) +
            call(M2_CREATE, d, 1, 1, raw=False) +    # 8 KiB, tracked
            call(WORKER, d, 0, raw=False) +
            call(BELL, d, 0, 4, 0x3f8) +             # doorbell, 4 bytes
            call(BELL, d | 2, 1, 4, 0xd0010010))     # an ioevent


def pci(bars=(), bells=(), offs=(), n_caps=0, caps=(), vectors=0,
        msix_bar=0, odd=0):
    """pci_register's description (devhlp_target.c pci_func): per BAR a
    size code (bits 0-4: 1 << (code + 6); 0 none) | 0x20 ops | 0x40
    bell_fn | 0x80 a doorbell, its length and offset selector."""
    def six(x):
        return bytes(list(x) + [0] * (6 - len(x)))
    return (six(bars) + six(bells) + six(offs) + bytes([n_caps]) +
            bytes(list(caps) + [0] * (8 - len(caps))) +
            bytes([vectors, msix_bar, odd, 0, 0]))


BAR4K, BAR256M, BAR512M, OPS, FN, BELL_ = 6, 22, 23, 0x20, 0x40, 0x80
PCI_CASES = [
    ((BAR4K | OPS,),),                                    # the smallest good
    ((BAR4K | OPS | FN | BELL_, BAR256M | OPS), (4,), (0x10 | 0,)),
    ((BAR4K | OPS | FN | BELL_,), (4,), (0x30,)),         # misaligned bell
    ((BAR4K | OPS | FN | BELL_,), (8,), (0x20,)),         # bell past the end
    ((BAR512M | OPS,),),                                  # too big
    ((5 | OPS,),),                                        # too small
    ((0x1f | OPS,),),                                     # no power of two
    ((0, BAR4K | OPS), (), (), 2, (2, 64), 8, 0),         # caps, MSI-X in 0
    ((BAR4K | OPS,), (), (), 1, (65,)),                   # cap too long
    ((BAR4K | OPS,), (), (), 9),                          # too many caps
    ((BAR4K | OPS,), (), (), 0, (), 65, 1),               # too many vectors
    ((BAR4K | OPS,), (), (), 0, (), 4, 0),                # MSI-X in a used BAR
    ((BAR4K | OPS,), (), (), 0, (), 0, 0, 1),             # vendor 0xffff
]


def devhlp_seeds():
    run = call(CONSTRUCTED, U)
    return {
        "construct": construct() + run,
        "trusted-construct": construct(T) + call(CONSTRUCTED, T),
        "running": construct() + run +
        call(IRQ, U, 2, 4, raw=False) + call(IRQ, U, 4, 4, raw=False) +
        call(TIMER, U, 0, 0, 1000, raw=False) +
        call(M2_MAP, U, 0, 1, 0xd0200000) +
        call(M2_QUERY, U, 24, 1, raw=False) +
        call(M2_RW, U | 2, 1, 1, 16, raw=False) +
        call(MEM, U | 2, 4, 4, 0x1000) + call(MEM, U, 4, 4, 0xffffc) +
        call(BELL_WAIT, U, 0, 0, raw=False) +
        call(CHR, U, CHR_RX, raw=False) + call(CHR, U, CHR_READY, 1, raw=False) +
        call(CHR, U, CHR_WRITE, 5, text=b"hello") +
        call(CFG, U, 0, 8, text=b"manifest"),
        "foreign": construct() + run +
        call(IO_UNREG, U, 0, 0, 0x60) + call(IO_UNREG, U, 1, 0, 0xd0000000) +
        call(IRQ, U, 2, 6, raw=False) + call(M2_MAP, U, 0, 0x40, 0xd0300000) +
        call(M2_MAP, U, 1, 0x40, raw=False) +
        call(M2_QUERY, U, 0, 0x40, raw=False) +
        call(M2_RW, U | 2, 1, 0x40, raw=False) +
        call(FILE, U | 8, 4, 1, raw=False) + call(CFG, T, 0, 8, text=b"manifest"),
        "overlap": call(IO_REG, U, 0, 0, 0x60) +
        call(IO_REG, U, 1, 12, 0xd0100000) + call(IO_REG, U, 1, 12, 0xfffff000) +
        call(IO_REG, U, 0, 16, 0xfff0) + call(IRQ, U, 1, 6, raw=False) +
        call(IRQ, U, 1, 2, raw=False),
        "files": call(FILE, U, 4, 0, raw=False) +
        call(FILE, U | 8, 4, 0, 8, raw=False) +
        call(FILE, T | 24, 6, 3, raw=False) + call(POLL, T, 0, 0, b=1000) +
        call(FILE, T | 16, 4, 2, raw=False) + call(POLL, U, b=1000) +
        call(FILE, U | 8, 4, 4, raw=False) + call(FILE, U | 24, 4, 4, raw=False) +
        call(FILE, U, 4, 4, raw=False),  # key 4: read-only
        "trusted": call(TRUSTED, T | FIND, 0, 1, text=b"o") +
        call(TRUSTED, T | RAM, 1, 0, raw=False) +
        call(TRUSTED, T | RAM, 2, 4, 0x2000, raw=False) +
        call(TRUSTED, T | RESET_, 0, 0, raw=False) +
        call(TRUSTED, T | FAULT, 0, 0, raw=False) +
        call(TRUSTED, T | POWER, 0, 0, b=3, raw=False) + call(TRUSTED, U),
        "panic": call(TRUSTED, T | PANIC_, 0, 0, raw=False) +
        call(TRUSTED, T | PANIC_, 0, 0, raw=False),
        "chr-tx": call(CHR, U, CHR_TX, 0, raw=False) +
        call(CHR, T, CHR_TX, 0, raw=False) + call(CHR, U, CHR_TX, 1, raw=False) +
        call(CHR, U, CHR_WRITE, 5, text=b"hello") + run +
        call(CHR, U, CHR_TX, 0, raw=False),
        "file-meta": b"".join(call(FILE_META, d | f, op, key, raw=False)
                              for d in (U, T) for f in (0, 2)
                              for op in range(3) for key in range(5)) +
        call(CONSTRUCTED, T) + call(FILE_META, T, 1, 2, raw=False),
        "pci": b"".join(call(PCI, U, 0) + pci(*a) for a in PCI_CASES) +
        call(PCI, T, 2) + call(PCI, U, 1, b=0) + call(PCI, T, 1, b=1 << 31),
        "log": run + b"".join(
            call(LOG, U, 0, 40, text=b"line\nwith\x1b[31m control" +
                 b"x" * 17) for _ in range(40)),
    }


def write(target, seeds):
    d = os.path.join(os.path.dirname(__file__), "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    write("devproc", devproc_seeds())
    write("devhlp", devhlp_seeds())


if __name__ == "__main__":
    main()
