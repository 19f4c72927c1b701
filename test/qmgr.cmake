# qmgr: the queue manager's own tests (issue 4: retry policy, per-destination
# concurrency, posthorn queue, durability of notifications).
posthorn_pytest(queue_commands 120)
posthorn_pytest(qmgr_concurrency 120)
posthorn_gtest(destination_limiter_test)
