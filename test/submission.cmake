# submission: smtpd on 587/465 with SASL through authd's passdb (issue 5).
posthorn_pytest(submission_auth 120)
posthorn_pytest(submission_throttle 120)
posthorn_pytest(submission_pam 60)
posthorn_pytest(submission_mailauth 120)
