# mapd: table lookups for chrooted workers (mapd(8), lib/proto/map_client.h).
posthorn_pytest(mapd_lookup 60)
