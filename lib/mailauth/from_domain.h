// from_domain - the RFC5322.From domain DMARC is about (RFC 7489 section 6.6.1)
//
//   std::optional<std::string> d = mailauth::fromDomain(message, &why);
//   // "example.org" for "From: Alice <Alice@Example.ORG>"
//
// nullopt, with why, when there is no From field, more than one, or its
// addresses name different domains (or none): DMARC then has no single
// author domain to evaluate.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace posthorn::mailauth {

std::optional<std::string> fromDomain(std::string_view message, std::string* why);

}  // namespace posthorn::mailauth
