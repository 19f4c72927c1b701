# smtp: the SMTP client delivery agent (issue 4), driven end to end through
# a posthorn instance, with nsd serving test zones and smtp-sink as MX hosts.
posthorn_gtest(smtp_client_test)
posthorn_pytest(smtp_mx 120)
posthorn_pytest(smtp_features 150)
posthorn_pytest(smtp_tls 90)
posthorn_pytest(smtp_relayhost 90)
posthorn_pytest(smtp_retry 90)
posthorn_pytest(smtp_bounce 90)
posthorn_pytest(smtp_dnssec 120)
posthorn_pytest(smtp_dane 240)
posthorn_pytest(smtp_mta_sts 240)
posthorn_pytest(smtp_tls_rpt 240)
