#!/usr/bin/python3
"""metrics.py: the Prometheus exposition against summary and stats.

  - the metrics method's text parsed here (HELP, TYPE, samples, label
    escapes): every figure equals the matching summary or stats field,
    on a private tmpfs (root) so that free space cannot move between
    the calls; the requests made in between are accounted for
  - naming: hyco_ prefix, _total on counters and only there, HELP and
    TYPE on every family, labels from a bounded set; more cycles add no
    series; metrics.max_datasets caps the dataset labels (the rest as
    ".other", summed)
  - promtool check metrics passes on the method's text and on
    metrics.textfile, which is replaced atomically (no temporary file
    left) and read back through Debian's prometheus-node-exporter
    (textfile collector) from its HTTP endpoint
  - promtool check rules and promtool test rules on the shipped rules
Needs $HYCOD, $TOP; Debian's prometheus and prometheus-node-exporter."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from events import Conn  # noqa: E402
from hytest import Checks, write  # noqa: E402
from removal import Hycod  # noqa: E402

check = Checks("metrics")
TOP = os.environ["TOP"]
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
LABELS = {"category", "dataset", "kind", "method", "code", "filesystem",
          "device", "version", "le"}
OTHER = ".other"
CODES = ("invalid_argument", "unknown_method", "too_large", "io_error",
         "no_space", "internal")
CATS = ("tensors", "generated", "eval")
KINDS = ("synthetic", "physical")

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n"
                  else m.group(1), v)


def parse(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}};
    the format's rules checked on the way."""
    fams, current, seen = {}, None, set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, kind, name, rest = line.split(" ", 3)
            f = fams.setdefault(name, {"samples": []})
            f["help" if kind == "HELP" else "type"] = rest
            if name != current:
                check(name not in seen, "family %s in one block" % name)
                seen.add(name)
            current = name
            continue
        m = SAMPLE.match(line)
        if not check(m is not None, "a sample line: %r" % line):
            continue
        name, _, labels, value = m.groups()
        fam = current
        if fams.get(fam, {}).get("type") in ("histogram", "summary"):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            check(base == fam, "%s belongs to %s" % (name, fam))
        else:
            check(name == fam, "sample %s under its family %s" % (name, fam))
        lab = {}
        if labels:
            rest = labels
            while rest:
                lm = LABEL.match(rest)
                if not check(lm is not None, "labels of %r" % line):
                    break
                lab[lm.group(1)] = unescape(lm.group(2))
                rest = rest[lm.end():]
        fams[fam]["samples"].append((name, lab, float(value)))
    return fams


def value(fams, name, **labels):
    """The one sample of name with exactly these labels (None: none)."""
    fam = re.sub(r"_(bucket|sum|count)$", "", name) \
        if name not in fams else name
    hits = [v for n, lab, v in fams.get(fam, {}).get("samples", [])
            if n == name and lab == labels]
    check(len(hits) <= 1, "%s%r: one sample" % (name, labels))
    return hits[0] if hits else None


def same(fams, name, want, **labels):
    got = value(fams, name, **labels)
    check(got is not None and got == want, "%s%s = %r, summary/stats say "
          "%r" % (name, labels or "", got, want))


def promtool_metrics(text, what):
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True)
    check(p.returncode == 0 and not p.stdout.strip() and
          not p.stderr.strip(), "promtool check metrics on %s: %s %s" %
          (what, p.stdout.decode(), p.stderr.decode()))


def names_and_labels(fams):
    for name, f in fams.items():
        check(name.startswith("hyco_") and re.match(r"^[a-z0-9_]+$", name),
              "name %s" % name)
        check("help" in f and "type" in f, "%s: HELP and TYPE" % name)
        check((f.get("type") == "counter") == name.endswith("_total"),
              "%s: _total if and only if a counter (%s)" %
              (name, f.get("type")))
        for _, lab, _ in f["samples"]:
            check(set(lab) <= LABELS, "%s: bounded labels only: %s" %
                  (name, sorted(lab)))


