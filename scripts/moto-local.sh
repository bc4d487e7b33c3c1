#!/usr/bin/env bash
# moto-local.sh: a local DynamoDB (and S3) emulator for tests, from moto's
# server (Apache-2.0, PyPI moto[server]) in a dedicated virtualenv.
#
#   scripts/moto-local.sh install      create .cache/moto-venv with the pinned moto
#   scripts/moto-local.sh start DIR    start moto_server on a free loopback port
#                                      (pid file + log in DIR) and print
#                                      ORRERY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
#   scripts/moto-local.sh stop DIR     stop it and remove DIR
#
# moto serves requests on threads without a lock around its backends, so two
# concurrent conditional writes (or transactions) can both pass their
# conditions: DynamoDB itself never allows that. `start` therefore runs
# moto_server's own main() with its WSGI app wrapped in one global lock:
# the same server and flags (-H, -p), with requests applied one at a time.
set -euo pipefail

MOTO_VERSION=5.2.5
# Key dependencies pinned to the versions moto 5.2.5 was verified with.
PINS=(
  "moto[server]==${MOTO_VERSION}"
  "boto3==1.44.8" "botocore==1.44.8" "Flask==3.1.3" "flask-cors==6.0.5"
  "Werkzeug==3.1.9" "Jinja2==3.1.6" "responses==0.26.3" "cryptography==50.0.2"
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.cache/moto-venv"
PY="${PYTHON:-python3}"

die() { echo "moto-local: $*" >&2; exit 1; }

installed_version() {
  [ -x "${VENV}/bin/python" ] || return 1
  "${VENV}/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null
}

cmd_install() {
  if [ "$(installed_version || true)" = "${MOTO_VERSION}" ] && [ -x "${VENV}/bin/moto_server" ]; then
    echo "moto-local: moto ${MOTO_VERSION} already installed in ${VENV}" >&2
    return 0
  fi
  mkdir -p "${ROOT}/.cache"
  rm -rf "${VENV}"
  "${PY}" -m venv "${VENV}"
  "${VENV}/bin/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
  [ "$(installed_version)" = "${MOTO_VERSION}" ] || die "install did not yield moto ${MOTO_VERSION}"
  echo "moto-local: installed moto ${MOTO_VERSION} in ${VENV}" >&2
}

free_port() {
  "${PY}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# write_launcher writes moto_server's entry point with a serializing lock.
write_launcher() {
  cat >"$1" <<'PY'
import threading
import moto.server as server

_lock = threading.Lock()
_Dispatcher = server.DomainDispatcherApplication


class SerialDispatcher(_Dispatcher):
    """Applies one request at a time, so conditional writes are atomic."""

    def __call__(self, environ, start_response):
        with _lock:
            return list(super().__call__(environ, start_response))


server.DomainDispatcherApplication = SerialDispatcher
server.main()
PY
}

cmd_start() {
  local dir="${1:-}"
  [ -n "${dir}" ] || die "usage: $0 start DIR"
  [ -x "${VENV}/bin/moto_server" ] || die "moto is not installed: run $0 install"
  mkdir -p "${dir}"
  if [ -f "${dir}/moto.pid" ] && kill -0 "$(cat "${dir}/moto.pid")" 2>/dev/null; then
    die "already running (pid $(cat "${dir}/moto.pid")); stop it first"
  fi
  local port
  for _ in 1 2 3; do
    port="$(free_port)"
    write_launcher "${dir}/moto_server_serial.py"
    nohup "${VENV}/bin/python" "${dir}/moto_server_serial.py" -H 127.0.0.1 -p "${port}" >"${dir}/moto.log" 2>&1 &
    echo $! >"${dir}/moto.pid"
    echo "${port}" >"${dir}/moto.port"
    for _ in $(seq 1 100); do
      if ! kill -0 "$(cat "${dir}/moto.pid")" 2>/dev/null; then
        break # exited (port taken?): try another port
      fi
      if curl -s -o /dev/null "http://127.0.0.1:${port}/moto-api/" 2>/dev/null; then
        echo "ORRERY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:${port}"
        return 0
      fi
      sleep 0.1
    done
    kill "$(cat "${dir}/moto.pid")" 2>/dev/null || true
  done
  die "moto_server did not answer; see ${dir}/moto.log"
}

cmd_stop() {
  local dir="${1:-}"
  [ -n "${dir}" ] || die "usage: $0 stop DIR"
  if [ -f "${dir}/moto.pid" ]; then
    local pid
    pid="$(cat "${dir}/moto.pid")"
    if kill -0 "${pid}" 2>/dev/null; then
      kill "${pid}" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
      kill -9 "${pid}" 2>/dev/null || true
    fi
  fi
  rm -rf "${dir}"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
