# master and the `posthorn` lifecycle commands: real master, real workers
# (test/helpers/echo_worker), loopback only. See test/lib/posthorn_test.py.
posthorn_pytest(master_restart 60)
posthorn_pytest(master_reload 60)
posthorn_pytest(master_stop 60)
posthorn_pytest(master_lock 60)
posthorn_pytest(master_commands 60)
posthorn_pytest(master_chroot 60)
posthorn_pytest(master_maxproc 60)
posthorn_pytest(master_listen 60)
