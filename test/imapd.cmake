# imapd: the IMAP server (issue 8); so far its command parser and mailbox names.
posthorn_gtest(imap_parser_test)
