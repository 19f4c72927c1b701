# queue: queue IDs and the queue file (lib/queue_*), see doc/queue-file.md.
posthorn_gtest(queue_id_test)
posthorn_gtest(queue_record_test)
posthorn_gtest(queue_file_test)
posthorn_gtest(queue_damage_test)
posthorn_gtest(queue_update_test)
posthorn_gtest(queue_crash_test)
posthorn_gtest(queue_dirs_test)
