// imapd - the IMAP server's login stage (see imapd(8))
//
// Two stages, as Dovecot splits imap-login and imap:
//   imap          inet  n - y - - imapd            login stage: chrooted,
//   imaps         inet  n - y - - imapd -o imapd_tls_wrappermode=yes   as mail_owner
//   imap-mailbox  unix  - n n - - imapd-mailbox    mailbox stage: root until
//                                                  it becomes the user
// Both serve one client at a time per process. The mailbox stage is a
// program of its own, imapd-mailbox (imapd/mailbox_main.cc), which links
// no OpenSSL; `imapd mailbox` execs it. main() itself is
// lib/login/two_stage_main.h.
#include "imapd/imap_login.h"
#include "imapd/imap_settings.h"
#include "lib/login/two_stage_main.h"

int main(int argc, char** argv) {
  using namespace posthorn;
  return stage::twoStageMain<imapd::Settings, imapd::LoginContext>(
      argc, argv, {"imapd", imapd::serveLogin, nullptr, "imapd-mailbox"});
}
