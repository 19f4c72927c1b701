# address: RFC 5321 mailboxes and paths, network lists (mynetworks), and the
# address resolver (classes and next hops over real hash tables).
posthorn_gtest(address_test)
posthorn_gtest(cidr_test)
posthorn_gtest(address_resolver_test)
posthorn_gtest(address_rewriter_test)
posthorn_gtest(srs_test)
