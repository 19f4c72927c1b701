# mailauth: sender authentication of inbound mail (lib/mailauth): SPF
# against pyspf and DKIM against dkimpy on the same DNS, the
# Authentication-Results field; DKIM signing of outbound mail.
posthorn_gtest(auth_results_test)
posthorn_gtest(from_domain_test)
posthorn_gtest(canonical_body_test)
posthorn_gtest(dmarc_history_test)
posthorn_gtest(dkim_signing_table_test)
posthorn_gtest(arc_test)
posthorn_pytest(spf_pyspf 300)
posthorn_pytest(dkim_dkimpy 300)
posthorn_pytest(dkim_keygen 180)
posthorn_pytest(dkim_sign 240)
posthorn_pytest(dmarc_policy 300)
posthorn_pytest(dmarc_reports 300)
posthorn_pytest(arc_forward 240)
