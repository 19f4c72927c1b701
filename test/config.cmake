# config: posthorn.conf and master.conf parsing, `posthorn conf` and `check`,
# the logical-line reader they share with table sources, and every default
# written once.
posthorn_gtest(config_test)
posthorn_gtest(master_conf_test)
posthorn_gtest(logical_lines_test)
posthorn_gtest(config_defaults_test)
posthorn_gtest(ascii_test)
