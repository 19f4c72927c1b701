# The build system itself: configure's dependency checks.
posthorn_pytest(configure_deps 300)
