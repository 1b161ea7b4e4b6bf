"""Serves ClickHouse 26 over HTTP from PyPI's chdb-core, without root or Docker.

usage: python3 clickhouse_server.py CHDB_SO STATE_DIR HOST HTTP_PORT
env:   CLICKHOUSE_USER, CLICKHOUSE_PASSWORD (the one user HTTP clients use)

chdb-core's extension is the whole ClickHouse engine, run as clickhouse-local.
clickhouse-local starts an HTTP server on `SYSTEM START LISTEN HTTP` (reading
./config.xml), which lives as long as the query call that started it runs, so
the same call then runs a keep-alive query that never ends on its own.
SIGTERM/SIGINT kill that query (KILL QUERY over HTTP) and the engine shuts
down cleanly; exit 0. A failed start (port taken, bad config) exits 1.

chDB authenticates its own session as `default` with no password from
127.0.0.1 (hard-coded), so `default` must exist as such. It holds only the
SYSTEM LISTEN grant that the start needs: over HTTP it reads and writes
nothing. Everything else is done as CLICKHOUSE_USER, whose password is
stored hashed and checked by ClickHouse.
"""

import base64
import hashlib
import importlib.machinery
import importlib.util
import os
import re
import signal
import sys
import threading
import time
import urllib.request

KEEPALIVE_TAG = "music-pipeline-keepalive"
START = f"""SYSTEM START LISTEN HTTP;
SELECT 1 FROM numbers(1000000000000) WHERE sleepEachRow(1) != 0
SETTINGS max_block_size = 1, max_threads = 1, log_comment = '{KEEPALIVE_TAG}'"""


def log(msg):
    print(f"clickhouse_server: {msg}", file=sys.stderr, flush=True)


def config_xml(state, host, port):
    return f"""<clickhouse>
    <listen_host>{host}</listen_host>
    <http_port>{port}</http_port>
    <path>{state}/data/</path>
    <tmp_path>{state}/tmp/</tmp_path>
    <user_files_path>{state}/user_files/</user_files_path>
    <format_schema_path>{state}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
</clickhouse>
"""


def users_xml(user, password):
    digest = hashlib.sha256(password.encode()).hexdigest()
    return f"""<clickhouse>
    <profiles><default/></profiles>
    <quotas><default/></quotas>
    <users>
        <default>
            <no_password/>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
            <grants><query>GRANT SYSTEM LISTEN ON *.*</query></grants>
        </default>
        <{user}>
            <password_sha256_hex>{digest}</password_sha256_hex>
            <networks><ip>::/0</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
            <access_management>1</access_management>
            <named_collection_control>1</named_collection_control>
        </{user}>
    </users>
</clickhouse>
"""


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def load_engine(so_path):
    # Not `import chdb`: the package opens and closes an engine at import, after
    # which every ENGINE = Kafka fails with "Shutdown was called".
    loader = importlib.machinery.ExtensionFileLoader("_chdb", so_path)
    spec = importlib.util.spec_from_file_location("_chdb", so_path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def main(so_path, state, host, port):
    user = os.environ.get("CLICKHOUSE_USER", "click")
    password = os.environ.get("CLICKHOUSE_PASSWORD", "click")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", user) or user == "default":
        log(f'CLICKHOUSE_USER "{user}" must be letters, digits and _, and not "default"')
        return 1
    state = os.path.abspath(state)
    for d in ("data", "tmp", "user_files", "format_schemas"):
        os.makedirs(os.path.join(state, d), exist_ok=True)
    write(os.path.join(state, "config.xml"), config_xml(state, host, port))
    write(os.path.join(state, "users.xml"), users_xml(user, password))
    os.chdir(state)  # clickhouse-local reads ./config.xml and merges ./config.d/*.xml

    def http(sql, timeout):
        req = urllib.request.Request(f"http://{host}:{port}/", data=sql.encode(), method="POST")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.read().decode()

    engine = load_engine(so_path)
    engine.set_signal_handlers_enabled(0)  # SIGTERM/SIGINT stay with Python
    outcome = {}

    def serve():
        try:
            r = engine.query(START, "TabSeparated")  # also HTTP's default output format
            outcome["error"] = r.error_message().strip() if r.has_error() else ""
        except Exception as e:  # noqa: BLE001 - reported below
            outcome["error"] = f"{type(e).__name__}: {e}"

    server = threading.Thread(target=serve, daemon=True)
    server.start()

    stopping = threading.Event()

    def stop():
        try:
            http(
                f"KILL QUERY WHERE query LIKE '%{KEEPALIVE_TAG}%' AND query NOT LIKE '%KILL%' SYNC",
                timeout=10,
            )
        except Exception as e:  # noqa: BLE001
            log(f"could not stop the server cleanly: {e}")
            os._exit(1)

    def on_signal(signum, _frame):
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started, ready = time.monotonic(), False
    while server.is_alive():
        server.join(0.2)  # short joins, so Python runs the signal handlers
        if not ready and server.is_alive():
            try:
                ready = http("SELECT 1", timeout=1).strip() == "1"
            except Exception:  # noqa: BLE001 - not listening yet
                continue
            if ready:
                took = time.monotonic() - started
                log(f"ClickHouse answering at http://{host}:{port} after {took:.1f} s")
    # A failed statement is often reported on stderr only, so what tells a clean
    # stop from a failed start is whether the server ever answered.
    if ready:
        log("stopped")
        return 0
    log(f"failed to start: {outcome.get('error') or 'see the ClickHouse error above'}")
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
