// imap_message_test_util - sample messages shared by the imap_message_test sources
#pragma once

namespace posthorn::imapd::testmsg {

// multipart/mixed: a default-typed part, a QP html part with every MIME
// field, a base64 attachment, and a message/rfc822 holding a
// multipart/alternative. LF line ends (MessageView makes them CRLF).
// Its ENVELOPE/BODYSTRUCTURE expectations were checked against Dovecot 2.3.
inline constexpr const char* kMixed =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n"
    "From: Terry Gray <gray@cac.washington.edu>\n"
    "Subject: =?utf-8?q?caf=C3=A9?= test\n"
    "To: imap@cac.washington.edu, undisclosed-recipients:;\n"
    "cc: Team: \"Ann B\" <ann@x.org>, bob@y.org;, \"Q\\\"uote\" <q@z>\n"
    "Reply-To:\n"
    "Sender: \n"
    "Message-ID: <B27397-0100000@cac.washington.edu>\n"
    "In-Reply-To: <foo@bar>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "preamble\n"
    "--XX\n"
    "\n"
    "plain default\n"
    "--XX\n"
    "Content-Type: text/html; charset=ISO-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "Content-ID: <cid1>\n"
    "Content-Description: the html\n"
    "Content-Language: en, de\n"
    "Content-Location: http://x/y\n"
    "\n"
    "<b>caf=E9</b>\n"
    "--XX\n"
    "Content-Type: application/octet-stream; name=\"a b.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment; filename=\"a b.bin\"\n"
    "Content-MD5: abc\n"
    "\n"
    "AAECAw==\n"
    "--XX\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@x\n"
    "Subject: inner\n"
    "Content-Type: multipart/alternative; boundary=YY\n"
    "\n"
    "--YY\n"
    "Content-Type: text/plain\n"
    "\n"
    "alt1\n"
    "--YY\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>alt2</p>\n"
    "--YY--\n"
    "\n"
    "--XX--\n"
    "epilogue\n";

}  // namespace posthorn::imapd::testmsg
