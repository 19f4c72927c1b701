# lib/mime: reading messages (header fields, encodings, charsets, the MIME part tree).
posthorn_gtest(mime_test)
