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
  libopendkim-dev libspf2-dev libopendmarc-dev libunbound-dev publicsuffix dns-root-data libdb-dev libcrypt-dev libpam0g-dev libgtest-dev cmake python3
  zlib1g-dev libxml2-dev nlohmann-json3-dev libpcre2-dev libpq-dev"
TEST_DEPS="procps swaks postgrey postfix-policyd-spf-python libnet-ssleay-perl libio-socket-ssl-perl msmtp gsasl fetchmail
  postfix dovecot-imapd dovecot-pop3d nsd ldnsutils isync mutt python3-spf python3-dkim python3-nacl python3-dnspython
  libxml2-utils libmail-dmarc-perl python3-srs postgresql pflogsumm fail2ban"

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
  # Postfix and Dovecot are only test peers (smtp-source, the benchmarks'
  # comparisons, Maildir interoperability): install them unconfigured and
  # never start them as services.
  echo "postfix postfix/main_mailer_type select No configuration" |
    as_root debconf-set-selections
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    policy=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing
  [ -z "$policy" ] || as_root rm -f /usr/sbin/policy-rc.d
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

# A config directory for a throwaway instance on unprivileged loopback
# ports: SMTP on 127.0.0.1:2525 accepting mail for the demo domain
# demo.example (user demo, a Maildir under _run/mail/demo) and for
# localhost (system users).
write_run_config() {
  mkdir -p "$run/etc" "$run/spool" "$run/log" "$run/mail"
  if [ "$(id -u)" = 0 ]; then
    owner=posthorn
    id "$owner" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  else
    owner=$(id -un)
  fi
  uid=$(id -u "$owner")
  gid=$(id -g "$owner")
  mkdir -p "$run/mail/demo"
  chown "$uid:$gid" "$run/mail/demo"
  chmod 1777 "$run/mail"
  [ -f "$run/etc/posthorn.conf" ] || cat > "$run/etc/posthorn.conf" <<CONF
# Throwaway instance made by scripts/quickstart.sh; see posthorn.conf(5).
config_directory = $run/etc
queue_directory = $run/spool
daemon_directory = $build/libexec
command_directory = $build/bin
mail_owner = $owner
inet_interfaces = 127.0.0.1
myhostname = localhost.localdomain
mydestination = localhost.localdomain, localhost
virtual_mailbox_domains = demo.example
mynetworks = 127.0.0.0/8
mail_spool_directory = $run/mail
auth_passwd_file = \$config_directory/passwd
smtpd_tls_cert_file = \$config_directory/tls/posthorn.crt
smtpd_tls_key_file = \$config_directory/tls/posthorn.key
popd_tls_cert_file = \$smtpd_tls_cert_file
popd_tls_key_file = \$smtpd_tls_key_file
imapd_tls_cert_file = \$smtpd_tls_cert_file
imapd_tls_key_file = \$smtpd_tls_key_file
maillog_file = $run/log/maillog
alias_maps = hash:\$config_directory/aliases
alias_database = hash:\$config_directory/aliases
dkim_signing_maps = \$config_directory/dkim_signing
CONF
  [ -f "$run/etc/master.conf" ] || cat > "$run/etc/master.conf" <<CONF
# service   type  private unpriv  chroot  wakeup  maxproc command + args
2525        inet  n       -       y       -       -       smtpd
cleanup     unix  n       -       y       -       0       cleanup
qmgr        unix  n       -       y       60      1       qmgr
pickup      unix  n       -       y       60      1       pickup
bounce      unix  -       -       y       -       0       bounce
showq       unix  n       -       y       -       -       showq
local       unix  -       n       n       -       -       local
smtp        unix  -       -       y       -       -       smtp
authd-userdb unix -       n       n       -       -       authd
authd-passdb unix -       n       n       -       1       authd passdb
mapd        unix  -       -       n       -       -       mapd
anvil       unix  -       -       y       -       1       anvil
5587        inet  n       -       y       -       -       smtpd
  -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_auth_required=yes -o smtpd_reject_sender_login_mismatch=yes
5465        inet  n       -       y       -       -       smtpd
  -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_auth_required=yes -o smtpd_reject_sender_login_mismatch=yes
5110        inet  n       -       y       -       -       popd
5995        inet  n       -       y       -       -       popd
  -o popd_tls_wrappermode=yes
pop3-mailbox unix -       n       n       -       -       popd mailbox
5143        inet  n       -       y       -       -       imapd
5993        inet  n       -       y       -       -       imapd
  -o imapd_tls_wrappermode=yes
imap-mailbox unix -       n       n       -       -       imapd-mailbox
CONF
  [ -f "$run/etc/passwd" ] || echo demo | "$build/bin/posthorn" -c "$run/etc" passwd \
    -u "$uid" -g "$gid" -d "$run/mail/demo" demo@demo.example >/dev/null
  [ -f "$run/etc/tls/posthorn.crt" ] ||
    "$build/bin/posthorn" -c "$run/etc" tls selfsigned >/dev/null
  # Mail from demo.example that the demo's users send is DKIM-signed
  # (RSA and ed25519); `posthorn dns` prints the records to publish.
  for algorithm in rsa ed25519; do
    [ -f "$run/etc/dkim/demo.example/demo-$algorithm.key" ] ||
      "$build/bin/posthorn" -c "$run/etc" dkim keygen -a "$algorithm" demo.example "demo-$algorithm" >/dev/null
  done
  [ -f "$run/etc/dkim_signing" ] ||
    printf 'demo.example  demo-rsa, demo-ed25519\n' > "$run/etc/dkim_signing"
  [ -f "$run/etc/aliases" ] || printf 'postmaster: demo@demo.example\n' > "$run/etc/aliases"
  "$build/bin/posthorn" -c "$run/etc" map -a "hash:$run/etc/aliases"
}

case "${1:-}" in
  run)
    install_deps
    build
    write_run_config
    echo "quickstart: starting posthorn in the foreground (Ctrl-C stops it); log: $run/log/maillog"
    echo "quickstart: send a message:  swaks --server 127.0.0.1:2525 --to demo@demo.example"
    echo "quickstart: it lands in:     $run/mail/demo/Maildir/new/"
    echo "quickstart: submission: 127.0.0.1 port 5587 (STARTTLS) or 5465 (TLS), user demo@demo.example, password demo (self-signed certificate):"
    echo "quickstart:   swaks --server 127.0.0.1:5587 --tls --auth PLAIN --auth-user demo@demo.example --auth-password demo --from demo@demo.example --to demo@demo.example"
    echo "quickstart: POP3: 127.0.0.1 port 5110 (STLS) or 5995 (TLS), same user and password"
    echo "quickstart: IMAP: 127.0.0.1 port 5143 (STARTTLS) or 5993 (TLS), same user and password"
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