def build_tree(h, c):
    """Datasets (one not UTF-8, one with " and \\ in its name), cycles
    with bytes, a hit, errors, a subscriber."""
    t = os.path.join(h.cache, "tensors")
    write(os.path.join(t, "ds_a", "x.pt"), 1000)
    write(os.path.join(t, "ds_b", "x.pt"), 300)
    write(os.path.join(t, 'we"ird\\name', "x.pt"), 5)
    write(os.path.join(h.cache, "evaluation", "ds_a", "e.pt"), 70)
    os.makedirs(os.path.join(t.encode(), b"ds_\xff"))
    with open(os.path.join(t.encode(), b"ds_\xff", b"x.pt"), "wb") as f:
        f.write(b"n" * 77)
    for kind, cycle, ds, n in (("synthetic", 1, "ds_a", 10),
                               ("synthetic", 2, "ds_a", 20),
                               ("physical", 1, "ds_b", 40)):
        err, r = c.call("get-cycle-dir", kind=kind, cycle=cycle, dataset=ds)
        write(os.path.join(r["path"], "p.bin"), n)
    c.call("get-cycle-dir", kind="synthetic", cycle=2, dataset="ds_a")
    c.call("nope")
    c.call("get-cycle-dir", kind="synthetic", cycle=-1)
    c.call("prune", dry_run=True)
    # Too large: once with a msgid to answer, once without (no reply).
    for raw in (msgpack.packb([0, 9, "ping", [{"pad": "x" * 70000}]]),
                msgpack.packb("y" * 70000)):
        o = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        o.connect(h.sock)
        o.sendall(raw)
        o.settimeout(10)
        try:
            while o.recv(1 << 16):
                pass
        except ConnectionResetError:
            pass        # closed with some of our bytes unread
        o.close()
    deadline = time.time() + 30
    while time.time() < deadline:
        s = c.call("summary")[1]
        if s["exact"] and s["total"] == 1000 + 300 + 5 + 77 + 70 + 70:
            return
        time.sleep(0.02)
    check(False, "tree indexed: %r" % s["total"])


