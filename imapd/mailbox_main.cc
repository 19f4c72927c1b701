// imapd-mailbox - the IMAP server's mailbox stage (see imapd(8))
//
//   imap-mailbox  unix  - n n - - imapd-mailbox
//
// One process per logged-in client, which it serves as its owner after
// imapd's login stage handed it over (imapd/imap_mailbox_stage.h). The
// login stage proxies TLS, so this program never starts it and links no
// OpenSSL: that keeps each logged-in client's process small. It accepts
// handovers only from the imapd in its own directory. main() itself is
// lib/login/two_stage_main.h.
#include "imapd/imap_mailbox_stage.h"
#include "imapd/imap_settings.h"
#include "lib/login/two_stage_main.h"

int main(int argc, char** argv) {
  using namespace posthorn;
  return stage::mailboxStageMain<imapd::Settings>(
      argc, argv, {"imapd", imapd::serveMailbox});
}
