# submit: local submission. The maildrop file format (unit); sendmail,
# postdrop, pickup and showq/mailq under a real master, and mail dropped
# while the daemons are down (integration).
posthorn_gtest(maildrop_file_test)
posthorn_pytest(submit_sendmail 120)
posthorn_pytest(submit_offline 120)
posthorn_pytest(submit_user 120)