def compare(s, st, fams, ping, private_fs):
    """Every figure against summary s and stats st, read in this order
    (summary, stats, metrics) on one connection."""
    same(fams, "hyco_build_info", 1, version=ping["version"])
    same(fams, "hyco_start_time_seconds", st["since"])
    for cat in CATS:
        same(fams, "hyco_cache_bytes", s[cat], category=cat)
    check(sum(value(fams, "hyco_cache_files", category=c) for c in CATS)
          == s["files"], "hyco_cache_files sum to summary files")
    other = {c: 0 for c in CATS}
    for ds, v in s["datasets"].items():
        try:
            ds.encode("utf-8")
        except UnicodeEncodeError:      # not UTF-8 on disk: with the rest
            for c in CATS:
                other[c] += v[c]
            continue
        for c in CATS:
            same(fams, "hyco_dataset_bytes", v[c], dataset=ds, category=c)
    for c in CATS:
        same(fams, "hyco_dataset_bytes", other[c], dataset=OTHER, category=c)
    for k in KINDS:
        cy = [x for x in s["cycles"] if x["kind"] == k]
        same(fams, "hyco_cycles", len(cy), kind=k)
        same(fams, "hyco_cycles_bytes", sum(x["bytes"] for x in cy), kind=k)
        if cy:
            last = max(cy, key=lambda x: x["cycle"])
            same(fams, "hyco_cycle_latest", last["cycle"], kind=k)
            same(fams, "hyco_cycle_latest_bytes", last["bytes"], kind=k)
    fs = s["disk"]["path"]
    if private_fs:
        same(fams, "hyco_filesystem_avail_bytes", s["disk"]["free_bytes"],
             filesystem=fs)
        same(fams, "hyco_filesystem_files_free", os.statvfs(fs).f_favail,
             filesystem=fs)
    same(fams, "hyco_filesystem_size_bytes", s["disk"]["total_bytes"],
         filesystem=fs)
    st_dev = os.stat(fs).st_dev
    same(fams, "hyco_filesystem_info", 1, filesystem=fs, device="%d:%d" % (
        os.major(st_dev), os.minor(st_dev)))
    vfs = os.statvfs(fs)
    same(fams, "hyco_filesystem_files", vfs.f_files, filesystem=fs)
    for name, key in (
            ("hyco_index_exact", "exact"),
            ("hyco_index_watched_dirs", "watched_dirs"),
            ("hyco_index_unwatched_dirs", "unwatched_dirs"),
            ("hyco_index_files", "tracked_files"),
            ("hyco_index_memory_bytes", "index_bytes"),
            ("hyco_index_overflows_total", "overflows"),
            ("hyco_index_rescans_total", "rescans"),
            ("hyco_index_inotify_events_total", "events"),
            ("hyco_index_reconciled_total", "reconciled"),
            ("hyco_index_arrivals_total", "arrivals"),
            ("hyco_index_scan_errors_total", "scan_errors"),
            ("hyco_index_last_rescan_timestamp_seconds", "last_rescan"),
            ("hyco_index_last_rescan_duration_seconds", "last_scan_s"),
            ("hyco_trash_bytes", "trash_bytes"),
            ("hyco_trash_items", "trash_items"),
            ("hyco_trash_freed_bytes_total", "trash_freed_bytes"),
            ("hyco_pruned_bytes_total", "pruned_bytes"),
            ("hyco_pruned_cycles_total", "pruned_cycles"),
            ("hyco_pruned_datasets_total", "pruned_datasets"),
            ("hyco_prune_passes_total", "prune_passes"),
            ("hyco_prune_idle_passes_total", "idle_passes"),
            ("hyco_pruning", "pruning"),
            ("hyco_cycle_dir_refused_total", "refused"),
            ("hyco_connections", "connections"),
            ("hyco_connections_accepted_total", "connections_accepted"),
            ("hyco_connections_refused_total", "refused_max_clients"),
            ("hyco_connections_closed_too_large_total", "closed_too_large"),
            ("hyco_connections_closed_bad_input_total", "closed_bad_input"),
            ("hyco_reads_paused_total", "paused_reads")):
        same(fams, name, float(s[key]), )
    # Framed after summary: stats and metrics.
    same(fams, "hyco_messages_total", s["messages"] + 2)
    check(s["errors"]["too_large"] == 2 and s["closed_too_large"] == 2,
          "both too-large requests counted: %r" % s["errors"])
    check(sum(v for _, _, v in fams["hyco_requests_total"]["samples"]) ==
          s["requests"] + 2, "requests by method sum to summary's + 2")
    for code in CODES:
        check(sum(v for _, lab, v in
                  fams["hyco_request_errors_total"]["samples"]
                  if lab["code"] == code) == s["errors"][code],
              "errors %s by method sum to summary's" % code)
    bounds = st["latency_buckets_us"]
    for m, v in st["methods"].items():
        # Each call is counted when it arrives and timed once answered.
        same(fams, "hyco_requests_total", v["requests"] +
             (m == "metrics"), method=m)
        for code in CODES:
            same(fams, "hyco_request_errors_total", v["errors"][code],
                 method=m, code=code)
        lat = v["latency"]
        extra = 1 if m == "stats" else 0
        cum = 0
        for i, b in enumerate(bounds):
            cum += lat["counts"][i]
            got = value(fams, "hyco_request_duration_seconds_bucket",
                        method=m, le="%.9g" % (b / 1e6))
            if m != "stats":
                check(got == cum, "%s le %d us: %r, stats %r" %
                      (m, b, got, cum))
            else:
                check(cum <= got <= cum + 1, "stats le %d us" % b)
        same(fams, "hyco_request_duration_seconds_bucket",
             lat["count"] + extra, method=m, le="+Inf")
        same(fams, "hyco_request_duration_seconds_count",
             lat["count"] + extra, method=m)
        if m != "stats":
            same(fams, "hyco_request_duration_seconds_sum", lat["sum_s"],
                 method=m)
    cd = st["cycle_dirs"]
    for ds, v in cd["datasets"].items():
        for k in KINDS:
            same(fams, "hyco_cycle_dir_hits_total", v["hits"][k], kind=k,
                 dataset=ds)
            same(fams, "hyco_cycle_dir_misses_total", v["misses"][k],
                 kind=k, dataset=ds)
        same(fams, "hyco_dataset_last_asked_timestamp_seconds",
             v["last_asked"], dataset=ds)
    ev = st["events"]
    same(fams, "hyco_event_subscribers", ev["subscribers"])
    same(fams, "hyco_event_notifications_total", ev["notifications"])
    same(fams, "hyco_event_subscribers_dropped_total", ev["dropped"])


