#!/usr/bin/python3
"""access.py: daemon.access with real second users (root only; it says
SKIPPED otherwise).

System users and groups named hycotest-* are created if missing
(useradd --system, groupadd --system: idempotent) and left in place,
so repeated runs and parallel checkouts share them. Clients run as them
through setpriv --reuid --regid --init-groups (so supplementary groups
count), calling every method of daemon/rpc.c's table with an argument
no method takes: an allowed call is answered invalid_argument (and does
nothing), a refused one permission_denied. Checked:
  - a custom daemon.access: each class allowed and refused as set, by
    user name, uid, group name (supplementary) and gid; higher classes
    include lower ones
  - the default daemon.access with hycod itself running as a second
    user: read and write for the socket's group (a supplementary member
    too), admin for the daemon's user and root, nobody else (the socket
    is made 0666 so that access control, not the file mode, refuses)
  - the permission_denied reply: code, message naming method and uid;
    summary's errors.permission_denied counts them
  - hycoctl as a refused user: exit 1, a message naming the method and
    the uid; as an allowed one, the real effect
  - the audit line of every admin call, allowed and refused, with the
    client's pid, uid, gid and command line
Needs $HYCOD, $HYCOCTL and $TOP (set by make check)."""
import json
import os
import pwd
import grp
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hytest import Checks  # noqa: E402

check = Checks("access")
TOP = os.environ["TOP"]
# The classes issue 11 gives; a method of rpc.c's table that is not
# here fails the test until it is given one.
CLASSES = {
    "read": ["ping", "summary", "disk-check", "config", "metrics", "stats",
             "subscribe", "unsubscribe"],
    "write": ["get-cycle-dir", "cleanup-cycle"],
    "admin": ["cleanup-generated", "clean", "prune", "reload"],
}
CLASS_OF = {m: c for c, ms in CLASSES.items() for m in ms}
ORDER = ["read", "write", "admin"]

# Runs as the test user: every method named on the command line, with
# an argument none takes; prints {"pid": ..., method: error code}.
CLIENT = r'''
import json, os, socket, sys
import msgpack
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
u = msgpack.Unpacker(raw=False)
out = {"pid": os.getpid()}
for i, m in enumerate(sys.argv[2:]):
    s.sendall(msgpack.packb([0, i, m, [{"zz_access_probe": 1}]]))
    r = None
    while r is None:
        for r in u:
            break
        else:
            data = s.recv(65536)
            if not data:
                break
            u.feed(data)
    out[m] = (r[2] or {}).get("code", "ok") if r else "closed"
    if r and r[2] and r[2]["code"] == "permission_denied":
        out[m + ".message"] = r[2]["message"]
print(json.dumps(out))
'''


def methods():
    """The names in daemon/rpc.c's method table, from its source."""
    src = open(os.path.join(TOP, "daemon/rpc.c")).read()
    table = src[src.index("} methods[] = {"):]
    table = table[:table.index("};")]
    return re.findall(r'\{ "([a-z-]+)", m_', table)


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_group(name):
    if run("getent", "group", name).returncode != 0:
        run("groupadd", "--system", name)
    return grp.getgrnam(name).gr_gid


def ensure_user(name, primary, groups=()):
    if run("getent", "passwd", name).returncode != 0:
        run("useradd", "--system", "--no-create-home", "--shell",
            "/usr/sbin/nologin", "--gid", primary, name)
    for g in groups:
        run("usermod", "-a", "-G", g, name)
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def as_user(user, *cmd):
    """cmd as user, with its primary and supplementary groups."""
    return ["setpriv", "--reuid", user, "--regid",
            str(pwd.getpwnam(user).pw_gid), "--init-groups"] + list(cmd)


def probe(client, sock, user, names):
    p = run(*as_user(user, "/usr/bin/python3", client, sock, *names),
            timeout=60)
    if not check(p.returncode == 0, "client as %s: %s" % (user, p.stderr)):
        return {}
    return json.loads(p.stdout)


def start(d, binary, args, user=None, log="hycod.log"):
    sock = os.path.join(d, "cache", "hycod.sock")
    cmd = [binary, "-c", os.path.join(d, "config.yaml"),
           "paths.cache_root=" + os.path.join(d, "cache")] + args
    if user:
        cmd = as_user(user, *cmd)
    proc = subprocess.Popen(cmd, stderr=open(os.path.join(d, log), "a"))
    for _ in range(600):
        if os.path.exists(sock) or proc.poll() is not None:
            break
        time.sleep(0.05)
    check(os.path.exists(sock), "hycod started (%s)" % log)
    return proc, sock


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(30)


