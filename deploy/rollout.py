#!/usr/bin/env python3
"""Roll a new plankg build out to replicas behind HAProxy so that no client sees the old build
again once it has seen the new one.

The replica pattern (docs/deploy.md): several `plankg serve` processes, each on its OWN store
built from the same inputs, behind HAProxy (deploy/haproxy/haproxy.cfg). Each answer names its
build in ``X-Plankg-Build``. With replicas A, B, … in the order given:

1. drain A (``set server BACKEND/A state drain``: no new requests) and wait until it has no
   request in flight or queued (``show stat``: ``scur`` and ``qcur`` 0);
2. publish the new build to A (``--publish``, by default ``plankg build --store {store}``; a
   running `plankg serve` takes up a build published to its store on its next request) and wait
   until A's ``/healthz``, asked directly, names the new build and HAProxy's checks pass;
3. in ONE runtime-API batch: A ready, every other replica drain. From here on new requests go
   only to A, which answers from the new build;
4. for each other replica in turn: wait until it is idle, publish, wait for its ``/healthz`` to
   name the new build, set it ready.

Why a client's builds go old … old, new … new: before step 3 only replicas on the old build
take requests (A is drained while it changes); after it only replicas on the new build do (the
others are drained before they change, and set ready only once they answer from it). A request
sent while the batch of step 3 runs (its two commands a few microseconds apart) may still reach
an old replica: that instant is the only exception. What it costs: from step 1 to the end one
replica carries all the load (half the capacity with two replicas).

A replica whose publish fails is left as it was: A is set ready again on its old build (the
publish is atomic: a failed build leaves the store's old build in place) before step 3; after
step 3 the failed replica stays drained (never ready on the old build, which would mix builds)
and the script exits 1. Each replica's address comes from HAProxy (``show servers state``).

Usage (standard library only)::

    python3 deploy/rollout.py --socket /run/haproxy/plankg.sock --backend plankg \\
        --replica a=/srv/plankg/a/store --replica b=/srv/plankg/b/store \\
        --publish 'plankg build --store {store} --registry /srv/plankg/registry.toml'

It prints each step with its time to stderr and, at the end, a JSON summary to stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

POLL_S = 0.1
BUILD_HEADER = "X-Plankg-Build"


@dataclass
class Replica:
    name: str  # the server's name in the HAProxy backend
    store: str  # its store directory ({store} in the publish command)
    host: str = ""
    port: int = 0


class RolloutError(Exception):
    pass


def runtime(sock_path: str, *commands: str) -> str:
    """Run ``commands`` as one batch on HAProxy's runtime API (``a; b``: one session, one after the other)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(("; ".join(commands) + "\n").encode())
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def set_states(sock_path: str, backend: str, states: dict[str, str]) -> None:
    """``set server BACKEND/NAME state STATE`` for each, in one batch; an answer other than nothing is an error."""
    answer = runtime(sock_path, *(f"set server {backend}/{name} state {state}" for name, state in states.items()))
    if answer.strip():
        raise RolloutError(f"haproxy refused {states}: {answer.strip()}")


def stats(sock_path: str, backend: str) -> dict[str, dict[str, str]]:
    """``show stat`` of ``backend``'s servers: name -> the CSV row (``status``, ``scur``, ``qcur``, ``stot`` …)."""
    lines = runtime(sock_path, "show stat").splitlines()
    header = lines[0].removeprefix("# ").split(",")
    rows = (dict(zip(header, line.split(","))) for line in lines[1:] if line)
    return {r["svname"]: r for r in rows if r["pxname"] == backend and r["svname"] not in ("FRONTEND", "BACKEND")}


def addresses(sock_path: str, backend: str) -> dict[str, tuple[str, int]]:
    """Each server's address and port, from ``show servers state BACKEND``."""
    lines = [line for line in runtime(sock_path, f"show servers state {backend}").splitlines() if line.strip()]
    header = next(line for line in lines if line.startswith("#")).removeprefix("# ").split()
    rows = (dict(zip(header, line.split())) for line in lines if not line.startswith("#") and " " in line)
    return {r["srv_name"]: (r["srv_addr"], int(r["srv_port"])) for r in rows}


