# bounce: delivery status notifications (issue 4: the bounce service and
# qmgr's notifications; doc/bounces.md).
posthorn_gtest(bounce_message_test)
posthorn_pytest(bounce_dsn 120)
posthorn_pytest(bounce_durability 180)
