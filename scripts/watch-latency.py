#!/usr/bin/env python3
"""Measures how long `reckon watch` takes from a saved mapping edit to the printed plan diff.

Usage: scripts/watch-latency.py PATH/TO/reckon [--poll] [ROUNDS]
Copies examples/quickstart to a temp dir, starts watch on it, then alternately adds and removes
one account mapping ROUNDS times (default 20), timing each edit until its `plan changed` line.
"""
import os, shutil, subprocess, sys, tempfile, time, statistics, threading, queue

binary = sys.argv[1]
poll = "--poll" in sys.argv[2:]
rest = [a for a in sys.argv[2:] if a != "--poll"]
rounds = int(rest[0]) if rest else 20
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = tempfile.mkdtemp()
ws = os.path.join(work, "ws")
shutil.copytree(os.path.join(repo, "examples", "quickstart"), ws)
keeper = os.path.join(ws, "integrations", "keeper.yaml")
original = open(keeper).read()
mapped = original.replace('      contract: "C-1003"\n',
                          '      contract: "C-1003"\n    - vendor: "5120"\n      psa: "29683369"\n')
args = [binary, "watch", "--period", "2026-10"] + (["--poll"] if poll else [])
child = subprocess.Popen(args, cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env=dict(os.environ, NO_COLOR="1"))
lines = queue.Queue()
threading.Thread(target=lambda: [lines.put(l) for l in child.stdout], daemon=True).start()

def wait_for(needle, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        if needle in line:
            return time.monotonic()

wait_for("Plan: ")
samples = []
for i in range(rounds):
    time.sleep(0.5)  # let the previous cycle settle so each edit is its own cycle
    started = time.monotonic()
    with open(keeper, "w") as f:
        f.write(mapped if i % 2 == 0 else original)
    samples.append((wait_for("plan changed") - started) * 1000)
child.terminate()
child.wait()
shutil.rmtree(work)
samples.sort()
print(f"watch{' --poll' if poll else ''}: {rounds} edits, edit-to-diff latency ms: "
      f"min {samples[0]:.0f}, median {statistics.median(samples):.0f}, "
      f"p90 {samples[int(len(samples) * 0.9) - 1]:.0f}, max {samples[-1]:.0f}")
