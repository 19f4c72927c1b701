# mailbox: delivering one message into a Maildir (Maildir++ quota) or an
# mbox file, the Maildir++ store and its index (lib/mailbox), see
# doc/mailbox-delivery.md and doc/mailbox-store.md.
posthorn_gtest(maildir_writer_test)
posthorn_gtest(mbox_writer_test)
posthorn_gtest(mailbox_store_test)
posthorn_gtest(mailbox_index_test)
posthorn_gtest(mailbox_property_test)
posthorn_pytest(mailbox_command_test 120)
posthorn_pytest(mailbox_dovecot_test 120)
