# inbound: acceptance tests for the whole inbound path (smtpd, cleanup, qmgr,
# local) under load and while its workers are killed (issue 3).
posthorn_pytest(inbound_load 180)
posthorn_pytest(inbound_durability 300)
posthorn_pytest(srs_forward 180)
