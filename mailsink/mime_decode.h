// Decoders for the encodings a mail catcher must undo to show a message: base64 and
// quoted-printable bodies (RFC 2045) and encoded words in headers (RFC 2047). Not a MIME parser.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fib {

// Returns the value 0..63 of a base64 alphabet byte (RFC 4648 §4), or -1 for any other byte.
int Base64Value(unsigned char c);
// Decodes base64, skipping line breaks and other non-alphabet bytes; stops at '='.
std::string DecodeBase64(std::string_view text);
// Decodes quoted-printable: =XX escapes and soft line breaks ("=" at line end). Malformed
// escapes are kept as they are.
std::string DecodeQuotedPrintable(std::string_view text);
// Replaces RFC 2047 encoded words (=?charset?B|Q?text?=) with their decoded bytes. The bytes
// are not converted between charsets (UTF-8 and ASCII come out right). Whitespace between two
// adjacent encoded words is dropped, as the RFC asks.
std::string DecodeEncodedWords(std::string_view text);

}  // namespace fib
