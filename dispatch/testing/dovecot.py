"""A throw-away Dovecot IMAP server on 127.0.0.1 for tests and benchmarks.

``start_dovecot(users={"dispatch@example.test": "secret"}, folders=("Sent",))`` writes a rootless
config into a temp dir, starts ``dovecot -F`` on a free port, waits until it answers and returns a
:class:`DovecotServer`; ``stop()`` shuts it down and removes everything. Seed mail with
``server.append(user, folder, raw_bytes)`` (IMAP APPEND). Running as root, the mail processes run
as ``nobody`` (Dovecot refuses uid 0); otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dispatch.testing.postgres import free_port

DOVECOT_BIN = "/usr/sbin/dovecot"

_CONFIG = """\
instance_name = dispatch_test_{port}
base_dir  = {root}/run
state_dir = {root}/state
log_path  = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user  = {user}
default_internal_group = {group}
default_login_user     = {user}
first_valid_uid = 1
first_valid_gid = 1
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


def available() -> bool:
    """True when the Dovecot binary is installed."""
    return Path(DOVECOT_BIN).exists()


@dataclass
class DovecotServer:
    """A running Dovecot; ``users`` maps login → password."""

    root: Path
    port: int
    users: dict[str, str]
    process: subprocess.Popen[bytes]
    run_as: str | None = None
    host: str = "127.0.0.1"
    folders: tuple[str, ...] = field(default_factory=tuple)
    tls_port: int = 0
    certificate: Path | None = None

    def connect(self, user: str | None = None) -> imaplib.IMAP4:
        """A logged-in imaplib client for ``user`` (the first user by default)."""
        login = user or next(iter(self.users))
        client = imaplib.IMAP4(self.host, self.port, timeout=30)
        client.login(login, self.users[login])
        return client

    def append(self, folder: str, messages: Iterable[bytes], user: str | None = None) -> int:
        """APPEND raw messages to ``folder``; returns how many were appended."""
        client = self.connect(user)
        count = 0
        try:
            for raw in messages:
                typ, data = client.append(_quote(folder), None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND to {folder} failed: {data!r}")
                count += 1
        finally:
            with contextlib.suppress(Exception):
                client.logout()
        return count

    def deliver(self, folder: str, messages: Iterable[bytes], user: str | None = None) -> int:
        """Drop messages straight into the folder's Maildir ``new/`` (fast bulk seeding);
        Dovecot assigns UIDs when the folder is next opened."""
        base = self.maildir(user)
        target = base if folder.upper() == "INBOX" else base / f".{folder}"
        for sub in ("cur", "new", "tmp"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        owner = pwd.getpwnam(self.run_as) if self.run_as else None
        count = 0
        stamp = int(time.time())
        for count, raw in enumerate(messages, start=1):
            path = target / "new" / f"{stamp}.M{count}P{os.getpid()}.seed"
            path.write_bytes(raw)
            if owner:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        if owner:
            for path in [base, *base.rglob("*")]:
                if path.is_dir():
                    os.chown(path, owner.pw_uid, owner.pw_gid)
        return count

    def maildir(self, user: str | None = None) -> Path:
        """The user's Maildir on disk (for snapshots)."""
        return self.root / "home" / (user or next(iter(self.users))) / "Maildir"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _quote(folder: str) -> str:
    """A quoted IMAP mailbox name (modified UTF-7 for non-ASCII names)."""
    if not folder.isascii():
        from imap_tools.imap_utf7 import utf7_encode

        folder = utf7_encode(folder).decode("ascii")
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mailboxes(folders: Iterable[str]) -> str:
    out = []
    for name in folders:
        is_sent = name.lower().startswith("sent") or name == "Отправленные"
        special = "  special_use = \\Sent\n" if is_sent else ""
        out.append(f'  mailbox "{name}" {{\n{special}    auto = subscribe\n  }}\n')
    return "".join(out)


def _self_signed(root: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (``server.certificate`` is the CA to trust)."""
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def start_dovecot(
    users: dict[str, str] | None = None,
    folders: Iterable[str] = ("Sent",),
    timeout: float = 20.0,
    tls: bool = False,
) -> DovecotServer:
    """Start Dovecot on a free 127.0.0.1 port with ``users`` and auto-created ``folders``.

    With ``tls=True`` it also listens for IMAPS on ``server.tls_port`` with a self-signed
    certificate for 127.0.0.1 (``server.certificate``).
    """
    if not available():
        raise RuntimeError("Dovecot is not installed (apt-get install dovecot-imapd)")
    users = users or {"dispatch@example.test": "secret"}
    folders = tuple(folders)
    root = Path(tempfile.mkdtemp(prefix="dispatch-dovecot-"))
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    run_as = None
    if os.geteuid() == 0:
        run_as = "nobody"
    account = pwd.getpwnam(run_as) if run_as else pwd.getpwuid(os.getuid())
    group = _group_name(account.pw_gid)
    port = free_port()
    tls_port, certificate, ssl = 0, None, "ssl = no"
    if tls:
        tls_port = free_port()
        certificate, key = _self_signed(root)
        ssl = f"ssl = yes\nssl_cert = <{certificate}\nssl_key = <{key}"
    config = root / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            root=root,
            port=port,
            user=account.pw_name,
            group=group,
            mailboxes=_mailboxes(folders),
            ssl=ssl,
            tls_port=tls_port,
        )
    )
    if run_as:
        os.chmod(root, 0o755)  # noqa: S103 - the unprivileged server must enter it
        for path in [root, *root.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
    cmd = [DOVECOT_BIN, "-F", "-c", str(config)]
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    server = DovecotServer(
        root, port, dict(users), process, run_as, folders=folders, tls_port=tls_port,
        certificate=certificate,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log()
            server.stop()
            raise RuntimeError(f"Dovecot exited with {process.returncode}: {log[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return server
        time.sleep(0.05)
    log = server.log()
    server.stop()
    raise RuntimeError(f"Dovecot did not answer on port {port}: {log[-2000:]}")


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
