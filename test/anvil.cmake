# anvil: per-client connection counts and event rates (anvil(8)); smtpd's
# use of it is tested by smtpd_limits (test/smtpd.cmake).
posthorn_gtest(anvil_table_test)
posthorn_gtest(smtpd_limits_test)
