"""``mqtts://``: the publisher speaks TLS to the broker and verifies its certificate (a CA of the
test's own, trusted through ``SSL_CERT_FILE`` as the system's CAs would be)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.run_helpers import free_port
from tests.worker.mqtt_helpers import own_mosquitto
from worker.notify.mqtt.broker import Broker, BrokerUnreachable, Message


def certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signed for localhost and 127.0.0.1 with its key."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "2", "-subj", "/CN=dockwatch test CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
            "server.csr", "-subj", "/CN=localhost")  # fmt: skip
    (folder / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext")  # fmt: skip
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


@pytest.mark.slow
def test_mqtts_connects_to_a_broker_whose_certificate_verifies_and_refuses_one_that_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = certificates(tmp_path)
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\ncafile {ca}\ncertfile {cert}\n"
        f"keyfile {key}\nuser root\n"
    )
    will = Message("dwtest/tls/status", "offline", retain=True)
    with own_mosquitto(port, config):
        with pytest.raises(BrokerUnreachable, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            Broker(f"mqtts://localhost:{port}").connect(will, timeout=5)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))
        connection = Broker(f"mqtts://localhost:{port}").connect(will, timeout=5)
        try:
            connection.publish([Message("dwtest/tls/hello", "1", retain=False)])
            assert connection.connected
        finally:
            connection.close()
