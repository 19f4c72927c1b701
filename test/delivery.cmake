# delivery: local(8) and qmgr(8) pieces that stand alone.
posthorn_gtest(alias_targets_test)
posthorn_pytest(inbound_delivery 120)
posthorn_gtest(retry_policy_test)
posthorn_pytest(inbound_local 120)
posthorn_pytest(inbound_sendmail 120)
