#!/bin/sh
# quickstart.sh - the README's two commands.
#
#   scripts/quickstart.sh run    install build dependencies, build, and start
#                                posthorn in the foreground from _run/ with a
#                                working default config on loopback ports
#   scripts/quickstart.sh test   install dependencies, build, run the suite
#
# The build happens out of tree in _build/; _run/ is a throwaway instance
# (delete it to start afresh). Both are ignored by git.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build"
run="$top/_run"

# Build dependencies, and the real peers the integration tests talk to.
BUILD_DEPS="autoconf automake make g++ pkg-config libevent-dev libssl-dev
  libopendkim-dev libspf2-dev libdb-dev libgtest-dev cmake python3"
TEST_DEPS="procps"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  missing=""
  for p in $BUILD_DEPS $*; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "quickstart: installing$missing"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing
}

build() {
  cd "$top"
  if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
  fi
  mkdir -p "$build"
  cd "$build"
  [ -f Makefile ] || "$top/configure" -q
  make -j"$(nproc)"
}

# A config directory for a throwaway instance on unprivileged loopback ports.
write_run_config() {
  mkdir -p "$run/etc" "$run/spool" "$run/log"
  if [ "$(id -u)" = 0 ]; then
    owner=posthorn
    id "$owner" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  else
    owner=$(id -un)
  fi
  [ -f "$run/etc/posthorn.conf" ] || cat > "$run/etc/posthorn.conf" <<CONF
# Throwaway instance made by scripts/quickstart.sh; see posthorn.conf(5).
config_directory = $run/etc
queue_directory = $run/spool
daemon_directory = $build/libexec
command_directory = $build/bin
mail_owner = $owner
inet_interfaces = 127.0.0.1
myhostname = localhost.localdomain
maillog_file = $run/log/maillog
alias_maps = hash:\$config_directory/aliases
alias_database = hash:\$config_directory/aliases
CONF
  [ -f "$run/etc/master.conf" ] || cat > "$run/etc/master.conf" <<CONF
# service type  private unpriv  chroot  wakeup  maxproc command + args
mapd      unix  -       -       n       -       -       mapd
CONF
  [ -f "$run/etc/aliases" ] || printf 'postmaster: root\n' > "$run/etc/aliases"
  "$build/bin/posthorn" -c "$run/etc" map -a "hash:$run/etc/aliases"
}

case "${1:-}" in
  run)
    install_deps
    build
    write_run_config
    echo "quickstart: starting posthorn in the foreground (Ctrl-C stops it); log: $run/log/maillog"
    exec "$build/bin/posthorn" -c "$run/etc" start-fg
    ;;
  test)
    install_deps $TEST_DEPS
    build
    cd "$build"
    make check
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
