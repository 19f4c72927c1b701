# runtime: logging and the log service, privilege drop, the worker skeleton.
posthorn_gtest(log_test)
posthorn_gtest(privilege_test)
posthorn_gtest(server_test)