def health_build(replica: Replica) -> str | None:
    """The build ``replica``'s /healthz names (asked directly, not through HAProxy), or None if it does not answer 200."""
    conn = http.client.HTTPConnection(replica.host, replica.port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        return resp.getheader(BUILD_HEADER) if resp.status == 200 else None
    except OSError:
        return None
    finally:
        conn.close()


def wait_for(what: str, condition, timeout_s: float):
    """Poll ``condition()`` until it is true (returned), at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        if result := condition():
            return result
        if time.monotonic() > deadline:
            raise RolloutError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(POLL_S)


class Rollout:
    def __init__(self, sock_path: str, backend: str, replicas: list[Replica], publish: str, timeout_s: float):
        self.sock, self.backend, self.replicas = sock_path, backend, replicas
        self.publish_cmd, self.timeout_s = publish, timeout_s
        self.t0 = time.monotonic()
        self.steps: list[tuple[float, str]] = []
        self.builds: dict[str, dict[str, str | None]] = {}

    def say(self, message: str) -> None:
        at = time.monotonic() - self.t0
        self.steps.append((round(at, 3), message))
        print(f"rollout {at:7.2f} s  {message}", file=sys.stderr, flush=True)

    def run(self) -> None:
        known = addresses(self.sock, self.backend)
        for r in self.replicas:
            if r.name not in known:
                raise RolloutError(f"no server {r.name} in backend {self.backend} (it has {', '.join(known)})")
            r.host, r.port = known[r.name]
            status = stats(self.sock, self.backend)[r.name]["status"]
            if status != "UP":
                raise RolloutError(f"{r.name} is {status}, not UP and ready: start from a settled backend")
            self.builds[r.name] = {"old": health_build(r), "new": None}
        first, rest = self.replicas[0], self.replicas[1:]
        self.drain(first)
        try:
            self.publish(first)
        except BaseException:
            if health_build(first) == self.builds[first.name]["old"]:  # still the old build: back in
                set_states(self.sock, self.backend, {first.name: "ready"})
                self.say(f"{first.name}: publish failed, ready again on its old build")
            raise
        set_states(self.sock, self.backend, {first.name: "ready", **{r.name: "drain" for r in rest}})
        self.say(f"switched: {first.name} ready; {', '.join(r.name for r in rest)} drain (one batch)")
        for r in rest:
            self.wait_idle(r)
            self.publish(r)
            set_states(self.sock, self.backend, {r.name: "ready"})
            self.say(f"{r.name}: ready")

    def drain(self, r: Replica) -> None:
        set_states(self.sock, self.backend, {r.name: "drain"})
        self.say(f"{r.name}: drain")
        self.wait_idle(r)

    def wait_idle(self, r: Replica) -> None:
        def idle():
            row = stats(self.sock, self.backend)[r.name]
            return row["scur"] == "0" and row["qcur"] in ("0", "")
        wait_for(f"{r.name} to finish its requests", idle, self.timeout_s)
        self.say(f"{r.name}: idle")

    def publish(self, r: Replica) -> None:
        cmd = [arg.format(name=r.name, store=r.store) for arg in shlex.split(self.publish_cmd)]
        self.say(f"{r.name}: publishing: {shlex.join(cmd)}")
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=3600)
        if done.returncode != 0:
            raise RolloutError(f"publishing to {r.name} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        old = self.builds[r.name]["old"]
        local = os.path.islink(r.store)  # a local store: the build it names now is the new one
        expected = os.path.basename(os.path.realpath(r.store)) if local else None

        def answers_new():
            build = health_build(r)
            return build if build is not None and build != old and (expected is None or build == expected) else None
        new = wait_for(f"{r.name}'s /healthz to name the new build", answers_new, self.timeout_s)
        wait_for(f"haproxy to see {r.name} healthy", lambda: stats(self.sock, self.backend)[r.name]["status"] == "DRAIN",
                 self.timeout_s)
        self.builds[r.name]["new"] = new
        self.say(f"{r.name}: answers from {new} (was {old})")


def _replica(spec: str) -> Replica:
    name, sep, store = spec.partition("=")
    if not sep or not name or not store:
        raise argparse.ArgumentTypeError(f"expected NAME=STORE, got {spec!r}")
    return Replica(name, store)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", required=True, help="HAProxy's runtime (admin) socket")
    parser.add_argument("--backend", default="plankg", help="the backend of the replicas (default: plankg)")
    parser.add_argument("--replica", dest="replicas", action="append", type=_replica, required=True,
                        metavar="NAME=STORE", help="a server of the backend and its store; in rollout order, two or more")
    parser.add_argument("--publish", default="plankg build --store {store}",
                        help="command publishing the new build to a replica ({store}, {name}); no shell")
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait for each step, in seconds (default 120)")
    args = parser.parse_args(argv)
    if len(args.replicas) < 2:
        parser.error("a rollout without mixed answers needs two replicas or more (one keeps serving)")
    rollout = Rollout(args.socket, args.backend, args.replicas, args.publish, args.timeout)
    try:
        rollout.run()
    except (RolloutError, OSError, subprocess.TimeoutExpired) as e:
        print(f"rollout: {e}", file=sys.stderr)
        return 1
    print(json.dumps({"seconds": round(time.monotonic() - rollout.t0, 3), "builds": rollout.builds,
                      "steps": rollout.steps}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
