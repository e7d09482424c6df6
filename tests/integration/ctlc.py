#!/usr/bin/env python3
"""tests/integration/ctlc.py - a control-socket client for ctl.sh.

  ctlc.py SOCK REQUEST...     send each request (a JSON line), print each
                              reply line; exit 1 if a reply is missing
  ctlc.py SOCK get CMD PATH   one request {"cmd":CMD}; print the value at
                              PATH (/-separated; [name=X] picks a list
                              item whose "name" is X)
  ctlc.py SOCK events N SECS  subscribe; print event lines until N events
                              or SECS seconds or the socket closes
  ctlc.py SOCK flood SECS     send metrics requests, never read, until
                              wisp lets the client go (exit 0) or SECS
  ctlc.py SOCK listen         connect, send nothing, print the first line
  ctlc.py SOCK cycles N       connect and disconnect N times
"""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def lines(s, n, secs, each=None):
    buf, out, end = b"", [], time.time() + secs
    while len(out) < n and time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
        while b"\n" in buf and len(out) < n:
            line, buf = buf.split(b"\n", 1)
            out.append(line.decode())
            if each:
                each(out[-1])
    return out


def pick(v, path):
    for part in path.split("/"):
        if part.startswith("[name="):
            v = [x for x in v if x.get("name") == part[6:-1]][0]
        elif isinstance(v, list):
            v = v[int(part)]
        else:
            v = v[part]
    return v


def main(a):
    path, mode = a[0], a[1]
    if mode == "get":
        s = connect(path)
        s.sendall((json.dumps({"id": 1, "cmd": a[2]}) + "\n").encode())
        r = json.loads(lines(s, 1, 30)[0])
        print(json.dumps(pick(r, a[3])) if not isinstance(pick(r, a[3]), str) else pick(r, a[3]))
        return 0
    if mode == "events":
        s = connect(path)
        s.sendall(b'{"id":1,"cmd":"subscribe"}\n')
        lines(s, int(a[2]) + 1, float(a[3]), lambda l: print(l, flush=True))
        return 0
    if mode == "flood":
        # keep asking, never read: wisp must let us go (a reset), however
        # long its replies take to pile up
        s = connect(path)
        s.setblocking(False)
        req = b'{"id":1,"cmd":"metrics"}\n' * 1000
        end = time.time() + float(a[2])
        while time.time() < end:
            try:
                s.send(req)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                print("let go")
                return 0
        return 1
    if mode == "listen":
        # read what wisp says first, sending nothing (a refused client)
        s = connect(path)
        for line in lines(s, 1, 30):
            print(line)
        return 0
    if mode == "cycles":
        for _ in range(int(a[2])):
            connect(path).close()
        return 0
    s = connect(path)
    reqs = a[1:]
    s.sendall("".join(r + "\n" for r in reqs).encode())
    got = lines(s, len(reqs), 30)
    for line in got:
        print(line)
    return 0 if len(got) == len(reqs) else 1


sys.exit(main(sys.argv[1:]))
