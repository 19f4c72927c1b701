# imapd's integration tests (issue 8): imaplib, raw sockets, mbsync and mutt
# against real imapd, authd and a Maildir (test/integration/imapd_*.py).
posthorn_pytest(imapd_basic 120)
posthorn_pytest(imapd_sessions 120)
posthorn_pytest(imapd_limits 180)
posthorn_pytest(imapd_durability 180)
posthorn_pytest(imapd_mbsync 240)
posthorn_pytest(imapd_mutt 120)
posthorn_pytest(imapd_handover 120)
posthorn_pytest(imapd_consistency 120)
