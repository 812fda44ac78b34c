// Finds the text a mailcatcher client asks for (/messages/ID.html, .plain): the message itself
// when it is a single part of that media type, else the first such part that is not an
// attachment inside its multipart body (nested multiparts included, to a bounded depth). Not a
// full MIME parser: parts are split on their boundary lines and parsed as small messages.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mailsink/mail_message.h"

namespace fib {

// Returns the decoded body of the part of `media_type` (lower case, e.g. "text/html") in the
// message `parsed` from `raw`, or nullopt when there is none. Linear in the size of `raw` per
// nesting level (at most 4 levels, at most 100 parts each).
std::optional<std::string> FindTextPart(const MailMessage& parsed, std::string_view raw,
                                        std::string_view media_type);

// Returns the `boundary` parameter of a Content-Type value ("" when absent), unquoted.
std::string MultipartBoundary(std::string_view content_type);

}  // namespace fib
