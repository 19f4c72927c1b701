# greylist: posthorn's greylisting policy service (greylist(8)), unit and
# through smtpd's check_policy_service.
posthorn_gtest(greylist_test)
posthorn_pytest(smtpd_greylist 180)