def test_figures(h, tf, private_fs):
    c = Conn(h.sock)
    sub = Conn(h.sock)
    sub.call("subscribe", events=["cycle_created"])
    build_tree(h, c)
    ping = c.call("ping")[1]
    s = c.call("summary")[1]
    st = c.call("stats")[1]
    err, m = c.call("metrics")
    check(err is None and m["content_type"] ==
          "text/plain; version=0.0.4; charset=utf-8", "metrics: %r" % (err,))
    fams = parse(m["text"])
    compare(s, st, fams, ping, private_fs)
    names_and_labels(fams)
    check(value(fams, "hyco_cache_bytes", category="tensors") == 1382 and
          value(fams, "hyco_event_subscribers") == 1 and
          value(fams, "hyco_cycle_dir_hits_total", kind="synthetic",
                dataset="ds_a") == 1, "the figures are not all zero")
    check('dataset="we\\"ird\\\\name"' in m["text"],
          "a label value escaped: %r" % [x for x in m["text"].split("\n")
                                          if "ird" in x][:1])
    promtool_metrics(m["text"], "the metrics method")
    # More cycles, no more series.
    n0 = sum(len(f["samples"]) for f in fams.values())
    for cycle in range(10, 30):
        c.call("get-cycle-dir", kind="physical", cycle=cycle, dataset="ds_b")
    fams2 = parse(c.call("metrics")[1]["text"])
    n1 = sum(len(f["samples"]) for f in fams2.values())
    check(n1 == n0 and value(fams2, "hyco_cycles", kind="physical") == 21,
          "20 more cycles: %d series, then %d" % (n0, n1))
    # The textfile: rewritten, whole, nothing left beside it.
    deadline = time.time() + 10
    while time.time() < deadline and (not os.path.exists(tf) or
                                      "hyco_cycles{kind=\"physical\"} 21"
                                      not in open(tf).read()):
        time.sleep(0.05)
    text = open(tf).read()
    tfams = parse(text)
    check(value(tfams, "hyco_cycles", kind="physical") == 21 and
          set(tfams) == set(fams2), "the textfile has the same families")
    promtool_metrics(text, "metrics.textfile")
    check(os.listdir(os.path.dirname(tf)) == ["hyco.prom"],
          "no temporary file left: %r" % os.listdir(os.path.dirname(tf)))
    for x in (c, sub):
        x.close()
    return text


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_node_exporter(tf):
    """node_exporter's textfile collector serves the file's series."""
    if not os.access(NODE_EXPORTER, os.X_OK):
        check(False, "%s missing: apt-get install prometheus-node-exporter"
              % NODE_EXPORTER)
        return
    port = free_port()
    log = open(tf + ".node-exporter.log", "w")
    ne = subprocess.Popen([NODE_EXPORTER, "--collector.disable-defaults",
                           "--collector.textfile",
                           "--collector.textfile.directory=" +
                           os.path.dirname(tf),
                           "--web.listen-address=127.0.0.1:%d" % port],
                          stdout=log, stderr=subprocess.STDOUT)
    try:
        body = None
        deadline = time.time() + 20
        while time.time() < deadline and body is None:
            try:
                before = parse(open(tf).read())
                body = urllib.request.urlopen(
                    "http://127.0.0.1:%d/metrics" % port, timeout=5).read()
                after = parse(open(tf).read())
            except OSError:
                time.sleep(0.1)
        if not check(body is not None, "node_exporter answered on port %d" %
                     port):
            return
        text = body.decode()
        fams = parse(text)
        hyco = {n: f for n, f in fams.items() if n.startswith("hyco_")}
        check(set(hyco) == set(before),
              "every hyco family through node_exporter: missing %s" %
              sorted(set(before) - set(hyco)))
        for name, f in before.items():
            for sname, lab, v in f["samples"]:
                got = value(fams, sname, **lab)
                v2 = value(after, sname, **lab)
                # Only the writes counter moves while nothing happens.
                check(got is not None and min(v, v2) <= got <= max(v, v2),
                      "%s%r through node_exporter: %r (file %r, %r)" %
                      (sname, lab, got, v, v2))
        check(value(fams, "node_textfile_scrape_error") == 0,
              "node_textfile_scrape_error 0")
        mt = [lab for _, lab, _ in
              fams.get("node_textfile_mtime_seconds", {}).get("samples", [])]
        check(any(re.fullmatch(r"(.*/)?hyco\.prom", lab.get("file", ""))
                  for lab in mt), "node_textfile_mtime_seconds{file} "
              "matches the staleness rule's regex: %r" % mt)
    finally:
        ne.terminate()
        ne.wait(10)
        log.close()


