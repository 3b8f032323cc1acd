"""The kernel's Landlock LSM through its three system calls (x86_64 and aarch64), with ctypes.

A process restricts itself and every process it starts later; the rules only ever get
stricter, and no privilege is needed. Here: file access only beneath listed folders (read
and execute, or everything for the one writable folder), TCP connections only to listed
ports, no TCP bind, and (ABI 6) no signal or abstract unix socket reaching a process outside
the domain. A Landlock domain also cannot ptrace a process outside it, whatever its uid.
"""

from __future__ import annotations

import ctypes
import os
import platform

SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = (
    1 << n for n in range(4, 13)
)
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = EXECUTE | READ_FILE | READ_DIR
FILE_READ = EXECUTE | READ_FILE  # a rule on a regular file may only hold file rights


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _numbers() -> tuple[int, int, int] | None:
    return SYSCALLS.get(platform.machine())


def abi() -> int:
    """The Landlock ABI the kernel offers, 0 where there is none (or it is disabled)."""
    numbers = _numbers()
    if numbers is None:
        return 0
    version = _libc.syscall(numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


class LandlockError(OSError):
    """A ruleset could not be made or enforced."""


def _check(value: int, what: str) -> int:
    if value < 0:
        error = ctypes.get_errno()
        raise LandlockError(error, f"{what}: {os.strerror(error)}")
    return value


class Ruleset:
    """A ruleset made once (in the worker) and enforced in each child with ``enforce``."""

    def __init__(self, read: list[str], write: list[str], files: list[str], connect_ports: list[int]) -> None:
        self.abi = abi()
        if self.abi < 1:
            raise LandlockError(0, "Landlock is not available in this kernel")
        numbers = _numbers()
        assert numbers is not None
        self._add, self._restrict = numbers[1], numbers[2]
        attr = RulesetAttr(_fs_rights(self.abi), 0, 0)
        size = 8
        if self.abi >= 4:
            attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
            size = 16
        if self.abi >= 6:
            attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            size = 24
        self.fd = _check(
            _libc.syscall(numbers[0], ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)), "create ruleset"
        )
        self.rights = attr.handled_access_fs
        for path in read:
            self._path(path, READ & self.rights)
        for path in files:
            self._path(path, (FILE_READ | WRITE_FILE | (TRUNCATE if self.abi >= 3 else 0)) & self.rights)
        for path in write:
            self._path(path, self.rights)
        if self.abi >= 4:
            for port in connect_ports:
                rule = NetPortAttr(NET_CONNECT_TCP, port)
                _check(
                    _libc.syscall(self._add, self.fd, RULE_NET_PORT, ctypes.byref(rule), ctypes.c_uint32(0)),
                    f"port {port}",
                )

    def _path(self, path: str, rights: int) -> None:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # a folder this machine does not have
        try:
            if not os.path.isdir(path):
                rights &= FILE_READ | WRITE_FILE | TRUNCATE | IOCTL_DEV
            rule = PathBeneathAttr(rights, fd)
            _check(_libc.syscall(self._add, self.fd, RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)), path)
        finally:
            os.close(fd)

    def enforce(self) -> None:
        """Restrict the calling process (and all it starts) for good; needs no privilege."""
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(_libc.syscall(self._restrict, self.fd, ctypes.c_uint32(0)), "restrict self")
        os.close(self.fd)
