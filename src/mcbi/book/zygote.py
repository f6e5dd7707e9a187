"""Kernels forked from a warm process, so a build imports the science stack once.

Every section notebook runs in its own Jupyter kernel, and a fresh kernel spends about
2 CPU-s importing pandas, SciPy, matplotlib, seaborn and this package before its first cell
does any work: with eight sections, about a third of a clean build's CPU. The *zygote* is
one process that imports those modules once (the modules the build's notebooks import, read
from their code cells) and then forks one child per kernel. A child becomes an ordinary
IPython kernel (ipykernel) with the connection file, working directory, environment and
standard streams that jupyter_client asked for; it shares the imported modules
copy-on-write, so it starts in a fraction of the time. Each kernel is still its own process
with its own namespace, run from the same source as a kernel started the usual way.

Fork is safe here because the zygote, before it forks, only imports: it starts no thread
(BLAS is held to one thread, as in every section's kernel), opens no ZeroMQ context and makes
no figure. It listens on a Unix socket in a private temporary folder, reaps its children,
and exits when the build stops it or the process that started it goes away.

When no zygote is running (:data:`ADDRESS_ENV` unset), or it cannot be reached, or the
kernel is not ipykernel, :class:`ZygoteKernelManager` starts the kernel the usual way.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

ADDRESS_ENV = "MCBI_KERNEL_ZYGOTE"
"""Environment variable holding the zygote's socket path while a build runs."""

_LAUNCHER = ["-m", "ipykernel_launcher"]


