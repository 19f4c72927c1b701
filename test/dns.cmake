# dns: lib/dns, the resolver (libunbound): server lists, trust anchors,
# record data, MX order, and lookups against a real DNS server (nsd) on
# loopback, DNSSEC-signed zones (ldnsutils) included.
posthorn_gtest(dns_resolver_test)
posthorn_gtest(dns_nsd_test)
