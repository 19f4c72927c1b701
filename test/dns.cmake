# dns: lib/dns, the resolver (issue 4): wire format, server lists, MX order,
# and lookups against scripted and real (nsd) DNS servers on loopback.
posthorn_gtest(dns_message_test)
posthorn_gtest(dns_resolver_test)
posthorn_gtest(dns_nsd_test)