def expect(res, user, uid, allowed_from, names):
    """Each method allowed iff its class is at or below what user has
    (allowed_from: the highest class allowed, or None)."""
    top = ORDER.index(allowed_from) if allowed_from else -1
    for m in names:
        want = "invalid_argument" if ORDER.index(CLASS_OF[m]) <= top \
            else "permission_denied"
        got = res.get(m)
        check(got == want, "%s (uid %d) %s: %s, want %s" %
              (user, uid, m, got, want))
        if got == "permission_denied":
            msg = res.get(m + ".message", "")
            check(msg.startswith(m + " needs " + CLASS_OF[m] + " access") and
                  "uid %d " % uid in msg, "message names %s and uid %d: %r"
                  % (m, uid, msg))


def audit_lines(log):
    with open(log) as f:
        return [ln for ln in f if " audit: " in ln]


def check_audit(log, names, user, uid, gid, pid, allowed):
    lines = audit_lines(log)
    for m in names:
        if CLASS_OF[m] != "admin":
            continue
        want = "audit: %s %s: pid %d uid %d gid %d cmd '/usr/bin/python3 " \
            % (m, "allowed" if allowed else "refused", pid, uid, gid)
        hit = [ln for ln in lines if want in ln and
               "args zz_access_probe=1" in ln]
        check(len(hit) == 1, "audit line for %s by %s: %r in %d lines" %
              (m, user, want, len(lines)))
    for ln in lines:
        m = ln.split(" audit: ")[1].split(" ")[0]
        check(CLASS_OF.get(m) == "admin", "only admin calls audited: %r" %
              ln)


def custom(d, names, users, ids):
    """daemon.access of every kind of entry; hycod runs as root."""
    with open(os.path.join(d, "config.yaml"), "w") as f:
        # 0666: every user reaches the socket; access control decides.
        f.write("daemon:\n  socket_mode: '0666'\n  access:\n"
                "    read: [user:hycotest-reader, group:hycotest-ops]\n"
                "    write: 'uid:%d, gid:%d'\n"
                "    admin:\n      - user:hycotest-admin\n" %
                (ids["hycotest-writer"][0], ids["hycotest-wgrp"]))
    proc, sock = start(d, os.path.join(d, "hycod"), [])
    log = os.path.join(d, "hycod.log")
    client = os.path.join(d, "client.py")
    want = {"hycotest-reader": "read", "hycotest-ops1": "read",
            "hycotest-writer": "write", "hycotest-wmember": "write",
            "hycotest-admin": "admin", "hycotest-none": None}
    pids = {}
    try:
        for user, top in want.items():
            res = probe(client, sock, user, names)
            pids[user] = res.get("pid", -1)
            expect(res, user, ids[user][0], top, names)
        for user, top in want.items():
            check_audit(log, names, user, ids[user][0], ids[user][1],
                        pids[user], top == "admin")
        # Root always passes.
        res = probe(client, sock, "root", names)
        expect(res, "root", 0, "admin", names)
        # hycoctl: refused with the method and uid; allowed, the effect.
        ctl = os.path.join(d, "hycoctl")
        p = run(*as_user("hycotest-writer", ctl, "--socket", sock, "clean",
                         "generated"))
        uid = ids["hycotest-writer"][0]
        check(p.returncode == 1 and "permission_denied" in p.stderr and
              "cleanup-generated" in p.stderr and "uid %d " % uid in
              p.stderr and p.stdout == "",
              "hycoctl refused: exit %d, %r" % (p.returncode, p.stderr))
        p = run(*as_user("hycotest-reader", ctl, "--socket", sock,
                         "cycle-dir", "--kind", "synthetic", "--cycle", "4"))
        check(p.returncode == 1 and "get-cycle-dir needs write access" in
              p.stderr and "uid %d " % ids["hycotest-reader"][0] in p.stderr,
              "hycoctl cycle-dir refused: %d %r" % (p.returncode, p.stderr))
        cyc = os.path.join(d, "cache", "generated", "synthetic_preds",
                           "cycle_004")
        check(not os.path.exists(cyc), "refused: nothing made")
        p = run(*as_user("hycotest-writer", ctl, "--socket", sock,
                         "cycle-dir", "--kind", "synthetic", "--cycle", "4"))
        check(p.returncode == 0 and os.path.isdir(p.stdout.strip()),
              "writer: cycle-dir made: %d %r" % (p.returncode, p.stderr))
        p = run(*as_user("hycotest-admin", ctl, "--socket", sock, "cleanup",
                         "--cycle", "4"))
        check(p.returncode == 0 and not os.path.exists(cyc),
              "admin: cleanup (write, by inclusion) done: %r" % p.stderr)
        p = run(*as_user("hycotest-admin", ctl, "--socket", sock, "clean",
                         "generated"))
        check(p.returncode == 0, "admin: clean generated: %r" % p.stderr)
        p = run(*as_user("hycotest-reader", ctl, "--socket", sock, "--json",
                         "summary"))
        s = json.loads(p.stdout) if p.returncode == 0 else {}
        refused = sum(1 for u, top in want.items() for m in names
                      if top is None or ORDER.index(CLASS_OF[m]) >
                      ORDER.index(top)) + 2
        check(s.get("errors", {}).get("permission_denied") == refused,
              "errors.permission_denied counts %d refusals: %r" %
              (refused, s.get("errors")))
        # The hycoctl calls are audited with their command lines.
        lines = audit_lines(log)
        check(any("cleanup-generated refused: pid" in ln and
                  "uid %d gid %d cmd '%s --socket %s clean generated'" %
                  (uid, ids["hycotest-writer"][1], ctl, sock) in ln
                  for ln in lines), "hycoctl's refusal audited with its "
              "command line")
        check(any("cleanup-generated allowed: pid" in ln and "uid %d " %
                  ids["hycotest-admin"][0] in ln and
                  "clean generated'" in ln for ln in lines),
              "hycoctl's allowed admin call audited")
    finally:
        check(stop(proc) == 0, "custom: clean exit")


