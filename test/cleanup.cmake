# cleanup: header handling, sessions and the client library, DKIM signing
# (unit); queue files written by cleanup under a real master, and a 50 MB
# message with bounded memory (integration).
posthorn_gtest(cleanup_headers_test)
posthorn_gtest(cleanup_session_test)
posthorn_gtest(cleanup_dkim_test)
posthorn_gtest(cleanup_rewrite_test)
posthorn_pytest(virtual_alias 180)
posthorn_pytest(cleanup_queue 120)
posthorn_pytest(cleanup_big 180)
