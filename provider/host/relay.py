# pulumi-netkit host relay: runs netlink requests that the provider built, and returns the
# kernel's raw replies. Generic and dependency-free (python3 standard library only): it
# knows netlink framing, not netkit. Started as `relay.py serve`, it lives as long as the
# provider's SSH session and reads requests one JSON line each (answered one line each, with
# the request's "run" number, as they complete; see serve()); without "serve" it answers the
# one request on stdin and exits. A request is independent batches, run one after another:
#   {"run": 7, "deadline_ms": 90000, "lock": true,
#    "batches": [{"id": "<uuid>", "stop_on_error": true, "ops": [OP, ...]}, ...]}
# An op is the provider's RelayOp (provider/host/relay.ts) as it is, bytes in base64: "op"
# names it, and OPS below maps each name to the function that runs it.
#   {"op": "netlink", "message": "<b64>", "netns": "/path", "proto": 0, "dump": false,
#    "expect": {"index": 7, "attrs": [[[3], "<b64 payload>"], ...]}}
#   {"op": "netlinkEachNetns", "message": "<b64>", "dir": "/run/netns", "proto": 0, "netnsFd": 101, "fromHost": false}
#   {"op": "read", "path": "/proc/sys/kernel/osrelease"}      {"op": "listdir", "path": "/run/netns"}
#   {"op": "openNetns", "path": "/run/netns/x", "fd": 100}    {"op": "journal", "batch": "<batch id>"}
#   {"op": "bpf", "cmd": 28, "attr": "<b64>", "fds": [[0, "prog"]], "paths": [[0, "/sys/fs/bpf/x"]],
#    "bufs": [[16, 256]], "keep": "link", "expect": [[56, "<b64>"]]}  # the bpf() syscall, see op_bpf
#   {"op": "bpffs", "action": "mkdir" | "unlink" | "clear" | "rmdir", "path": BPFFS_ROOT + "/..."}
#   {"op": "ioctl", "request": 0x8946, "socket": [2, 2], "netns": "/path", "arg": "<b64>",
#    "bufs": [[16, "<b64>"]]}                                 # ioctl(2) on a socket, see op_ioctl
#   A netlink op with "waitMs" is sent aside: see exchange_aside.
#   {"op": "owner", "action": "get" | "put" | "drop", "key": "12-3", "data": "<b64>", "urn": "..."}  # see op_owner
# Reply (JSON on stdout), a result per op of each batch:
#   {"run": 7, "batches": [{"results": [{"reply": "<b64>", "errno": 0[, "mismatch": "..."]} | {"data": "<b64>"}
#                            | {"ok": true} | {"names": [...]} | {"oserror": errno, "message": "...", "path": "..."}
#                            | {"bpf": ret, "errno": 0, "attr": "<b64>", "bufs": ["<b64>", ...]}
#                            | {"ioctl": ret, "errno": 0, "arg": "<b64>", "bufs": ["<b64>", ...]}
#                            | {"oserror": 110, "message": "...", "pending": pid}
#                            | {"each": [{"name": "x", "reply": ..., "errno": 0} | {"name": "y", "oserror": ...}]}
#                            | {"exception": "Type: message"} | {"skipped": true[, "reason": "deadline"]}]}, ...]}
#
# Failures are per op: any exception becomes that op's result, and the batches before it keep
# what they applied. The run ends by its deadline whatever the kernel or a file does (socket
# timeouts; netns references are checked to be network namespaces before they are opened for
# use). A run that may change the host ("lock") holds the host's lock while it runs, so writers
# from several processes and stacks take turns, and journals each op of each batch to a file as it completes:
# after a dropped connection the provider reads there what a batch did.
import base64, errno, fcntl, json, os, signal, socket, stat, struct, sys, time, ctypes

SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLMSG_ERROR, NLMSG_DONE, CLONE_NEWNET = 2, 3, 0x40000000
NS_GET_NSTYPE = 0xB703  # _IO(0xb7, 0x3): which kind of namespace an nsfs file is
NLA_TYPE_MASK = 0x3FFF
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
# bpf(2) by machine: Python has no wrapper, and the number differs per architecture.
BPF_SYSCALL = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "loongarch64": 280, "armv7l": 386, "armv6l": 386,
               "i686": 357, "i386": 357, "ppc64le": 361, "ppc64": 361, "s390x": 351}
