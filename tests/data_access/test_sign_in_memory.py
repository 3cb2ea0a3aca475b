"""What a burst of sign-ins costs in memory with the real argon2 parameters (64 MiB a hash):
measured in a fresh process, as the server would meet 24 attempts at once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BURST = r"""
import json, sys, threading
from data_access import db, memory, users

def high_water_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

memory.tune()  # as the server does at start-up (serve.py)
engine = db.make_engine(sys.argv[1])
db.upgrade_schema(engine)
users.authenticate(engine, "warm-up", "guess-guess", client="10.0.0.250")  # one hash: the baseline
before = high_water_mib()
barrier = threading.Barrier(24)
def attempt(i):
    barrier.wait()
    users.authenticate(engine, f"user{i}", "guess-guess", client=f"10.0.{i}.1")
threads = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"before": before, "after": high_water_mib()}))
"""


def test_24_simultaneous_sign_ins_stay_far_below_a_gigabyte(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PASSWORD_HASH_SLOTS", None)
    out = subprocess.run([sys.executable, "-c", BURST, f"sqlite:///{tmp_path / 'burst.sqlite'}"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    peak = json.loads(out.stdout.strip().splitlines()[-1])
    grown = peak["after"] - peak["before"]
    print(f"peak memory grew by {grown:.0f} MiB for 24 simultaneous sign-ins")
    # Unbounded, 24 hashes at 64 MiB each would add ~1.5 GB; two slots add about one more hash.
    assert grown < 300, peak
