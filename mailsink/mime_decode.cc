#include "mailsink/mime_decode.h"

#include <cctype>
#include <cstdint>

namespace fib {
namespace {

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<unsigned char>(std::toupper(c));
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the Q encoding of RFC 2047: like quoted-printable, but '_' means a space.
std::string DecodeQ(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Finds encoded words in one left-to-right pass. Every search below starts at a position that
// never moves backwards from one call to the next, so each remembers its last answer and the
// whole scan stays linear however the text is crafted (e.g. a megabyte of "=?a?B?x" without any
// closing "?=" used to make every start re-scan to the end).
class EncodedWordScanner {
 public:
  explicit EncodedWordScanner(std::string_view text) : text_(text) {}

  // Tries to decode the encoded word starting at `start` (text[start] == '='). On success
  // appends the decoded bytes to *out and returns the index just past the word; else npos.
  size_t TryWord(size_t start, std::string* out) {
    constexpr size_t kNoWord = std::string_view::npos;
    if (start + 8 > text_.size() || text_[start + 1] != '?') return kNoWord;
    size_t word_end = Cached(&space_, start, [this](size_t from) { return NextSpace(from); });
    size_t q1 =
        Cached(&question_, start + 2, [this](size_t from) { return text_.find('?', from); });
    if (q1 == kNoWord || q1 + 2 >= word_end || text_[q1 + 2] != '?') return kNoWord;
    char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(text_[q1 + 1])));
    if (encoding != 'B' && encoding != 'Q') return kNoWord;
    size_t end = Cached(&close_, q1 + 3, [this](size_t from) { return text_.find("?=", from); });
    // An encoded word holds no whitespace (RFC 2047 §5): its end must come before the next.
    if (end == kNoWord || end + 2 > word_end) return kNoWord;
    std::string_view payload = text_.substr(q1 + 3, end - (q1 + 3));
    *out += encoding == 'B' ? DecodeBase64(payload) : DecodeQ(payload);
    return end + 2;
  }

 private:
  struct Memo {
    size_t from = 0;
    size_t found = 0;
    bool valid = false;
  };

  // Returns find(from) using the memo: valid while `from` lies between the last search start
  // and its answer (npos included), which holds because callers' `from` never decreases.
  template <typename Find>
  static size_t Cached(Memo* memo, size_t from, Find find) {
    if (!memo->valid || from < memo->from || from > memo->found) {
      memo->from = from;
      memo->found = find(from);
      memo->valid = true;
    }
    return memo->found;
  }

  size_t NextSpace(size_t from) const {
    while (from < text_.size() && !IsSpace(text_[from])) ++from;
    return from;
  }

  std::string_view text_;
  Memo space_, question_, close_;
};

}  // namespace

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : text) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    // A plain byte here and a lone '=' at the end are both kept as they are.
    // NOLINTNEXTLINE(bugprone-branch-clone)
    if (text[i] != '=') {
      out += text[i];
    } else if (i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {
      i += (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n') ? 2 : 1;
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string DecodeEncodedWords(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  EncodedWordScanner scanner(text);
  size_t pending_space_start = std::string::npos;  // whitespace after a decoded word
  for (size_t i = 0; i < text.size();) {
    std::string decoded;
    size_t next = text[i] == '=' ? scanner.TryWord(i, &decoded) : std::string_view::npos;
    if (next != std::string_view::npos) {
      // Whitespace between two encoded words is dropped (RFC 2047 §6.2).
      if (pending_space_start != std::string::npos) out.resize(pending_space_start);
      out += decoded;
      i = next;
      pending_space_start = out.size();
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) out += text[i++];
      continue;
    }
    pending_space_start = std::string::npos;
    out += text[i++];
  }
  return out;
}

}  // namespace fib
