"""A local RFC 3161 authority, `openssl ts -reply` behind a loopback HTTP server: `make run`'s demonstration, and the tests'."""
from __future__ import annotations

import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from consents.timestamps import DEMO_TSA_NAME

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

TSA_EXTENSIONS = """
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
"""


def _openssl(*args: str, cwd: Path) -> None:
    """Run one openssl command, failing loudly."""
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_authority(folder: Path, name: str = "Test TSA") -> Path:
    """Create a root CA and a TSA certificate (critical timeStamping EKU) in `folder`, or keep those already there."""
    if (folder / "tsa.cnf").exists():  # tokens issued before a restart must still verify against the same CA
        return folder / "ca.crt"
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", f"/CN={name} Root",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=folder)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key",
             "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=folder)
    (folder / "ext.cnf").write_text(TSA_EXTENSIONS)
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2",
             "-days", "3650", "-extfile", "ext.cnf", "-out", "tsa.crt", cwd=folder)
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))
    return folder / "ca.crt"


class LocalTSA:
    """A running local TSA: its URL, its CA file, and a switch to make it fail."""

    def __init__(self, folder: Path, name: str = "Test TSA"):
        self.folder = folder
        self.ca_file = make_authority(folder, name)
        self.fail = False
        self.requests = 0
        lock = threading.Lock()
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                tsa.requests += 1
                if tsa.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                with lock, tempfile.TemporaryDirectory() as tmp:
                    query, reply = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
                    query.write_bytes(body)
                    _openssl("ts", "-reply", "-config", str(folder / "tsa.cnf"), "-queryfile", str(query),
                             "-out", str(reply), cwd=folder)
                    token = reply.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(token)))
                self.end_headers()
                self.wfile.write(token)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="local-tsa").start()

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


def demo_folder(instance_path: str) -> Path:
    """Where the demonstration authority keeps its keys and certificates, across restarts."""
    return Path(instance_path) / "demo-tsa"


def start_demo_tsa(instance_path: str) -> LocalTSA:
    """The demonstration authority of the embedded mode."""
    return LocalTSA(demo_folder(instance_path), name=DEMO_TSA_NAME)
