// config_defaults - the built-in parameter table: every known posthorn.conf
// name, its type and its default (Postfix names and defaults wherever the
// concept is the same). posthorn.conf(5) documents each row; keep them in step.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <unordered_map>

#include "lib/config/config.h"

#ifndef POSTHORN_CONFIG_DIR
#define POSTHORN_CONFIG_DIR "/etc/mail"
#endif
#ifndef POSTHORN_DAEMON_DIR
#define POSTHORN_DAEMON_DIR "/usr/libexec/posthorn"
#endif
#ifndef POSTHORN_COMMAND_DIR
#define POSTHORN_COMMAND_DIR "/usr/sbin"
#endif
#ifndef POSTHORN_VERSION
#define POSTHORN_VERSION "0"
#endif

namespace posthorn::config {

namespace {

std::string computeConfigDirectory(const Config& cfg) {
  return cfg.configDir().empty() ? defaultConfigDir() : cfg.configDir();
}

std::string computeMyhostname(const Config&) { return hostFqdn(); }

// mydomain follows the effective myhostname, so a site that sets only
// myhostname gets the matching domain. myhostname = $mydomain with mydomain
// unset would recurse through this function; the guard reports that loop.
thread_local bool computingMydomain = false;

std::string computeMydomain(const Config& cfg) {
  if (computingMydomain) {
    throw ConfigError(cfg.origin("myhostname").describe() +
                      ": parameter expansion loop: mydomain -> myhostname -> mydomain");
  }
  struct Guard {
    Guard() { computingMydomain = true; }
    ~Guard() { computingMydomain = false; }
  } guard;
  const std::string host = cfg.get("myhostname");
  const std::size_t dot = host.find('.');
  if (dot == std::string::npos || dot + 1 >= host.size()) return "localdomain";
  return host.substr(dot + 1);
}

using T = ParamType;

const std::vector<ParamInfo> kParameters = {
    // Files and users
    {"config_directory", "", T::String, computeConfigDirectory},
    {"daemon_directory", POSTHORN_DAEMON_DIR, T::String},
    {"command_directory", POSTHORN_COMMAND_DIR, T::String},
    {"queue_directory", "/var/spool/posthorn", T::String},
    {"data_directory", "/var/lib/posthorn", T::String},
    {"process_id_directory", "pid", T::String},
    {"mail_owner", "posthorn", T::String},
    {"setgid_group", "postdrop", T::String},

    // Identity
    {"myhostname", "", T::String, computeMyhostname},
    {"mydomain", "", T::String, computeMydomain},
    {"myorigin", "$myhostname", T::String},
    {"mydestination", "$myhostname, localhost.$mydomain, localhost", T::List},
    {"mynetworks", "127.0.0.0/8 [::1]/128", T::List},
    {"inet_interfaces", "all", T::List},
    {"inet_protocols", "all", T::List},
    {"mail_name", "posthorn", T::String},
    {"mail_version", POSTHORN_VERSION, T::String},

    // Logging
    {"syslog_name", "posthorn", T::String},
    {"syslog_facility", "mail", T::String},
    {"maillog_file", "", T::String},
    {"debug_peer_level", "2", T::Int},
    {"debug_peer_list", "", T::List},

    // Processes
    {"default_process_limit", "100", T::Int},
    {"max_use", "100", T::Int},
    {"max_idle", "100s", T::Time},
    {"ipc_timeout", "3600s", T::Time},
    {"daemon_timeout", "18000s", T::Time},
    {"service_throttle_time", "60s", T::Time},

    // Tables
    {"alias_maps", "hash:$config_directory/aliases", T::List},
    {"alias_database", "hash:$config_directory/aliases", T::List},
    {"virtual_alias_maps", "", T::List},
    {"virtual_alias_domains", "$virtual_alias_maps", T::List},
    {"virtual_mailbox_domains", "$virtual_mailbox_maps", T::List},
    {"virtual_mailbox_maps", "", T::List},
    {"canonical_maps", "", T::List},
    {"sender_canonical_maps", "", T::List},
    {"recipient_canonical_maps", "", T::List},
    {"canonical_classes", "envelope_sender, envelope_recipient, header_sender, header_recipient",
     T::List},
    {"masquerade_domains", "", T::List},
    {"masquerade_exceptions", "", T::List},
    {"masquerade_classes", "envelope_sender, header_sender, header_recipient", T::List},
    {"propagate_unmatched_extensions", "canonical, virtual", T::List},
    {"virtual_alias_recursion_limit", "1000", T::Int},
    {"virtual_alias_expansion_limit", "1000", T::Int},
    {"transport_maps", "", T::List},
    {"proxy_read_maps",
     "$alias_maps $virtual_alias_maps $virtual_alias_domains $virtual_mailbox_maps "
     "$virtual_mailbox_domains $transport_maps $relay_domains $canonical_maps "
     "$sender_canonical_maps $recipient_canonical_maps $smtpd_sender_login_maps "
     "$smtpd_client_restrictions $smtpd_helo_restrictions $smtpd_sender_restrictions "
     "$smtpd_relay_restrictions $smtpd_recipient_restrictions $smtpd_data_restrictions "
     "$smtpd_end_of_data_restrictions $rbl_reply_maps",
     T::List},
    {"parent_domain_matches_subdomains",
     "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,"
     "qmqpd_authorized_clients,relay_domains,smtpd_access_maps",
     T::List},

    // Routing and delivery
    {"relay_domains", "", T::List},
    {"relayhost", "", T::String},
    {"proxy_interfaces", "", T::List},
    {"local_transport", "local:$myhostname", T::String},
    {"virtual_transport", "local", T::String},
    {"relay_transport", "smtp", T::String},
    {"default_transport", "smtp", T::String},
    {"recipient_delimiter", "", T::String},
    {"home_mailbox", "", T::String},
    {"local_junk_folder", "Junk", T::String},
    {"mailbox_size_limit", "51200000", T::Size},
    {"dns_servers", "", T::List},

    // Local delivery. forward_path is read with $name expansion like every
    // value, so the default keeps $home for local(8) by writing $$home.
    {"mail_spool_directory", "/var/mail", T::String},
    {"forward_path", "$$home/.forward", T::List},
    {"allow_mail_to_commands", "alias, forward", T::List},
    {"allow_mail_to_files", "alias, forward", T::List},
    {"default_privs", "nobody", T::String},
    {"command_time_limit", "1000s", T::Time},

    // Users and authentication (authd)
    {"auth_passwd_file", "$config_directory/passwd", T::String},
    {"virtual_mailbox_base", "", T::String},
    {"virtual_uid_maps", "", T::List},
    {"virtual_gid_maps", "", T::List},
    {"virtual_minimum_uid", "100", T::Int},

    // Queue
    {"message_size_limit", "10240000", T::Size},
    {"queue_run_delay", "300s", T::Time},
    {"minimal_backoff_time", "300s", T::Time},
    {"maximal_backoff_time", "4000s", T::Time},
    {"maximal_queue_lifetime", "5d", T::Time},
    {"bounce_queue_lifetime", "5d", T::Time},
    {"qmgr_message_active_limit", "20000", T::Int},
    {"default_destination_concurrency_limit", "20", T::Int},
    {"header_size_limit", "102400", T::Size},
    {"hopcount_limit", "50", T::Int},

    // SMTP server
    {"smtpd_banner", "$myhostname ESMTP $mail_name", T::String},
    {"smtpd_recipient_limit", "1000", T::Int},
    {"smtpd_timeout", "300s", T::Time},
    {"smtpd_hard_error_limit", "20", T::Int},
    {"smtpd_helo_required", "no", T::Bool},
    {"smtpd_peername_lookup", "yes", T::Bool},
    {"smtpd_discard_ehlo_keywords", "", T::List},
    {"smtpd_forbid_bare_newline", "normalize", T::String},
    {"smtpd_forbid_bare_newline_exclusions", "$mynetworks", T::List},
    // Per-client limits, counted by anvil(8) (smtpd_limits.h)
    {"smtpd_client_connection_count_limit", "50", T::Int},
    {"smtpd_client_connection_rate_limit", "0", T::Int},
    {"smtpd_client_message_rate_limit", "0", T::Int},
    {"smtpd_client_recipient_rate_limit", "0", T::Int},
    {"smtpd_client_new_tls_session_rate_limit", "0", T::Int},
    {"smtpd_client_auth_rate_limit", "0", T::Int},
    {"smtpd_client_event_limit_exceptions", "$mynetworks", T::List},
    {"anvil_rate_time_unit", "60s", T::Time},
    {"anvil_status_update_time", "600s", T::Time},
    // greylist(8), the greylisting policy service (greylist_policy.h)
    {"greylist_delay", "300s", T::Time},
    {"greylist_max_age", "35d", T::Time},
    {"greylist_retry_window", "2d", T::Time},
    {"greylist_auto_allowlist_clients", "5", T::Int},
    {"greylist_allowlist", "", T::List},
    // The pre-greeting test (Postfix's postscreen, done by smtpd itself)
    {"postscreen_greet_wait", "0s", T::Time},
    {"postscreen_greet_action", "drop", T::String},
    {"disable_vrfy_command", "no", T::Bool},
    {"strict_rfc821_envelopes", "no", T::Bool},
    {"relay_domains_reject_code", "554", T::Int},
    {"unknown_local_recipient_reject_code", "550", T::Int},
    {"unknown_virtual_mailbox_reject_code", "550", T::Int},
    // SMTP server access restrictions (smtpd(8), doc/smtpd-restrictions.md)
    {"smtpd_client_restrictions", "", T::List},
    {"smtpd_helo_restrictions", "", T::List},
    {"smtpd_sender_restrictions", "", T::List},
    {"smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
     T::List},
    {"smtpd_recipient_restrictions", "", T::List},
    {"smtpd_data_restrictions", "", T::List},
    {"smtpd_end_of_data_restrictions", "", T::List},
    {"smtpd_delay_reject", "yes", T::Bool},
    {"smtpd_null_access_lookup_key", "<>", T::String},
    {"access_map_reject_code", "554", T::Int},
    {"access_map_defer_code", "450", T::Int},
    {"reject_code", "554", T::Int},
    {"defer_code", "450", T::Int},
    {"invalid_hostname_reject_code", "501", T::Int},
    {"non_fqdn_reject_code", "504", T::Int},
    {"unknown_address_reject_code", "450", T::Int},
    {"unknown_client_hostname_reject_code", "450", T::Int},
    {"unknown_hostname_reject_code", "450", T::Int},
    {"maps_rbl_reject_code", "554", T::Int},
    {"rbl_reply_maps", "", T::List},
    {"smtpd_policy_service_timeout", "100s", T::Time},
    {"smtpd_policy_service_default_action", "451 4.3.5 Server configuration problem", T::String},
    {"smtpd_policy_service_try_limit", "2", T::Int},

    // SMTP server TLS
    {"smtpd_tls_security_level", "", T::String},
    {"smtpd_tls_cert_file", "", T::String},
    {"smtpd_tls_key_file", "$smtpd_tls_cert_file", T::String},
    {"smtpd_tls_protocols", ">=TLSv1.2", T::String},
    {"smtpd_tls_ciphers", "", T::String},
    {"smtpd_tls_wrappermode", "no", T::Bool},

    // SMTP server authentication and submission (issue 5: authd passdb, SASL)
    {"smtpd_sasl_auth_enable", "no", T::Bool},
    {"smtpd_tls_auth_only", "yes", T::Bool},
    {"smtpd_sasl_auth_required", "no", T::Bool},
    {"smtpd_sender_login_maps", "", T::List},
    {"smtpd_reject_sender_login_mismatch", "no", T::Bool},
    {"auth_allow_plaintext_passwords", "no", T::Bool},
    {"auth_pam_service", "", T::String},
    {"auth_failure_delay", "2s", T::String},
    {"auth_failure_delay_limit", "15s", T::String},
    {"auth_client_lockout_threshold", "10", T::Int},
    {"auth_account_lockout_threshold", "50", T::Int},
    {"auth_lockout_time", "10m", T::String},

    // DNS and the SMTP client (issue 4: lib/dns, smtp)
    {"dns_timeout", "5s", T::Time},
    {"dns_attempts", "2", T::Int},
    {"dns_trust_anchor_file", "/usr/share/dns/root.key", T::String},

    // Sender authentication of inbound mail (lib/mailauth)
    {"authserv_id", "$myhostname", T::String},
    {"dmarc_public_suffix_list", "/usr/share/publicsuffix/public_suffix_list.dat", T::String},
    {"smtpd_mailauth_checks", "yes", T::Bool},
    {"smtpd_mailauth_ignore_hosts", "$mynetworks", T::List},
    {"smtpd_mailauth_ignore_authenticated", "yes", T::Bool},
    {"smtpd_dmarc_enforce", "yes", T::Bool},
    {"smtpd_dmarc_allowlist", "", T::List},
    {"smtpd_dmarc_history", "yes", T::Bool},
    {"arc_trusted_sealers", "", T::List},

    // Outbound trust (issue 15): DKIM signing in cleanup
    {"dkim_signing_maps", "", T::String},
    {"dmarc_report_address", "postmaster@$mydomain", T::String},
    {"srs_domain", "", T::String},
    {"srs_secret_file", "$config_directory/srs.secret", T::String},
    {"srs_max_age", "21d", T::Time},
    {"arc_sealing_domain", "$mydomain", T::String},
    {"smtp_mx_random_seed", "0", T::Int},
    {"smtp_helo_name", "$myhostname", T::String},
    {"smtp_tcp_port", "smtp", T::String},
    {"smtp_connect_timeout", "30s", T::Time},
    {"smtp_helo_timeout", "300s", T::Time},
    {"smtp_starttls_timeout", "300s", T::Time},
    {"smtp_mail_timeout", "300s", T::Time},
    {"smtp_rcpt_timeout", "300s", T::Time},
    {"smtp_data_init_timeout", "120s", T::Time},
    {"smtp_data_xfer_timeout", "180s", T::Time},
    {"smtp_data_done_timeout", "600s", T::Time},
    {"smtp_rset_timeout", "20s", T::Time},
    {"smtp_quit_timeout", "300s", T::Time},
    {"smtp_mx_address_limit", "5", T::Int},
    {"smtp_mx_session_limit", "2", T::Int},
    {"smtp_connection_cache_on_demand", "yes", T::Bool},
    {"smtp_connection_cache_time_limit", "2s", T::Time},
    {"smtp_connection_reuse_count_limit", "0", T::Int},
    {"smtp_tls_security_level", "may", T::String},
    {"smtp_mta_sts", "yes", T::Bool},
    {"smtp_mta_sts_port", "443", T::Int},
    {"smtp_tls_CAfile", "", T::String},
    {"smtp_tls_CApath", "", T::String},
    {"smtp_tls_cert_file", "", T::String},
    {"smtp_tls_key_file", "$smtp_tls_cert_file", T::String},
    {"smtp_tls_protocols", ">=TLSv1.2", T::String},
    {"smtp_sasl_auth_enable", "no", T::Bool},
    {"smtp_sasl_password_maps", "", T::List},
    {"smtp_sasl_security_options", "noplaintext, noanonymous", T::List},
    {"smtp_sasl_mechanism_filter", "", T::List},

    // Bounces, delay warnings and the queue commands (issue 4: bounce, qmgr)
    {"delay_warning_time", "0h", T::Time},
    {"bounce_size_limit", "50000", T::Size},
    {"notify_classes", "resource, software", T::List},
    {"bounce_notice_recipient", "postmaster", T::String},
    {"2bounce_notice_recipient", "postmaster", T::String},
    {"qmgr_delivery_threads", "20", T::Int},
    {"local_destination_concurrency_limit", "$default_destination_concurrency_limit", T::Int},

    // Mailbox store and index (issue 6: lib/mailbox)

    // POP3 server (issue 7: popd)
    {"popd_mailbox_service", "pop3-mailbox", T::String},
    {"popd_tls_wrappermode", "no", T::Bool},
    {"popd_tls_cert_file", "", T::String},
    {"popd_tls_key_file", "$popd_tls_cert_file", T::String},
    {"popd_tls_protocols", ">=TLSv1.2", T::String},
    {"popd_tls_ciphers", "", T::String},
    {"popd_disable_plaintext_auth", "yes", T::Bool},
    {"popd_timeout", "600s", T::Time},
    {"popd_line_length_limit", "4096", T::Int},
    {"popd_max_bad_commands", "20", T::Int},

    // IMAP server (issue 8: imapd)
    {"imapd_mailbox_service", "imap-mailbox", T::String},
    {"imapd_tls_wrappermode", "no", T::Bool},
    {"imapd_tls_cert_file", "", T::String},
    {"imapd_tls_key_file", "$imapd_tls_cert_file", T::String},
    {"imapd_tls_protocols", ">=TLSv1.2", T::String},
    {"imapd_tls_ciphers", "", T::String},
    {"imapd_disable_plaintext_auth", "yes", T::Bool},
    {"imapd_login_timeout", "60s", T::Time},
    {"imapd_timeout", "30m", T::Time},
    {"imapd_max_line_length", "65536", T::Int},
    {"imapd_max_literal_size", "64m", T::Size},
    {"imapd_max_bad_commands", "20", T::Int},
    {"imapd_special_use_folders", "Drafts:\\Drafts, Sent:\\Sent, Trash:\\Trash, Junk:\\Junk, Archive:\\Archive", T::List},
};

}  // namespace

const std::vector<ParamInfo>& knownParameters() { return kParameters; }

const ParamInfo* findParameter(std::string_view name) {
  static const std::unordered_map<std::string_view, const ParamInfo*> index = [] {
    std::unordered_map<std::string_view, const ParamInfo*> m;
    for (const ParamInfo& p : kParameters) m.emplace(p.name, &p);
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::string hostFqdn() {
  static const std::string fqdn = [] {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
      return std::string("localhost");
    }
    std::string host(buf);
    if (host.find('.') != std::string::npos) return host;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) == 0 && res != nullptr) {
      if (res->ai_canonname != nullptr && std::strchr(res->ai_canonname, '.') != nullptr) {
        host = res->ai_canonname;
      }
      freeaddrinfo(res);
    }
    return host;
  }();
  return fqdn;
}

}  // namespace posthorn::config
