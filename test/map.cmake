# map: table sources, hash tables, atomic rebuild under concurrent readers,
# `posthorn map` and newaliases.
posthorn_gtest(map_test)
posthorn_gtest(map_command_test)
# texthash:, inline:, cidr:, regexp:, pcre:, pgsql: settings.
posthorn_gtest(map_types_test)
# pgsql: against a real PostgreSQL server, through posthorn map and mapd.
posthorn_pytest(map_pgsql 120)