def test_max_datasets(root):
    h = Hycod(root, ["metrics.max_datasets=2",
                     "retention.check_interval_s=3600"])
    try:
        c = Conn(h.sock)
        t = os.path.join(h.cache, "tensors")
        for ds, n in (("big", 400), ("mid", 300), ("small", 20),
                      ("tiny", 1)):
            write(os.path.join(t, ds, "x.pt"), n)
        for ds in ("a", "b", "c", "d"):
            c.call("get-cycle-dir", kind="synthetic", cycle=1, dataset=ds)
        deadline = time.time() + 30
        while c.call("summary")[1]["tensors"] != 721 and \
                time.time() < deadline:
            time.sleep(0.02)
        st = c.call("stats")[1]
        fams = parse(c.call("metrics")[1]["text"])
        named = sorted({lab["dataset"] for _, lab, _ in
                        fams["hyco_dataset_bytes"]["samples"]})
        check(named == [OTHER, "big", "mid"], "the two largest by name, "
              "the rest as %s: %r" % (OTHER, named))
        same(fams, "hyco_dataset_bytes", 21, dataset=OTHER,
             category="tensors")
        cd = st["cycle_dirs"]
        check(sorted(cd["datasets"]) == ["a", "b"] and
              cd["other"]["misses"]["synthetic"] == 2,
              "stats: first two by name, the rest in other: %r" % (cd,))
        same(fams, "hyco_cycle_dir_misses_total", 2, kind="synthetic",
             dataset=OTHER)
        same(fams, "hyco_dataset_last_asked_timestamp_seconds",
             cd["other"]["last_asked"], dataset=OTHER)
        promtool_metrics(c.call("metrics")[1]["text"], "a capped set")
        c.close()
    finally:
        check(h.stop() == 0, "max_datasets daemon: clean exit")


def test_rules():
    rules = os.path.join(TOP, "conf/prometheus/hyco-rules.yml")
    p = subprocess.run(["promtool", "check", "rules", rules],
                       capture_output=True)
    check(p.returncode == 0 and b"SUCCESS: 5 rules found" in p.stdout,
          "promtool check rules: %s %s" % (p.stdout.decode(),
                                           p.stderr.decode()))
    tests = os.path.join(TOP, "tests/prometheus")
    for f in sorted(os.listdir(tests)):
        p = subprocess.run(["promtool", "test", "rules",
                            os.path.join(tests, f)], capture_output=True)
        check(p.returncode == 0 and b"SUCCESS" in p.stdout,
              "promtool test rules %s: %s %s" % (f, p.stdout.decode(),
                                                 p.stderr.decode()))


def main():
    root = tempfile.mkdtemp(prefix="hyco-metrics-", dir="/tmp")
    fs = os.path.join(root, "fs")
    os.makedirs(fs)
    prom = tempfile.mkdtemp(prefix="hyco-prom-")
    tf = os.path.join(prom, "hyco.prom")
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "none", fs]).returncode == 0
    if not mounted:
        print("metrics: SKIPPED the exact free-space comparison: not root, "
              "no private tmpfs (free space may move between two calls)")
    try:
        h = Hycod(fs, ["metrics.textfile=" + tf, "metrics.interval_s=0.2",
                       "retention.check_interval_s=3600"],
                  log=os.path.join(root, "hycod.log"))
        try:
            test_figures(h, tf, mounted)
            test_node_exporter(tf)
        finally:
            check(h.stop() == 0, "clean exit on SIGTERM")
        check(os.path.exists(tf), "the textfile stays after exit (its age "
              "is what the staleness alert reads)")
        test_max_datasets(os.path.join(root, "cap"))
        test_rules()
    finally:
        if mounted:
            subprocess.run(["umount", fs])
        subprocess.run(["rm", "-rf", root, prom])
    return 0 if check.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
