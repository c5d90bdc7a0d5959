# pulumi-netkit host relay: runs netlink requests that the provider built, and returns the
# kernel's raw replies. Generic and dependency-free (python3 standard library only): it
# knows netlink framing, not netkit. Request (JSON on stdin): independent batches, run one
# after another, so that several operations share one python3 start:
#   {"batches": [{"ops": [{"nsfd": 100, "path": "/run/netns/x"}   # open, dup2 onto fd 100
#                       | {"nl": "<b64 message>", "proto": 0, "ns": null | "/path", "dump": false}
#                       | {"read": "/proc/sys/kernel/osrelease"} | {"listdir": "/run/netns"}
#                       | {"nl": "<b64 dump request>", "proto": 0, "each": "/run/netns"}],
#                 "stop_on_error": true}, ...]}
# Reply (JSON on stdout), a result per op of each batch:
#   {"batches": [{"results": [{"reply": "<b64>", "errno": 0} | {"data": "<b64>"} | {"ok": true}
#                            | {"names": [...]} | {"oserror": errno, "message": "...", "path": "..."}
#                            | {"each": [{"name": "x", "reply": ..., "errno": 0} | {"name": "y", "oserror": ...}]}
#                            | {"skipped": true}]}, ...]}
import base64, ctypes, json, os, socket, struct, sys

SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLMSG_ERROR, NLMSG_DONE, CLONE_NEWNET = 2, 3, 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


home = os.open("/proc/self/ns/net", os.O_RDONLY)
sockets = {}


def open_sock(ns, proto):
    # A netlink socket acts in the netns it was created in: enter, create, return.
    fd = os.open(ns, os.O_RDONLY) if ns else None
    try:
        if fd is not None:
            setns(fd)
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    finally:
        if fd is not None:
            setns(home)
            os.close(fd)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    return s


def sock_for(ns, proto):
    key = (ns, proto)
    if key not in sockets:
        sockets[key] = open_sock(ns, proto)
    return sockets[key]


def os_error(e, path):
    return {"oserror": e.errno or 0, "message": e.strerror or str(e), "path": path}


def each_netns(op, seq):
    # One dump in every netns named in a directory: a host's pods in one op. Each socket is
    # closed at once (a host may have more netns than the relay may hold descriptors).
    try:
        names = sorted(os.listdir(op["each"]))
    except FileNotFoundError:
        names = []
    entries = []
    for n in names:
        path = os.path.join(op["each"], n)
        try:
            s = open_sock(path, op.get("proto", 0))
            try:
                reply, errno = exchange(s, base64.b64decode(op["nl"]), seq, True)
            finally:
                s.close()
            entries.append({"name": n, "reply": base64.b64encode(reply).decode(), "errno": errno})
        except OSError as e:
            entries.append({"name": n, **os_error(e, path)})
    return {"each": entries}


def exchange(s, msg, seq, dump):
    msg = bytearray(msg)
    struct.pack_into("=I", msg, 8, seq)
    s.send(bytes(msg))
    out, errno = bytearray(), 0
    while True:
        data = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            ln, typ, _flags, mseq = struct.unpack_from("=IHHI", data, off)
            if ln < 16:
                raise OSError(71, "malformed netlink reply")
            if mseq == seq:
                out += data[off:off + ln] + b"\0" * (-ln % 4)
                if typ == NLMSG_ERROR or (dump and typ == NLMSG_DONE):
                    if ln >= 20:
                        errno = -struct.unpack_from("=i", data, off + 16)[0]
                    return bytes(out), errno
            off += (ln + 3) & ~3


seq = 0


def run_batch(batch):
    global seq
    # Batches are independent operations: none may act through a netns opened for another
    # (a netns file can be replaced in between).
    for s in sockets.values():
        s.close()
    sockets.clear()
    results, failed = [], False
    for op in batch["ops"]:
        seq += 1
        if failed:
            results.append({"skipped": True})
            continue
        try:
            if "nsfd" in op:
                fd = os.open(op["path"], os.O_RDONLY)
                os.dup2(fd, op["nsfd"])
                os.close(fd)
                results.append({"ok": True})
                continue
            if "listdir" in op:
                results.append({"names": sorted(os.listdir(op["listdir"]))})
                continue
            if "each" in op:
                results.append(each_netns(op, seq))
                continue
            if "read" in op:
                with open(op["read"], "rb") as f:
                    results.append({"data": base64.b64encode(f.read(1 << 20)).decode()})
                continue
            reply, errno = exchange(sock_for(op.get("ns"), op.get("proto", 0)), base64.b64decode(op["nl"]), seq, op.get("dump", False))
            results.append({"reply": base64.b64encode(reply).decode(), "errno": errno})
            failed = errno != 0 and batch.get("stop_on_error", True)
        except OSError as e:
            results.append(os_error(e, e.filename or op.get("path") or op.get("ns") or op.get("read") or op.get("listdir") or op.get("each")))
            failed = batch.get("stop_on_error", True)
    return {"results": results}


def main():
    req = json.load(sys.stdin)
    json.dump({"batches": [run_batch(b) for b in req["batches"]]}, sys.stdout)


main()
