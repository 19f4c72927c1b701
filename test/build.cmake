# The build system itself: configure's dependency checks, and the layer
# boundaries (scripts/check-layers, doc/architecture.md).
posthorn_pytest(configure_deps 300)
posthorn_pytest(layer_check 120)
