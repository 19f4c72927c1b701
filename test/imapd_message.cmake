# imapd message side: MIME structure, ENVELOPE, BODYSTRUCTURE, BODY[section], decoding.
posthorn_gtest(imap_message_test)
