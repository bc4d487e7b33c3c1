#!/usr/bin/env bash
# postgres-local.sh: a throwaway PostgreSQL cluster for the store tests, from
# Debian's postgresql package (no Docker on these machines).
#
#   scripts/postgres-local.sh install     apt-get install postgresql unless an
#                                         initdb is already there
#   scripts/postgres-local.sh start DIR   initdb a cluster in DIR (trust auth,
#                                         fsync off, 127.0.0.1 on a free port,
#                                         socket in DIR), create orrery_test and
#                                         print ORRERY_TEST_POSTGRES_URL=...
#   scripts/postgres-local.sh stop DIR    stop it (immediate) and remove DIR
#
# Everything but the one URL line goes to stderr, so callers can write
#   eval "export $(scripts/postgres-local.sh start /tmp/pg)"
set -euo pipefail

die() { echo "postgres-local: $*" >&2; exit 1; }

# MARKER marks a DIR this script created, the only kind it will delete.
MARKER=.postgres-local

# pg_bin prints the bin directory of the newest installed server.
pg_bin() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [ -n "${d}" ] && [ -x "${d}/initdb" ] || return 1
  echo "${d}"
}

cmd_install() {
  if pg_bin >/dev/null; then
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale or absent on a fresh machine: update only
  # when the first try fails, so a warm machine never waits for it.
  if ! apt-get install -y -qq postgresql >/dev/null 2>&1; then
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
  pg_bin >/dev/null || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
  echo "postgres-local: installed $(pg_bin)" >&2
}

# as_postgres runs a command as the postgres OS user: initdb and the server
# refuse to run as root, and CI runs as root.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  # Ask the kernel for a free port; python3 is on every machine of this kind,
  # and a bash fallback keeps the script working where it is not.
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    echo $((20000 + RANDOM % 20000))
  fi
}

cmd_start() {
  local dir="${1:-}"
  [ -n "${dir}" ] || die "usage: $0 start DIR"
  local bin
  bin="$(pg_bin)" || die "PostgreSQL is not installed: run $0 install"
  if [ -f "${dir}/data/postmaster.pid" ]; then
    die "a cluster is already running in ${dir}; stop it first"
  fi
  # DIR is wiped: only when it is ours from an earlier run, or empty.
  if [ -d "${dir}" ] && [ ! -f "${dir}/${MARKER}" ] && [ -n "$(ls -A "${dir}")" ]; then
    die "${dir} exists and is not a postgres-local directory; refusing to wipe it"
  fi
  rm -rf "${dir}"
  mkdir -p "${dir}"
  touch "${dir}/${MARKER}"
  dir="$(cd "${dir}" && pwd)"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "${dir}"
  fi
  # The server must be able to reach its socket directory through every
  # parent: /tmp is fine, but a DIR under /root would not be.
  as_postgres test -w "${dir}" || die "the postgres user cannot write ${dir}; choose a DIR under /tmp"

  as_postgres "${bin}/initdb" -D "${dir}/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"${dir}/initdb.log" 2>&1 || { cat "${dir}/initdb.log" >&2; die "initdb failed"; }

  local port attempt started=0
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # Throwaway settings: no durability (fsync, full pages), loopback only,
    # the socket kept inside DIR so nothing touches /var/run/postgresql.
    if as_postgres "${bin}/pg_ctl" -D "${dir}/data" -l "${dir}/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
    # Most likely the port was taken between choosing and binding it.
    echo "postgres-local: start on port ${port} failed (attempt ${attempt}), retrying" >&2
  done
  if [ "${started}" != 1 ]; then
    cat "${dir}/server.log" >&2 || true
    die "the server did not start"
  fi
  echo "${port}" >"${dir}/port"

  local i
  for i in $(seq 1 100); do
    if as_postgres "${bin}/pg_isready" -q -h 127.0.0.1 -p "${port}" -U postgres; then
      break
    fi
    [ "${i}" = 100 ] && die "the server never became ready on port ${port}"
    sleep 0.1
  done
  as_postgres "${bin}/psql" -q -h 127.0.0.1 -p "${port}" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE orrery_test" >&2 || die "could not create orrery_test"
  echo "ORRERY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:${port}/orrery_test?sslmode=disable"
}

cmd_stop() {
  local dir="${1:-}"
  [ -n "${dir}" ] || die "usage: $0 stop DIR"
  [ -d "${dir}" ] || return 0
  [ -f "${dir}/${MARKER}" ] || die "${dir} is not a postgres-local directory; refusing to remove it"
  local bin
  if [ -f "${dir}/data/postmaster.pid" ] && bin="$(pg_bin)"; then
    as_postgres "${bin}/pg_ctl" -D "${dir}/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "${dir}"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
