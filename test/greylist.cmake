# greylist: posthorn's greylisting policy service (greylist(8)) (unit tests).
posthorn_gtest(greylist_test)
