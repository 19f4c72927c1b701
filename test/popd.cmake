# popd: the POP3 server (popd(8)).
posthorn_gtest(pop3_session_test)
posthorn_pytest(popd_retrieve 120)
posthorn_pytest(popd_fetchmail 240)
posthorn_pytest(popd_limits 120)
posthorn_pytest(popd_dovecot 120)