# The only bpffs directory the relay creates or removes anything in: links the provider pinned.
BPFFS_ROOT = "/sys/fs/bpf/pulumi-netkit"

STATE_DIR = "/run/pulumi-netkit" if os.geteuid() == 0 else "/tmp/pulumi-netkit-%d" % os.geteuid()
JOURNAL_DIR = os.path.join(STATE_DIR, "journal")
OWNER_DIR = os.path.join(STATE_DIR, "owners")
JOURNAL_MAX_AGE_S = 3600

# The provider may drop the connection: finish what was started (the journal keeps it) rather
# than die half way on the hangup.
signal.signal(signal.SIGHUP, signal.SIG_IGN)


class Deadline(Exception):
    pass


class Run:
    """One request: its deadline, counted from its arrival."""

    def __init__(self, deadline):
        self.deadline = deadline

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Deadline("the run's deadline passed")
        return left


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def open_netns(path):
    """An fd of the network namespace at `path`; anything else (a FIFO, a device, another
    kind of namespace) is refused before it is opened for use."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a network namespace (not an nsfs file)", path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise OSError(errno.EAGAIN, "the file changed while it was opened", path)
        try:
            kind = fcntl.ioctl(fd, NS_GET_NSTYPE)
        except OSError:
            raise OSError(errno.EINVAL, "not a network namespace (not an nsfs file)", path)
        if kind != CLONE_NEWNET:
            raise OSError(errno.EINVAL, "a namespace, but not a network namespace", path)
        return fd
    except BaseException:
        os.close(fd)
        raise


# The relay's own netns: it returns there after creating a socket in another.
HOME_NETNS = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def socket_in(ns, family, kind, proto=0):
    # A socket acts in the netns it was created in: enter, create, return.
    fd = open_netns(ns) if ns else None
    try:
        if fd is not None:
            setns(fd)
        return socket.socket(family, kind, proto)
    finally:
        if fd is not None:
            setns(HOME_NETNS)
            os.close(fd)


def open_sock(ns, proto):
    s = socket_in(ns, socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    return s


def os_error(e, path):
    return {"oserror": e.errno or 0, "message": e.strerror or str(e), "path": path}


def attrs_of(buf):
    """Attribute payloads by type (flags masked off)."""
    out, off = {}, 0
    while off + 4 <= len(buf):
        ln, typ = struct.unpack_from("=HH", buf, off)
        if ln < 4 or off + ln > len(buf):
            break
        out[typ & NLA_TYPE_MASK] = buf[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out


def mismatch(reply, expect):
    """What of an RTM_NEWLINK reply differs from `expect` (the ifinfomsg index and attribute
    payloads by path), or None. Lets one run check a device is the one meant, then act."""
    if len(reply) < 32:
        return "no link in the reply"
    index = struct.unpack_from("=i", reply, 20)[0]
    if "index" in expect and index != expect["index"]:
        return "ifindex %d, not %d" % (index, expect["index"])
    for path, want in expect.get("attrs", []):
        cur = attrs_of(reply[32:struct.unpack_from("=I", reply, 0)[0]])
        for k in path[:-1]:
            cur = attrs_of(cur.get(k, b""))
        got = cur.get(path[-1])
        if got != base64.b64decode(want):
            return "attribute %s is %s" % ("/".join(map(str, path)), "absent" if got is None else "different")
    return None


def close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


class Batch:
    """What one batch holds while it runs, and gives up when it ends: netlink sockets by netns
    and protocol, the netns fds it opened at fixed numbers (FIRST_NS_FD…), the fds bpf ops
    kept by slot, and its netlink sequence numbers. Batches are independent operations: none
    may act through a netns opened for another (a netns file can be replaced in between), and
    a long-lived relay must keep no deleted netns (and its devices) alive."""

    def __init__(self, run):
        self.run = run
        self.sockets = {}
        self.netns_fds = set()
        self.fd_slots = {}
        self.seq = 0

    def socket(self, ns, proto):
        key = (ns, proto)
        if key not in self.sockets:
            self.sockets[key] = open_sock(ns, proto)
        return self.sockets[key]

    def open_netns_as(self, path, fd):
        """Opens the netns at `path` onto the fixed fd number `fd`, for messages that name it."""
        opened = open_netns(path)
        os.dup2(opened, fd)
        os.close(opened)
        self.netns_fds.add(fd)

    def keep_fd(self, slot, fd):
        old = self.fd_slots.get(slot)
        if old is not None:
            os.close(old)  # a slot reused within the batch (a link dropped, then made again)
        self.fd_slots[slot] = fd

    def slot_fd(self, slot):
        if slot not in self.fd_slots:
            raise OSError(errno.EBADF, "no fd %s from an earlier op" % slot)
        return self.fd_slots[slot]

    def exchange(self, s, message, dump):
        """Sends one netlink message and reads its replies up to the final status (or, for a
        dump, NLMSG_DONE): the replies as the kernel sent them, and the errno."""
        self.seq += 1
        seq = self.seq
        msg = bytearray(message)
        struct.pack_into("=I", msg, 8, seq)
        s.settimeout(self.run.remaining())
        s.send(bytes(msg))
        out, err = bytearray(), 0
        while True:
            s.settimeout(self.run.remaining())
            data = s.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ, _flags, mseq = struct.unpack_from("=IHHI", data, off)
                if ln < 16:
                    raise OSError(errno.EPROTO, "malformed netlink reply")
                if mseq == seq:
                    out += data[off:off + ln] + b"\0" * (-ln % 4)
                    if typ == NLMSG_ERROR or (dump and typ == NLMSG_DONE):
                        if ln >= 20:
                            err = -struct.unpack_from("=i", data, off + 16)[0]
                        return bytes(out), err
                off += (ln + 3) & ~3

    def close(self):
        for s in self.sockets.values():
            s.close()
        self.sockets.clear()
        for fd in self.netns_fds:
            close_quietly(fd)
        self.netns_fds.clear()
        for fd in self.fd_slots.values():
            close_quietly(fd)
        self.fd_slots.clear()


# The ops, one function each: (the batch, the op as the provider sent it) -> its result.


def op_netlink(batch, op):
    if "waitMs" in op:
        return exchange_aside(batch, op)
    s = batch.socket(op.get("netns"), op.get("proto", 0))
    reply, err = batch.exchange(s, base64.b64decode(op["message"]), op.get("dump", False))
    result = {"reply": base64.b64encode(reply).decode(), "errno": err}
    if err == 0 and "expect" in op:
        why = mismatch(reply, op["expect"])
        if why:
            result["mismatch"] = why
    return result


def exchange_aside(batch, op):
    """A request the kernel may hold up indefinitely, such as deleting a device something
    still references (unregistering waits for the last reference): sent from a child process
    on a socket of its own, so that the relay answers within "waitMs" whatever the kernel
    does. Past it the request stays pending in the child, which exits once the kernel
    answers; the result says so (ETIMEDOUT, "pending": its pid)."""
    import select, warnings
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fork beside the reader thread: the child runs only this
        pid = os.fork()
    if pid == 0:
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)  # the child must not keep the SSH channel open
            s = open_sock(op.get("netns"), op.get("proto", 0))
            for fd in map(int, os.listdir("/proc/self/fd")):
                if fd > 2 and fd not in (w, s.fileno()):
                    close_quietly(fd)
            # The child waits as long as the kernel takes.
            reply, err = Batch(Run(time.monotonic() + 10 ** 9)).exchange(s, base64.b64decode(op["message"]), False)
            os.write(w, json.dumps({"reply": base64.b64encode(reply).decode(), "errno": err}).encode())
        finally:
            os._exit(0)
    os.close(w)
    CHILDREN.add(pid)
    end = time.monotonic() + min(op["waitMs"] / 1000.0, batch.run.remaining())
    got = bytearray()
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                return {"oserror": errno.ETIMEDOUT, "pending": pid,
                        "message": "the kernel had not answered after %d ms; the request is still pending in process %d, which ends once it answers" % (op["waitMs"], pid)}
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            got += chunk
    finally:
        os.close(r)
    reap_children()
    if not got:
        raise OSError(errno.EPROTO, "the child that sent the request ended without an answer")
    return json.loads(bytes(got))


# Children of exchange_aside that may still wait in the kernel; reaped once they end.
CHILDREN = set()


def reap_children():
    for pid in list(CHILDREN):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                CHILDREN.discard(pid)
        except ChildProcessError:
            CHILDREN.discard(pid)


def op_netlink_each_netns(batch, op):
    # One request in every netns named in a directory: a host's pods in one op. Each socket is
    # closed at once (a host may have more netns than the relay may hold descriptors). With
    # "netnsFd", each netns is also opened onto that fd first (for a message that names it);
    # with "fromHost" the message goes from the relay's own netns instead of from inside it.
    try:
        names = sorted(os.listdir(op["dir"]))
    except FileNotFoundError:
        names = []
    entries = []
    for n in names:
        path = os.path.join(op["dir"], n)
        try:
            if "netnsFd" in op:
                batch.open_netns_as(path, op["netnsFd"])
            s = open_sock(None if op.get("fromHost", False) else path, op.get("proto", 0))
            try:
                reply, err = batch.exchange(s, base64.b64decode(op["message"]), True)
            finally:
                s.close()
            entries.append({"name": n, "reply": base64.b64encode(reply).decode(), "errno": err})
        except OSError as e:
            entries.append({"name": n, **os_error(e, path)})
    return {"each": entries}


def op_read(batch, op):
    with open(op["path"], "rb") as f:
        return {"data": base64.b64encode(f.read(1 << 20)).decode()}


def op_listdir(batch, op):
    return {"names": sorted(os.listdir(op["path"]))}


def op_open_netns(batch, op):
    batch.open_netns_as(op["path"], op["fd"])
    return {"ok": True}


def op_journal(batch, op):
    with open(os.path.join(JOURNAL_DIR, os.path.basename(op["batch"]) + ".jsonl"), "rb") as f:
        return {"data": base64.b64encode(f.read()).decode()}


def op_bpf(batch, op):
    """One bpf() call. The provider builds the attr bytes; the relay only fills in what it
    alone knows: fds from earlier ops of the batch ("fds": offset, slot), pointers to path
    strings ("paths") and to output buffers ("bufs": offset, size, returned after the call).
    A returned fd is kept under "keep" until the batch ends. With "expect" ([offset, bytes], …),
    a call whose attr does not hold those bytes afterwards counts as ESTALE: a query that checks
    a hook is as an earlier run read it, before the ops after it act on that."""
    nr = BPF_SYSCALL.get(os.uname().machine)
    if nr is None:
        raise OSError(errno.ENOSYS, "no bpf() syscall number known for machine %s" % os.uname().machine)
    raw = base64.b64decode(op["attr"])
    attr = ctypes.create_string_buffer(raw, len(raw))
    alive = []
    for at, slot in op.get("fds", []):
        struct.pack_into("=I", attr, at, batch.slot_fd(slot))
    for at, path in op.get("paths", []):
        b = ctypes.create_string_buffer(path.encode())
        alive.append(b)
        struct.pack_into("=Q", attr, at, ctypes.addressof(b))
    bufs = []
    for at, size in op.get("bufs", []):
        b = ctypes.create_string_buffer(size)
        bufs.append(b)
        struct.pack_into("=Q", attr, at, ctypes.addressof(b))
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(op["cmd"]), attr, ctypes.c_long(len(raw)))
    err = ctypes.get_errno() if ret < 0 else 0
    if ret >= 0 and "keep" in op:
        batch.keep_fd(op["keep"], ret)
    if ret >= 0:
        for at, want in op.get("expect", []):
            want = base64.b64decode(want)
            if attr.raw[at:at + len(want)] != want:
                err = errno.ESTALE
    return {"bpf": ret, "errno": err, "attr": base64.b64encode(attr.raw).decode(), "bufs": [base64.b64encode(b.raw).decode() for b in bufs]}


def op_ioctl(batch, op):
    """ioctl(2) on a socket of the given family and type, created in the netns "netns". The
    provider builds the argument bytes; the relay only allocates the buffers it points into
    ("bufs": offset, initial contents), writes their addresses at those offsets, and returns
    the argument and the buffers as the kernel left them."""
    family, kind = op.get("socket", [socket.AF_INET, socket.SOCK_DGRAM])
    s = socket_in(op.get("netns"), family, kind)
    try:
        raw = base64.b64decode(op["arg"])
        arg = ctypes.create_string_buffer(raw, len(raw))
        bufs = []
        for at, data in op.get("bufs", []):
            init = base64.b64decode(data)
            b = ctypes.create_string_buffer(init, len(init))
            bufs.append(b)
            struct.pack_into("=Q", arg, at, ctypes.addressof(b))
        ret = libc.ioctl(ctypes.c_int(s.fileno()), ctypes.c_ulong(op["request"]), arg)
        err = ctypes.get_errno() if ret < 0 else 0
        return {"ioctl": ret, "errno": err, "arg": base64.b64encode(arg.raw).decode(), "bufs": [base64.b64encode(b.raw).decode() for b in bufs]}
    finally:
        s.close()


def op_bpffs(batch, op):
    path = os.path.normpath(op["path"])
    if path != BPFFS_ROOT and not path.startswith(BPFFS_ROOT + "/"):
        raise OSError(errno.EPERM, "outside the provider's bpffs directory " + BPFFS_ROOT, path)
    action = op["action"]
    try:
        if action == "mkdir":
            os.mkdir(path, 0o700)
        elif action == "unlink":
            os.unlink(path)
        elif action == "rmdir":
            os.rmdir(path)
        elif action == "clear":
            for n in os.listdir(path):
                os.unlink(os.path.join(path, n))
        else:
            raise OSError(errno.EINVAL, "unknown bpffs action " + action, path)
    except FileExistsError:
        pass  # mkdir: there already
    except FileNotFoundError:
        if action == "mkdir":
            raise
    return {"ok": True}


def op_owner(batch, op):
    """Who holds a NIC queue's lease, as the provider recorded it: one small file per queue
    ("<NIC ifindex>-<queue>") in the relay's state directory. "get" reads it, "put" replaces it
    (written aside, then renamed), "drop" removes it, only if it names "urn" when given."""
    key = op["key"]
    a, _, b = key.partition("-")
    if not (a.isdigit() and b.isdigit()):
        raise OSError(errno.EINVAL, "not a lease owner key", key)
    path = os.path.join(OWNER_DIR, key)
    action = op["action"]
    if action == "get":
        with open(path, "rb") as f:
            return {"data": base64.b64encode(f.read(1 << 16)).decode()}
    if action == "put":
        os.makedirs(OWNER_DIR, mode=0o700, exist_ok=True)
        with open(path + ".new", "wb") as f:
            f.write(base64.b64decode(op["data"]))
        os.rename(path + ".new", path)
        return {"ok": True}
    if action == "drop":
        try:
            with open(path, "rb") as f:
                cur = json.loads(f.read(1 << 16) or b"{}")
        except FileNotFoundError:
            return {"ok": True}
        except ValueError:
            cur = {}
        if "urn" not in op or cur.get("urn") == op["urn"]:
            os.unlink(path)
        return {"ok": True}
    raise OSError(errno.EINVAL, "unknown owner action " + action, key)


# By the name the provider gives an op (RelayOp["op"] in relay.ts).
OPS = {
    "netlink": op_netlink,
    "netlinkEachNetns": op_netlink_each_netns,
    "read": op_read,
    "listdir": op_listdir,
    "openNetns": op_open_netns,
    "journal": op_journal,
    "bpf": op_bpf,
    "bpffs": op_bpffs,
    "ioctl": op_ioctl,
    "owner": op_owner,
}


def run_op(batch, op):
    run = OPS.get(op.get("op"))
    if run is None:
        raise ValueError("unknown op %r" % op.get("op"))
    return run(batch, op)


def op_failed(r):
    return "oserror" in r or "exception" in r or r.get("errno", 0) != 0 or "mismatch" in r


class Journal:
    """Each op's result, appended as it completes, so a batch whose connection dropped can
    still be read back. Only runs that may write keep one."""

    def __init__(self, batch_id):
        self.f = None
        if batch_id:
            self.f = open(os.path.join(JOURNAL_DIR, os.path.basename(batch_id) + ".jsonl"), "w")

    def add(self, i, result):
        if self.f:
            self.f.write(json.dumps({"op": i, **result}) + "\n")
            self.f.flush()

    def close(self):
        if self.f:
            self.f.write(json.dumps({"done": True}) + "\n")
            self.f.close()


def run_batch(run, spec, journaled):
    reap_children()
    batch = Batch(run)
    journal = Journal(spec.get("id") if journaled else None)
    results, failed = [], False
    try:
        for i, op in enumerate(spec["ops"]):
            if failed:
                results.append({"skipped": True})
                continue
            try:
                run.remaining()
                result = run_op(batch, op)
            except Deadline as e:
                result = {"skipped": True, "reason": "deadline", "message": str(e)}
            except OSError as e:
                result = os_error(e, e.filename or op.get("path") or op.get("netns") or op.get("dir"))
            except Exception as e:  # a bug, or a reply we did not expect: this op's error, not the run's
                result = {"exception": "%s: %s" % (type(e).__name__, e)}
            results.append(result)
            journal.add(i, result)
            failed = op_failed(result) and (spec.get("stop_on_error", True) or "reason" in result)
        journal.close()
    finally:
        batch.close()
    return {"results": results}


class HostLock:
    """The host's writer lock: one writing relay run at a time. A long-lived relay holds it
    only while a writing run is under way, and prunes old journals now and then."""

    def __init__(self):
        self.fd = None
        self.pruned_at = None

    def take(self, run):
        """Waits at most until the run's deadline."""
        if self.fd is None:
            os.makedirs(JOURNAL_DIR, mode=0o700, exist_ok=True)
            self.fd = os.open(os.path.join(STATE_DIR, "lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() + 0.05 >= run.deadline:
                    raise Deadline("another pulumi-netkit relay held the host's lock until the deadline")
                time.sleep(0.05)
        if self.pruned_at is None or time.monotonic() - self.pruned_at > 600:
            self.pruned_at = time.monotonic()
            prune_journal()

    def release(self):
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def prune_journal():
    cutoff = time.time() - JOURNAL_MAX_AGE_S
    for n in os.listdir(JOURNAL_DIR):
        p = os.path.join(JOURNAL_DIR, n)
        try:
            if os.stat(p).st_mtime < cutoff:
                os.unlink(p)
        except OSError:
            pass


host_lock = HostLock()


def answer(req, received):
    """Runs one request (independent batches): its deadline counts from when it arrived."""
    run = Run(received + req.get("deadline_ms", 600000) / 1000.0)
    locked = False
    try:
        if req.get("lock"):
            host_lock.take(run)
            locked = True
    except (Deadline, OSError) as e:
        # Nothing ran: every op says why.
        why = {"exception": "lock: %s" % e}
        return {"batches": [{"results": [why] + [{"skipped": True}] * (len(b["ops"]) - 1)} for b in req["batches"]]}
    try:
        return {"batches": [run_batch(run, b, locked) for b in req["batches"]]}
    finally:
        if locked:
            host_lock.release()


def main():
    """One request on stdin, its answer on stdout: one python3 start per round trip."""
    received = time.monotonic()
    out = answer(json.load(sys.stdin), received)
    try:
        json.dump(out, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # the provider went away; the journal has what the writing batches did


def serve():
    """The long-lived relay of one SSH session: requests arrive one JSON line each, tagged
    {"run": n, ...}, and are answered one line each, {"run": n, "batches": [...]}, as they
    complete (in arrival order). A reader thread stamps each request's arrival, so time spent
    queued behind others counts against its deadline. When stdin ends or stdout breaks (the
    provider closed the session, or the connection dropped), the request under way finishes
    (journaled) and no queued one starts: what never started has no journal, which is what a
    reconnecting provider reads as "never ran"."""
    import queue, threading

    inbox = queue.Queue()
    ended = threading.Event()

    def reader():
        for line in sys.stdin.buffer:
            if line.strip():
                inbox.put((time.monotonic(), line))
        ended.set()
        inbox.put(None)

    threading.Thread(target=reader, daemon=True).start()
    while True:
        item = inbox.get()
        if item is None or ended.is_set():
            return
        received, line = item
        req = None
        try:
            req = json.loads(line)
            out = answer(req, received)
        except Exception as e:  # a request we cannot even read: say so, keep serving
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        out["run"] = req.get("run") if isinstance(req, dict) else None
        try:
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, OSError):
            return  # the provider went away; the journal has what the writing batches did


if sys.argv[1:] == ["serve"]:
    serve()
else:
    main()
