#!/usr/bin/env python3
"""fuzz/oss-fuzz/gen_dict.py - write fuzz/oss-fuzz/virtio.dict.

The virtio targets' inputs are op streams (fuzz/fuzz_hlp.h, fuzz_run) over
BAR0 of a virtio-pci function; each dictionary entry is one whole op a
driver makes (a status step, a queue register, a doorbell, an ISR or
device-config read), encoded by fuzz/gen_seeds.py's Seq so the two never
disagree. Not part of the build: run it after changing the op encoding
and commit the file, as with gen_seeds.py.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from gen_seeds import Seq, VQ_STATUS, VQ_NOTIFY  # noqa: E402


def entries():
    w = {}
    for v, name in ((0, "reset"), (1, "ack"), (3, "driver"),
                    (0x0b, "features_ok"), (0x0f, "driver_ok"),
                    (0x40, "failed")):
        w["status_" + name] = Seq(0).mmio_w(VQ_STATUS, v, 1).b
    w["status_read"] = Seq(0).mmio_r(VQ_STATUS, 1).b
    for off, name in ((0x00, "dfselect"), (0x08, "gfselect"),
                      (0x0c, "gfeature")):
        for v in (0, 1):
            w["%s_%d" % (name, v)] = Seq(0).mmio_w(off, v, 4).b
    w["dfeature_read"] = Seq(0).mmio_r(0x04, 4).b
    for q in (0, 1):
        w["queue_select_%d" % q] = Seq(0).mmio_w(0x16, q, 2).b
        w["notify_%d" % q] = Seq(0).mmio_w(VQ_NOTIFY, q, 2).b
    w["queue_size_8"] = Seq(0).mmio_w(0x18, 8, 2).b
    w["queue_enable"] = Seq(0).mmio_w(0x1c, 1, 2).b
    w["msix_config_0"] = Seq(0).mmio_w(0x10, 0, 2).b
    w["isr_read"] = Seq(0).mmio_r(0x1000, 1).b
    w["devcfg_read"] = Seq(0).mmio_r(0x2000, 4).b
    return w


def main():
    with open(os.path.join(HERE, "virtio.dict"), "w") as f:
        f.write("# Written by fuzz/oss-fuzz/gen_dict.py: one virtio op an "
                "entry.\n")
        for name, b in entries().items():
            f.write('%s="%s"\n' % (name,
                                   "".join("\\x%02x" % c for c in b)))


if __name__ == "__main__":
    main()
