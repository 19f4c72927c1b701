# config: posthorn.conf and master.conf parsing, `posthorn conf` and `check`.
posthorn_gtest(config_test)
posthorn_gtest(master_conf_test)
