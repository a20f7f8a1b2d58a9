#!/usr/bin/env python3
"""Disk use of a store under a steady stream of edits (docs/snapshot-format.md,
"Disk use"): DOCS contact documents of about 200 bytes, then ROUNDS rounds of
patching PERCENT percent of them with `pa-journal apply`, each followed by
`pa-journal compact` unless --auto (automatic compaction only). Prints the
peak and final `du -sb` of the store against its live state (the bytes of the
documents' compact JSON) and against the target, 4x live + 64 MiB.

    scripts/disk_usage.py build/pa-journal [--docs 200000] [--rounds 20] [--auto]
"""
import argparse, json, os, random, resource, shutil, subprocess, tempfile, threading, time


def doc(i, r):
    return {"company": "Example Co %03d" % (i % 1000), "email": "contact%06d@example.org" % i,
            "name": "Contact %06d" % i, "notes": "met at the conference; call back (%d) " % r * 2,
            "phone": "+1-555-%03d-%04d" % (i % 1000, i % 10000), "tags": ["friend", "work"]}


def du(path):
    return int(subprocess.run(["du", "-sb", path], capture_output=True, text=True).stdout.split()[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("tool")
    p.add_argument("--docs", type=int, default=200000)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--percent", type=float, default=5)
    p.add_argument("--auto", action="store_true", help="no explicit compact")
    p.add_argument("--dir")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="pa-disk-", dir=a.dir)
    store = os.path.join(work, "store")
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            if os.path.exists(store):
                peak[0] = max(peak[0], du(store))
            time.sleep(0.2)

    t = threading.Thread(target=sample)
    t.start()
    run = lambda *args, **kw: subprocess.run([a.tool, "--dir", store, "--durability", "none",
                                              "--no-progress", *args], check=True,
                                             stdout=subprocess.DEVNULL, **kw)
    applied = [0]

    def apply(lines):
        path = os.path.join(work, "ops.ndjson")
        with open(path, "w") as f:
            f.writelines(json.dumps(l, separators=(",", ":")) + "\n" for l in lines)
        applied[0] += os.path.getsize(path)
        run("apply", path)

    rng = random.Random(1)
    t0 = time.time()
    apply({"op": "put", "collection": "contacts", "key": "k%07d" % i, "value": doc(i, 0)}
          for i in range(a.docs))
    if not a.auto:
        run("compact")
    written = 0
    for r in range(1, a.rounds + 1):
        keys = rng.sample(range(a.docs), int(a.docs * a.percent / 100))
        apply({"op": "patch", "collection": "contacts", "key": "k%07d" % i,
               "value": {"notes": "round %d: %s" % (r, "x" * rng.randint(40, 80))}} for i in keys)
        if not a.auto:
            run("compact")
    time.sleep(1)  # a background compaction the last apply started finishes with its process
    stop.set()
    t.join()
    final = du(store)
    peak[0] = max(peak[0], final)
    cols = json.loads(subprocess.run([a.tool, "--dir", store, "--json", "collections"],
                                     capture_output=True, text=True, check=True).stdout)
    live = sum(c["bytes"] for c in cols)
    # Bytes the pa-journal processes wrote to the disk (their block output):
    # the write amplification, against the NDJSON the rounds applied.
    written = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512
    target = 4 * live + (64 << 20)
    print(json.dumps({"docs": a.docs, "rounds": a.rounds, "auto_only": a.auto, "live": live,
                      "peak": peak[0], "final": final, "peak_x_live": round(peak[0] / live, 2),
                      "final_x_live": round(final / live, 2), "target": target,
                      "within_target": peak[0] <= target, "written": written,
                      "applied": applied[0], "written_per_applied": round(written / applied[0], 1),
                      "seconds": round(time.time() - t0, 1)}))
    for sub in ("journal", "backups"):
        path = os.path.join(store, sub)
        print(sub, du(path) if os.path.exists(path) else 0)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
