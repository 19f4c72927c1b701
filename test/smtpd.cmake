# smtpd: the SMTP server (smtpd(8)).
posthorn_gtest(smtpd_session_test)
posthorn_gtest(smtpd_parts_test)
posthorn_gtest(smtpd_auth_test)
posthorn_pytest(smtpd_accept 120)
posthorn_pytest(smtpd_reject 120)
posthorn_pytest(smtpd_tls_startcheck 60)
posthorn_pytest(smtpd_fcrdns 120)
posthorn_pytest(smtpd_dmarc 180)