def defaults(d, names, ids):
    """The default daemon.access, hycod running as hycotest-daemon."""
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write("daemon:\n  socket_mode: '0666'\n")
    os.makedirs(os.path.join(d, "cache"))
    shutil.chown(os.path.join(d, "cache"), "hycotest-daemon",
                 "hycotest-sock")
    proc, sock = start(d, os.path.join(d, "hycod"), [], "hycotest-daemon")
    client = os.path.join(d, "client.py")
    log = os.path.join(d, "hycod.log")
    try:
        st = os.stat(sock)
        check(st.st_gid == ids["hycotest-sock"],
              "the socket's group is hycod's: %d" % st.st_gid)
        want = {"hycotest-daemon": "admin", "hycotest-member": "write",
                "hycotest-none": None, "root": "admin"}
        for user, top in want.items():
            res = probe(client, sock, user, names)
            uid = 0 if user == "root" else ids[user][0]
            expect(res, user, uid, top, names)
            if user != "root":
                check_audit(log, names, user, uid, ids[user][1],
                            res.get("pid", -1), top == "admin")
    finally:
        check(stop(proc) == 0, "defaults: clean exit")


def main():
    if os.geteuid() != 0:
        print("access: SKIPPED (needs root: creates users, runs clients "
              "as them)")
        return 0
    names = methods()
    for m in names:
        check(m in CLASS_OF, "method %s of rpc.c has a class in this test "
              "(issue 11's list)" % m)
    names = [m for m in names if m in CLASS_OF]
    ids = {}
    for g in ("hycotest-ops", "hycotest-wgrp", "hycotest-sock",
              "hycotest-none"):
        ids[g] = ensure_group(g)
    for user, primary, groups in (
            ("hycotest-reader", "hycotest-none", ()),
            ("hycotest-ops1", "hycotest-none", ("hycotest-ops",)),
            ("hycotest-writer", "hycotest-none", ()),
            ("hycotest-wmember", "hycotest-wgrp", ()),
            ("hycotest-admin", "hycotest-none", ()),
            ("hycotest-none", "hycotest-none", ()),
            ("hycotest-daemon", "hycotest-sock", ()),
            ("hycotest-member", "hycotest-none", ("hycotest-sock",))):
        ids[user] = ensure_user(user, primary, groups)
    base = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm")
                            else None)
    try:
        os.chmod(base, 0o755)
        for name, t in (("custom", lambda d: custom(d, names, None, ids)),
                        ("defaults", lambda d: defaults(d, names, ids))):
            d = os.path.join(base, name)
            os.makedirs(d)
            # Everything the other users run, where they may run it.
            for src, dst in ((os.environ["HYCOD"], "hycod"),
                             (os.environ["HYCOCTL"], "hycoctl")):
                shutil.copy(src, os.path.join(d, dst))
            with open(os.path.join(d, "client.py"), "w") as f:
                f.write(CLIENT)
            t(d)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