def launcher_arguments(cmd: Sequence[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` in a kernel command, or None when the
    command is not ``PYTHON [-X option ...] -m ipykernel_launcher ...`` (a kernel the zygote
    cannot stand in for). Interpreter ``-X`` options (e.g. ``frozen_modules=off``, which
    only the debugger needs) are dropped: the zygote's interpreter is already running."""
    cmd = list(cmd)
    for i in range(1, len(cmd) - 1):
        if cmd[i:i + 2] == _LAUNCHER:
            return cmd[i + 2:]
        if not cmd[i].startswith("-X"):
            return None
    return None

KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
                  "ipykernel.debugger", "IPython.core.interactiveshell", "psutil", "sqlite3",
                  "pdb", "comm", "myst_nb.ext.glue")
"""What an IPython kernel imports as it starts, imported by the zygote before the notebooks'
modules; with myst-nb's glue, which every section imports on its first glued value (through
:mod:`mcbi.paper.render.results`), and which brings nbformat and jsonschema."""


def notebook_imports(notebooks: Sequence[Path]) -> list[str]:
    """Top-level modules imported by the code cells of ``notebooks``, in first-seen order.

    Cells that are not valid Python (magics, shell escapes) are skipped.
    """
    seen: dict[str, None] = {}
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text("utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell.get("source", []))
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    seen.update((alias.name, None) for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    seen[node.module] = None
                    seen.update((f"{node.module}.{a.name}", None) for a in node.names)
    return list(seen)


# --------------------------------------------------------------------------- the server


def _threads() -> int:
    """Threads of this process (1 where /proc cannot tell)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _reap(*_: object) -> None:
    """Collect every finished child (SIGCHLD handler and loop step)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(request: dict, fds: list[int], listener: socket.socket, conn: socket.socket) -> None:
    """Become the kernel ``request`` describes; never returns."""
    code = 1
    try:
        listener.close()
        conn.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        cwd = request.get("cwd") or os.getcwd()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(request["env"])
        # ipykernel takes its parent from JPY_PARENT_PID when its module is imported (in the
        # zygote, before this kernel's environment existed); its parent is the zygote, which
        # exits with the build: the kernel then exits too
        parent = os.getppid()
        sys.argv = ["ipykernel_launcher", *request["args"],
                    f"--IPKernelApp.parent_handle={parent}"]
        sys.path[0] = cwd
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - a kernel that fails to start reports and exits
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def serve(address: str, notebooks: Sequence[str]) -> None:
    """Run the zygote: listen on ``address``, import, then fork a kernel per request."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)
    listener.listen(16)
    print("ready", flush=True)  # the socket exists: requests queue while we import
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in [*KERNEL_MODULES, *notebook_imports([Path(p) for p in notebooks])]:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    os.environ.pop("MPLBACKEND", None)
    if _threads() > 1:  # an import started a thread: forking now would be unsafe
        print(f"zygote: {_threads()} threads after the imports; not forking", file=sys.stderr)
        listener.close()
        return
    signal.signal(signal.SIGCHLD, _reap)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            _reap()
            continue
        with conn:
            conn.settimeout(10.0)
            try:
                data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                request = json.loads(data)
            except (OSError, ValueError):
                continue
            if request.get("op") == "stop":
                break
            pid = os.fork()
            if pid == 0:
                _child(request, fds, listener, conn)
            for fd in fds:
                os.close(fd)
            with contextlib.suppress(OSError):
                conn.send(json.dumps({"pid": pid}).encode())
    listener.close()
    _reap()


@contextlib.contextmanager
def running(root: Path, notebooks: Sequence[Path], log: Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[str | None]:
    """Start a zygote for ``notebooks`` while the block runs; yield its address.

    The address is also put in :data:`ADDRESS_ENV` of this process (and of the processes it
    starts) for the block. ``env`` is added to the zygote's environment (the kernels'
    thread limits). Yields None, and kernels start the usual way, where the platform cannot
    fork or the zygote fails to start.
    """
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        yield None
        return
    folder = tempfile.mkdtemp(prefix="mcbi-zygote-")
    address = os.path.join(folder, "socket")
    if log is not None:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcbi.book.zygote", address, *map(str, notebooks)],
        cwd=str(root), env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=out)
    ready = proc.stdout.readline().strip() == b"ready" if proc.stdout else False
    previous = os.environ.get(ADDRESS_ENV)
    if ready:
        os.environ[ADDRESS_ENV] = address
    try:
        yield address if ready else None
    finally:
        if previous is None:
            os.environ.pop(ADDRESS_ENV, None)
        else:
            os.environ[ADDRESS_ENV] = previous
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if ready:
                _send(address, {"op": "stop"}, wait_reply=False)
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if out is not subprocess.DEVNULL:
            out.close()
        with contextlib.suppress(OSError):
            os.unlink(address)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _send(address: str, request: dict, wait_reply: bool = True) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(60.0)
        sock.connect(address)
        fds = [] if request.get("op") == "stop" else [0, 1, 2]
        socket.send_fds(sock, [json.dumps(request).encode()], fds)
        if not wait_reply:
            return {}
        reply = sock.recv(4096)
    return json.loads(reply)


# --------------------------------------------------------------------------- the client


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie not yet reaped by the zygote counts as finished)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class ForkedKernel:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not _alive(self.pid):
            self.returncode = 0  # the zygote reaped it; its status is not ours to read
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ZygoteProvisioner(LocalProvisioner):
    """:class:`LocalProvisioner` that asks the build's zygote to fork the kernel."""

    async def launch_kernel(self, cmd: list[str], **kwargs):  # noqa: ANN201 - as the base
        address = os.environ.get(ADDRESS_ENV)
        args = launcher_arguments(cmd)
        if address and args is not None:
            env = kwargs.get("env") or dict(os.environ)
            request = {"args": args, "cwd": str(kwargs.get("cwd") or os.getcwd()),
                       "env": {str(k): str(v) for k, v in env.items()}}
            try:
                pid = int(_send(address, request)["pid"])
            except (OSError, ValueError, KeyError):
                pid = 0
            if pid > 0:
                self.process = ForkedKernel(pid)
                self.pid = self.pgid = pid
                self.cwd = request["cwd"]
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)


class ZygoteKernelManager(AsyncKernelManager):
    """Kernel manager for papermill/nbclient whose kernels come from the zygote."""

    async def _async_pre_start_kernel(self, **kw):  # noqa: ANN201 - as the base
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ZygoteProvisioner(kernel_id=self.kernel_id,
                                                 kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
