"""The fork server: a worker that imports the framework once, then forks a child per target.

Started by `conformance.check.launch.Zygote` in the backend's environment, for backends that
declare "fork_after_import" (`backends.contract`). It imports the framework, IPython and the
child's modules, and warms the framework up with one small call; then, single-threaded, it
waits on its socket for a job with three file descriptors (the child's stdout, its message
pipe and its control pipe), forks, and replies with the child's pid; it reaps its children
and reports each exit status. A forked child starts a session of its own (so that the parent
can kill it and whatever it started), takes the descriptors as its stdout, stderr and pipes,
and runs `conformance.check.child.main`. Thread pools are kept to one thread (the launch
sets the variables), so no pool is running when the process forks.
"""

import json
import os
import select
import socket
import sys

import numpy as np


def _preload(backend_name):
    import backends
    from conformance.check import child, execute  # noqa: F401  (IPython, nbformat on first use)
    import IPython.core.interactiveshell  # noqa: F401
    import nbformat  # noqa: F401

    import tempfile

    execute.make_shell(tempfile.mkdtemp(prefix="check-ipython-"))  # each child gets a copy, empty
    backend = backends.load(backend_name)
    backend.to_numpy(backend.corr2d(backend.asarray(np.ones((3, 3), np.float32)),
                                    backend.asarray(np.ones((2, 2), np.float32))))
    return backend


def _child(job, fds):
    from conformance.check import child

    os.setsid()
    output, messages, control = fds
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    child.main(job["token"], messages, control)


def _reap(sock):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock.send(json.dumps({"exit": pid, "status": os.waitstatus_to_exitcode(status)}).encode())


def serve(sock_fd, backend_name):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=sock_fd)  # one message each
    _preload(backend_name)
    sock.send(b'{"ready": true}')
    while True:
        readable, _, _ = select.select([sock], [], [], 0.05)
        _reap(sock)
        if not readable:
            continue
        data, fds, _, _ = socket.recv_fds(sock, 65536, 3)
        if not data:  # the parent is gone: so is every job
            return
        job = json.loads(data)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(job, fds)
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"pid": pid}).encode())


def boot():
    """python -c BOOT SOCKET_FD BACKEND"""
    serve(int(sys.argv[1]), sys.argv[2])
    os._exit(0)
