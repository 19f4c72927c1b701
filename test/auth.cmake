# auth: authd's user database and password checks (authd(8)) and `posthorn passwd`.
posthorn_gtest(passwd_file_test)
posthorn_gtest(passwd_command_test)
posthorn_gtest(passdb_test)
posthorn_pytest(authd_userdb 60)
