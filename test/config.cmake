# config: posthorn.conf and master.conf parsing, `posthorn conf` and `check`,
# and the logical-line reader they share with table sources.
posthorn_gtest(config_test)
posthorn_gtest(master_conf_test)
posthorn_gtest(logical_lines_test)
