# tools: the scaffold of the administrator's and users' commands
# (tools/command.h) and each command's usage errors.
posthorn_gtest(command_test)
posthorn_gtest(dmarc_aggregate_test)
posthorn_gtest(tls_report_test)
# posthorn dns: the records printed, then checked against NSD with each
# one missing or wrong in turn.
posthorn_pytest(dns_command 180)
# logs_readers: pflogsumm and fail2ban-regex read our log as they read Postfix's.
posthorn_pytest(logs_readers 300)
