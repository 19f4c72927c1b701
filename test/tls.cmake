# lib/tls: protocol lists, context errors, the ahead-of-time key check.
posthorn_gtest(tls_test)
