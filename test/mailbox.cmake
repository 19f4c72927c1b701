# mailbox: delivering one message into a Maildir (Maildir++ quota) or an
# mbox file (lib/mailbox), see doc/mailbox-delivery.md.
posthorn_gtest(maildir_writer_test)
posthorn_gtest(mbox_writer_test)
