# lib/login: the login stages' shared part (popd's side is in popd.cmake).
posthorn_gtest(imap_login_test)
