"""Keep a query-evaluating process off the network: a seccomp filter, the second wall.

pyoxigraph evaluates ``SERVICE <http://…>`` in queries and ``LOAD <http://…>`` in updates with
its own HTTP client: a plain TCP connect from the thread that evaluates. :mod:`plankg.sparql.guard` refuses
those unless the target is on ``FEDERATION_ALLOWLIST`` (empty by default). :func:`forbid_network`
is there for the day the guard lets one through by mistake: it installs a seccomp filter on
every thread of the process (``SECCOMP_FILTER_FLAG_TSYNC``), inherited by any process it
starts, under which

* ``socket()`` fails with EACCES for every address family but ``AF_UNIX``: no TCP, no UDP (so
  no DNS look-up either), no raw, packet or netlink socket;
* ``io_uring_setup()`` fails with ENOSYS (io_uring can create sockets without ``socket()``);
* a system call of another ABI (i386 through ``int 0x80``, x32) fails with ENOSYS, since the
  filter's numbers are those of the native ABI; nothing in a 64-bit Python process makes one;

and everything else is allowed. Sockets the process already holds keep working: a gunicorn
worker's listening sockets come from the arbiter, and ``accept()`` is not ``socket()``. Unix
sockets stay open to it (a service listening on one on this machine could still be reached by
code that asked for it; pyoxigraph's HTTP client speaks TCP only). A
filter cannot be removed; it holds until the process ends. It needs no privilege: it first
sets ``no_new_privs`` (the process and its children can no longer gain privileges through
``execve`` of a set-user-ID program), which the kernel asks of an unprivileged caller.

Under ``plankg serve`` each gunicorn worker installs it at start when the allowlist is empty
(:meth:`plankg.server.serving.worker.PlankgWorker.load_wsgi`) and says so in the log; with an allowlist the worker
must reach those targets and goes without. The Flask dev server (``--dev``) goes without too.
The filter adds a few BPF instructions to each system call; a query on a connection's thread
makes one, an HTTP request about a dozen (what that costs: bench/RESULTS.md, "Sandbox").

The filter is a classic BPF program written here, for x86_64 and aarch64 (about a dozen
instructions; it checks ``seccomp_data.arch`` and, on x86_64, the x32 bit), through ``prctl``
and the ``seccomp`` system call by :mod:`ctypes`. libseccomp (or its Python bindings) would
need a system library that slim images may lack, for a program this small. On another
architecture, on a kernel without seccomp, or where a container's policy forbids the call,
:func:`forbid_network` logs a warning once and returns False: the guard is then the only wall.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import platform
import sys
import threading
from dataclasses import dataclass

log = logging.getLogger("plankg.server")

# <linux/filter.h>: classic BPF
_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x05 | 0x30 | 0x00  # BPF_JMP | BPF_JGE | BPF_K (unsigned)
_RET_K = 0x06 | 0x00  # BPF_RET | BPF_K
# <linux/seccomp.h>
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
PR_SET_NO_NEW_PRIVS = 38
AF_UNIX = 1
X32_SYSCALL_BIT = 0x40000000
# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # args[0]'s low half on a little-endian machine: the kernel reads an int


@dataclass(frozen=True)
class Abi:
    """What the filter needs to know of one architecture (<linux/audit.h>, its syscall table)."""

    audit_arch: int
    seccomp: int
    socket: int
    io_uring_setup: int
    x32: bool  # x86_64: system calls with X32_SYSCALL_BIT set are another ABI under the same arch


ABIS = {
    "x86_64": Abi(audit_arch=0xC000003E, seccomp=317, socket=41, io_uring_setup=425, x32=True),
    "aarch64": Abi(audit_arch=0xC00000B7, seccomp=277, socket=198, io_uring_setup=425, x32=False),
}

_lock = threading.Lock()
_state: bool | None = None  # None: not tried in this process (a forked child inherits both filter and state)


class _Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Insn))]


def native_abi() -> Abi | None:
    """This process's ABI, if the filter knows it (a 64-bit little-endian Linux process)."""
    if not sys.platform.startswith("linux") or sys.maxsize <= 2**32 or sys.byteorder != "little":
        return None
    return ABIS.get(platform.machine())


def program(abi: Abi) -> list[tuple[int, int, int, int]]:
    """The filter, as (code, jt, jf, k) instructions; a jump skips jt/jf instructions."""
    other_abi = SECCOMP_RET_ERRNO | errno.ENOSYS
    prog = [
        (_LD_W_ABS, 0, 0, _ARCH),
        (_JEQ_K, 1, 0, abi.audit_arch),
        (_RET_K, 0, 0, other_abi),
        (_LD_W_ABS, 0, 0, _NR),
    ]
    if abi.x32:
        prog += [(_JGE_K, 0, 1, X32_SYSCALL_BIT),
                 (_RET_K, 0, 0, other_abi)]
    prog += [
        (_JEQ_K, 0, 4, abi.socket),  # not socket(): on to io_uring_setup
        (_LD_W_ABS, 0, 0, _ARG0_LOW),  # the address family
        (_JEQ_K, 0, 1, AF_UNIX),
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        (_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EACCES),
        (_JEQ_K, 0, 1, abi.io_uring_setup),
        (_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS),
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    return prog


def forbid_network() -> bool:
    """Install the filter (see the module text) on all threads of this process; whether it is
    in place. If it cannot be, a warning says why, once per process. Idempotent."""
    global _state
    with _lock:
        if _state is None:
            reason = _install()
            _state = reason is None
            if reason is not None:
                log.warning("outbound connections are NOT blocked in process %d (%s); only the SERVICE/LOAD "
                            "guard keeps queries off the network", os.getpid(), reason)
        return _state


def network_forbidden() -> bool:
    """Whether :func:`forbid_network` put the filter in place in this process (or its parent)."""
    return bool(_state)


def _install() -> str | None:
    """Install the filter; None, or why it could not be."""
    abi = native_abi()
    if abi is None:
        return f"no seccomp filter for {platform.machine() or 'this machine'} ({sys.platform}, " \
               f"{'64' if sys.maxsize > 2**32 else '32'}-bit Python)"
    insns = program(abi)
    array = (_Insn * len(insns))(*(_Insn(*i) for i in insns))
    prog = _Prog(len(insns), array)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as e:
        return f"cannot load the C library: {e}"
    libc.prctl.restype = ctypes.c_int
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0),
                  ctypes.c_ulong(0)) != 0:
        return f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}"
    rc = libc.syscall(ctypes.c_long(abi.seccomp), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                      ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if rc > 0:
        return f"thread {rc} of this process has a seccomp filter of its own"
    if rc != 0:
        code = ctypes.get_errno()
        hint = {errno.ENOSYS: "this kernel has no seccomp system call",
                errno.EINVAL: "this kernel has no seccomp filters (CONFIG_SECCOMP_FILTER)"}.get(code, "")
        return f"seccomp(SET_MODE_FILTER): {os.strerror(code)}{'; ' + hint if hint else ''}"
    return None
