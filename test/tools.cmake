# tools: the scaffold of the administrator's and users' commands
# (tools/command.h) and each command's usage errors.
posthorn_gtest(command_test)
