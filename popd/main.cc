// popd - the POP3 server (see popd(8))
//
// One program, two stages, as Dovecot splits pop3-login and pop3:
//   pop3          inet  n - y - - popd            login stage: chrooted,
//   pop3s         inet  n - y - - popd -o popd_tls_wrappermode=yes   as mail_owner
//   pop3-mailbox  unix  - n n - - popd mailbox    mailbox stage: root until
//                                                 it becomes the user
// Both serve one client at a time per process; the blocking calls to
// authd hold up nobody else. main() itself is lib/login/two_stage_main.h.
#include "lib/login/two_stage_main.h"
#include "popd/pop3_login.h"
#include "popd/pop3_mailbox_stage.h"
#include "popd/pop3_settings.h"

int main(int argc, char** argv) {
  using namespace posthorn;
  return stage::twoStageMain<popd::Settings, popd::LoginContext>(
      argc, argv, {"popd", popd::serveLogin, popd::serveMailbox});
}
