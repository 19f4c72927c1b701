# imapd SEARCH keys and IMAP dates (issue 8).
posthorn_gtest(imap_search_test)
