#!/usr/bin/python3
"""Run a command on a fresh pseudo-terminal (for `docker run -it`, `ctr run -t`, ...).

usage: pty-run.py [--input TEXT] [--wait-for MARKER] [--timeout SECONDS] [--size ROWSxCOLS] -- CMD [ARGS...]

The command's stdin/stdout/stderr are the slave side of a new pty. Everything it writes to the
terminal is copied to our stdout. TEXT (with \\n escapes) is typed into the terminal once MARKER
has appeared in the output (or right away without --wait-for). The terminal's window size is
ROWSxCOLS (default 40x100). Exits with the command's exit code
(124 on timeout, after killing it).
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main() -> int:
    args = sys.argv[1:]
    text, marker, timeout, rows, cols = None, None, 60.0, 40, 100
    while args and args[0] != '--':
        opt = args.pop(0)
        if opt == '--input':
            text = args.pop(0).encode().decode('unicode_escape').encode()
        elif opt == '--wait-for':
            marker = args.pop(0).encode()
        elif opt == '--timeout':
            timeout = float(args.pop(0))
        elif opt == '--size':
            rows, cols = (int(v) for v in args.pop(0).split('x'))
        else:
            print(f'pty-run: unknown option {opt}', file=sys.stderr)
            return 2
    if not args or args[0] != '--' or len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = args[1:]

    pid, master = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
        try:
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, f'pty-run: exec {cmd[0]}: {e}\n'.encode())
        os._exit(127)

    out = bytearray()
    deadline = time.monotonic() + timeout
    sent = text is None
    timed_out = False
    while True:
        if not sent and (marker is None or marker in out):
            os.write(master, text)
            sent = True
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        r, _, _ = select.select([master], [], [], min(left, 0.2))
        if not r:
            # the child may have exited while a grandchild holds the slave open
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave fd is closed
            break
        if not chunk:
            break
        out += chunk
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    if pid:
        _, status = os.waitpid(pid, 0)
    os.close(master)
    sys.stdout.buffer.write(bytes(out))
    sys.stdout.flush()
    if timed_out:
        print('\npty-run: timeout', file=sys.stderr)
        return 124
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == '__main__':
    sys.exit(main())
