# imapd: the IMAP server (issue 8): its command parser and mailbox names,
# and the mailbox stage's command table.
posthorn_gtest(imap_parser_test)
posthorn_gtest(imap_session_test)
